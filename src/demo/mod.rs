//! The demo city (云州市, code `DEMO`): a realistic jurisdiction tree and a few thousand
//! generated residents, loaded into an empty database so a newcomer can try every agency's
//! view at once.

pub mod joint_work;
pub mod outbreak;
pub mod synthetic;

use std::time::Duration;

use chrono::Utc;
use entity::{org_unit, person, person_provenance, Agency, OrgLevel, Role};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use crate::{auth::TokenSpec, domain::values::OrgPath};

use synthetic::ResidentFactory;

/// Seed of the demo city's random generator: the same city on every machine.
const DEMO_SEED: u64 = 20_200_123;
const CHUNK: usize = 500;

const DISTRICTS: [&str; 4] = ["江北区", "江南区", "高新区", "临湖县"];
const STREETS: [[&str; 3]; 4] = [
    ["新华街道", "人民路街道", "解放街道"],
    ["滨江街道", "东湖街道", "南门街道"],
    ["科技园街道", "创业街道", "软件园街道"],
    ["临湖镇", "白沙镇", "青山乡"],
];
const COMMUNITIES: [&str; 36] = [
    "幸福里社区",
    "和平社区",
    "阳光社区",
    "翠园社区",
    "锦绣社区",
    "春晓社区",
    "枫林社区",
    "桂花社区",
    "金桥社区",
    "龙泉社区",
    "望江社区",
    "滨湖社区",
    "东苑社区",
    "南湖社区",
    "书香社区",
    "花园社区",
    "长青社区",
    "明珠社区",
    "科苑社区",
    "创新社区",
    "未来社区",
    "星光社区",
    "智谷社区",
    "云栖社区",
    "数码社区",
    "启明社区",
    "银河社区",
    "湖畔村",
    "丰收村",
    "柳湾村",
    "白沙村",
    "石桥村",
    "青山村",
    "竹林村",
    "梨园村",
    "茶山村",
];
const GRIDS: [&str; 4] = ["第一网格", "第二网格", "第三网格", "第四网格"];

/// A demo user whose token `lianfang serve` prints.
pub struct DemoUser {
    pub agency: Agency,
    pub role: Role,
    pub org: &'static str,
    pub subject: &'static str,
    pub name: &'static str,
}

impl DemoUser {
    pub fn token_spec(&self, ttl: Duration) -> TokenSpec {
        TokenSpec {
            client: None,
            subject: self.subject.to_owned(),
            name: self.name.to_owned(),
            agency: self.agency,
            role: self.role,
            org: self.org.to_owned(),
            ttl,
        }
    }
}

/// One user per agency, placed where that agency works (health twice: the city's CDC and a
/// district's, whose views differ), plus an analyst and an auditor. `lianfang serve` prints
/// them in this order, the order of the README's table (a test holds the two together).
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        agency: Agency::Health,
        role: Role::Operator,
        org: "DEMO",
        subject: "demo-health-1",
        name: "市疾控中心 流调员 王医生",
    },
    DemoUser {
        agency: Agency::Health,
        role: Role::Operator,
        org: "DEMO-01",
        subject: "demo-health-2",
        name: "江北区疾控中心 流调员 刘医生",
    },
    DemoUser {
        agency: Agency::Police,
        role: Role::Operator,
        org: "DEMO-01",
        subject: "demo-police-1",
        name: "江北区公安分局 李警官",
    },
    DemoUser {
        agency: Agency::CivilAffairs,
        role: Role::Operator,
        org: "DEMO-01-01",
        subject: "demo-civil-1",
        name: "新华街道民政办 赵干事",
    },
    DemoUser {
        agency: Agency::Community,
        role: Role::Operator,
        org: "DEMO-01-01-01",
        subject: "demo-community-1",
        name: "幸福里社区 网格员 陈敏",
    },
    DemoUser {
        agency: Agency::Command,
        role: Role::Operator,
        org: "DEMO",
        subject: "demo-command-1",
        name: "市防控指挥部 值班员",
    },
    DemoUser {
        agency: Agency::Health,
        role: Role::Analyst,
        org: "DEMO",
        subject: "demo-analyst-1",
        name: "市卫健委 数据分析员",
    },
    DemoUser {
        agency: Agency::Health,
        role: Role::Auditor,
        org: "DEMO",
        subject: "demo-auditor-1",
        name: "市卫健委 审计员",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub org_units: usize,
    pub residents: usize,
    pub outbreak: outbreak::OutbreakSummary,
    pub joint_work: joint_work::JointSummary,
}

/// A grid the generator places residents in.
struct GridSlot {
    id: i64,
    path: OrgPath,
    region: u32,
    community: String,
}

/// Loads the demo city in one transaction: the tree and the residents, and, when
/// `outbreak` gives today's local date and the local UTC offset in hours, a live outbreak
/// dated relative to it.
pub async fn seed(
    db: &DatabaseConnection,
    residents: u32,
    outbreak_day: Option<(chrono::NaiveDate, i64)>,
) -> Result<SeedSummary, DbErr> {
    let txn = db.begin().await?;
    let (org_units, grids) = seed_tree(&txn).await?;
    let residents = seed_residents(&txn, &grids, residents).await?;
    let (mut outbreak, mut joint_work) = Default::default();
    if let Some((today, offset_hours)) = outbreak_day {
        let index_cases = (residents / 100).clamp(1, 30);
        let mut alerts = Vec::new();
        outbreak = outbreak::seed(&txn, today, offset_hours, index_cases, &mut alerts).await?;
        if outbreak.cases > 0 {
            joint_work = joint_work::seed(&txn, today, offset_hours, &mut alerts).await?;
        }
        outbreak.alerts = outbreak::insert_alerts(&txn, alerts).await?;
    }
    txn.commit().await?;
    Ok(SeedSummary {
        org_units,
        residents,
        outbreak,
        joint_work,
    })
}

async fn seed_tree(db: &impl ConnectionTrait) -> Result<(usize, Vec<GridSlot>), DbErr> {
    let city = insert_unit(db, "DEMO", "云州市", OrgLevel::City, None).await?;
    let mut count = 1;
    let mut grids = Vec::new();
    let mut community_names = COMMUNITIES.iter();
    for (d, district_name) in DISTRICTS.iter().enumerate() {
        let district_code = format!("DEMO-{:02}", d + 1);
        let district = insert_unit(
            db,
            &district_code,
            district_name,
            OrgLevel::District,
            Some(&city),
        )
        .await?;
        count += 1;
        for (s, street_name) in STREETS[d].iter().enumerate() {
            let street_code = format!("{district_code}-{:02}", s + 1);
            let street = insert_unit(
                db,
                &street_code,
                street_name,
                OrgLevel::Street,
                Some(&district),
            )
            .await?;
            count += 1;
            for c in 0..3 {
                let community_name = community_names.next().copied().unwrap_or("新村社区");
                let community_code = format!("{street_code}-{:02}", c + 1);
                let community = insert_unit(
                    db,
                    &community_code,
                    community_name,
                    OrgLevel::Community,
                    Some(&street),
                )
                .await?;
                count += 1;
                for (g, grid_name) in GRIDS.iter().enumerate() {
                    let grid_code = format!("{community_code}-{:02}", g + 1);
                    let grid =
                        insert_unit(db, &grid_code, grid_name, OrgLevel::Grid, Some(&community))
                            .await?;
                    count += 1;
                    grids.push(GridSlot {
                        id: grid.0,
                        path: grid.1,
                        region: 339_901 + u32::try_from(d).unwrap_or(0),
                        community: format!("云州市{district_name}{street_name}{community_name}"),
                    });
                }
            }
        }
    }
    Ok((count, grids))
}

/// Inserts a unit and sets its materialized path, which needs its own id.
async fn insert_unit(
    db: &impl ConnectionTrait,
    code: &str,
    name: &str,
    level: OrgLevel,
    parent: Option<&(i64, OrgPath)>,
) -> Result<(i64, OrgPath), DbErr> {
    let inserted = org_unit::Entity::insert(org_unit::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        level: Set(level),
        parent_id: Set(parent.map(|p| p.0)),
        path: Set(format!("pending:{code}")),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let id = inserted.last_insert_id;
    let path = match parent {
        Some((_, parent_path)) => parent_path.child(id),
        None => OrgPath::root(id),
    };
    org_unit::Entity::update(org_unit::ActiveModel {
        id: Set(id),
        path: Set(path.as_str().to_owned()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok((id, path))
}

async fn seed_residents(
    db: &impl ConnectionTrait,
    grids: &[GridSlot],
    count: u32,
) -> Result<usize, DbErr> {
    let mut rng = StdRng::seed_from_u64(DEMO_SEED);
    let now = Utc::now();
    let mut factory = ResidentFactory::new(now.date_naive());
    let mut total = 0;
    let all: Vec<u32> = (0..count).collect();
    for chunk in all.chunks(CHUNK) {
        let mut people = Vec::with_capacity(chunk.len());
        let mut reporters = Vec::with_capacity(chunk.len());
        for _ in chunk {
            let grid = &grids[rng.random_range(0..grids.len())];
            let resident = factory.resident(&mut rng, grid.region, &grid.community);
            // Every resident is on the community's list; the police channel knows most
            // registered households, the health channel a few.
            let mut agencies = vec![Agency::Community];
            if rng.random_bool(0.6) {
                agencies.push(Agency::Police);
            }
            if rng.random_bool(0.1) {
                agencies.push(Agency::Health);
            }
            reporters.push(agencies);
            people.push(person::ActiveModel {
                document_type: Set(resident.document.as_ref().map(|d| d.0)),
                document_number: Set(resident.document.map(|d| d.1)),
                name: Set(resident.name),
                sex: Set(resident.sex),
                birth_date: Set(Some(resident.birth_date)),
                phone: Set(Some(resident.phone)),
                address: Set(Some(resident.address)),
                residence_org_id: Set(grid.id),
                residence_path: Set(grid.path.as_str().to_owned()),
                vulnerabilities: Set(resident.vulnerabilities),
                vulnerability_note: Set(None),
                merged_into_id: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                created_by_agency: Set(Agency::Community),
                ..Default::default()
            });
        }
        let ids = person::Entity::insert_many(people)
            .exec_with_returning_keys(db)
            .await?;
        let provenance: Vec<_> = ids
            .iter()
            .zip(&reporters)
            .flat_map(|(id, agencies)| {
                agencies
                    .iter()
                    .map(move |agency| person_provenance::ActiveModel {
                        person_id: Set(*id),
                        agency: Set(*agency),
                        first_reported_at: Set(now),
                        last_reported_at: Set(now),
                        last_reported_by: Set("demo-seed".to_owned()),
                        report_count: Set(1),
                        ..Default::default()
                    })
            })
            .collect();
        person_provenance::Entity::insert_many(provenance)
            .exec(db)
            .await?;
        total += ids.len();
    }
    Ok(total)
}
