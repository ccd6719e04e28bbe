//! Synthetic residents: realistic Chinese names, addresses, phones and resident ID numbers
//! that are generated, never real. Region codes start with `3399`, which no prefecture has,
//! so no generated number can belong to a real person.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use entity::{DocumentType, Sex};
use rand::{rngs::StdRng, Rng};

use crate::domain::{values::ResidentId, vulnerability::Vulnerability};

const SURNAMES: [&str; 100] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "欧阳", "司马",
];

const MALE_CHARS: [&str; 40] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "辉", "刚", "平", "鹏", "华", "飞", "鑫",
    "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "国",
    "志", "文", "东", "海", "峰", "亮", "成", "晨",
];

const FEMALE_CHARS: [&str; 40] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "桂", "英", "萍", "红", "燕", "梅",
    "琳", "雪", "慧", "婷", "倩", "颖", "欣", "佳", "悦", "思", "雨", "月", "琪", "晶", "洁", "蕾",
    "薇", "楠", "丹", "瑶", "璐", "媛", "怡", "兰",
];

const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "182", "186", "188", "199",
];

/// A generated resident, before it is placed in the database.
#[derive(Debug, Clone)]
pub struct Resident {
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub document: Option<(DocumentType, String)>,
    pub phone: String,
    pub address: String,
    pub vulnerabilities: i32,
}

/// Generates residents with unique document numbers.
pub struct ResidentFactory {
    used_documents: HashSet<String>,
    today: NaiveDate,
}

impl ResidentFactory {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            used_documents: HashSet::new(),
            today,
        }
    }

    /// One resident of the given region (`339901`..), living in `community` (its full name).
    pub fn resident(&mut self, rng: &mut StdRng, region: u32, community: &str) -> Resident {
        let sex = if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let name = name(rng, sex);
        let age_days = rng.random_range(0..=(90 * 365));
        let birth_date = self.today - chrono::Days::new(age_days);
        let birth_date = birth_date
            .with_day(birth_date.day().min(28))
            .unwrap_or(birth_date);
        let document = self.document(rng, region, birth_date, sex);
        let phone = format!(
            "{}{:08}",
            MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())],
            rng.random_range(0..100_000_000u32)
        );
        let address = format!(
            "{community}{}栋{}单元{}{:02}室",
            rng.random_range(1..=30),
            rng.random_range(1..=4),
            rng.random_range(1..=18),
            rng.random_range(1..=4)
        );
        let age = self.today.year() - birth_date.year();
        let mut flags = Vec::new();
        if age >= 75 && rng.random_bool(0.3) {
            flags.push(Vulnerability::ElderlyLivingAlone);
        }
        if rng.random_bool(0.02) {
            flags.push(Vulnerability::Disabled);
        }
        if rng.random_bool(0.04) {
            flags.push(Vulnerability::LowIncome);
        }
        if age >= 50 && rng.random_bool(0.06) {
            flags.push(Vulnerability::ChronicIllness);
        }
        Resident {
            name,
            sex,
            birth_date,
            document,
            phone,
            address,
            vulnerabilities: Vulnerability::to_bits(&flags),
        }
    }

    fn document(
        &mut self,
        rng: &mut StdRng,
        region: u32,
        birth: NaiveDate,
        sex: Sex,
    ) -> Option<(DocumentType, String)> {
        let roll: f64 = rng.random();
        for _ in 0..20 {
            let candidate = if roll < 0.96 {
                // Odd sequence for men, even for women, as GB 11643 encodes it.
                let base: u16 = rng.random_range(0..500) * 2;
                let sequence = if sex == Sex::Male { base + 1 } else { base };
                ResidentId::generate(region, birth, sequence.min(999))
                    .map(|id| (DocumentType::ResidentId, id.as_str().to_owned()))
            } else if roll < 0.975 {
                Some((
                    DocumentType::Passport,
                    format!("E{:08}", rng.random_range(0..100_000_000u32)),
                ))
            } else if roll < 0.985 {
                Some((
                    DocumentType::HkMacaoPermit,
                    format!("H{:08}", rng.random_range(0..100_000_000u32)),
                ))
            } else {
                return None;
            };
            if let Some((kind, number)) = candidate {
                if self.used_documents.insert(format!("{kind}:{number}")) {
                    return Some((kind, number));
                }
            }
        }
        None
    }
}

/// A Chinese name of one surname and one or two given-name characters.
pub fn name(rng: &mut StdRng, sex: Sex) -> String {
    let chars: &[&str] = if sex == Sex::Male {
        &MALE_CHARS
    } else {
        &FEMALE_CHARS
    };
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let mut name = surname.to_owned();
    for _ in 0..rng.random_range(1..=2) {
        name.push_str(chars[rng.random_range(0..chars.len())]);
    }
    name
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn generated_resident_ids_are_valid_and_unique() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut factory = ResidentFactory::new(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let resident = factory.resident(&mut rng, 339_901, "幸福里社区");
            if let Some((DocumentType::ResidentId, number)) = &resident.document {
                let id = ResidentId::parse(number).unwrap();
                assert!(number.starts_with("3399"));
                assert_eq!(id.birth_date(), resident.birth_date);
                assert!(seen.insert(number.clone()));
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_residents() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let make = || {
            let mut rng = StdRng::seed_from_u64(42);
            let mut factory = ResidentFactory::new(today);
            (0..50)
                .map(|_| factory.resident(&mut rng, 339_902, "和平社区").name)
                .collect::<Vec<_>>()
        };
        assert_eq!(make(), make());
    }
}
