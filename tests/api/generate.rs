//! `lianfang generate`, black-box: the real binary builds a city of 5,000 residents into a
//! fresh database; the database then holds the city in proportion and by the rules, the
//! same seed and moment give the same rows, a second run is refused, and a server over the
//! city answers.

use std::{collections::HashMap, fmt::Debug, process::Output};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::{
    alert, case, checkpoint_entry, contact, daily_report, health_check, lab_test, org_unit, person,
    person_provenance, quarantine, task, AlertKind, DocumentType, OrgLevel, QuarantineEnd,
    QuarantineReason, TaskStatus,
};
use lianfang::{access::policy, domain::values::ResidentId};
use sea_orm::{Database, DatabaseConnection, EntityTrait};
use serde_json::{json, Value};

use crate::{binary::Binary, helpers::TestDatabase};

const RESIDENTS: usize = 5_000;

fn generate(url: &str, as_of: DateTime<Utc>) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .env("DATABASE_URL", url)
        .env_remove("LOCAL_UTC_OFFSET")
        .args([
            "generate",
            "--residents",
            &RESIDENTS.to_string(),
            "--seed",
            "7",
            "--as-of",
            &as_of.to_rfc3339(),
        ])
        .output()
        .expect("run lianfang generate")
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn all<E: EntityTrait>(db: &DatabaseConnection) -> Vec<E::Model> {
    E::find().all(db).await.expect("read a table")
}

/// Every row of a table, order-independent.
async fn rows<E: EntityTrait>(db: &DatabaseConnection) -> Vec<String>
where
    E::Model: Debug,
{
    let mut rows: Vec<String> = all::<E>(db)
        .await
        .iter()
        .map(|m| format!("{m:?}"))
        .collect();
    rows.sort();
    rows
}

async fn every_table(db: &DatabaseConnection) -> Vec<Vec<String>> {
    vec![
        rows::<org_unit::Entity>(db).await,
        rows::<person::Entity>(db).await,
        rows::<person_provenance::Entity>(db).await,
        rows::<case::Entity>(db).await,
        rows::<contact::Entity>(db).await,
        rows::<quarantine::Entity>(db).await,
        rows::<health_check::Entity>(db).await,
        rows::<lab_test::Entity>(db).await,
        rows::<checkpoint_entry::Entity>(db).await,
        rows::<task::Entity>(db).await,
        rows::<alert::Entity>(db).await,
        rows::<daily_report::Entity>(db).await,
    ]
}

/// The district a stored path lies in: its second id.
fn district(path: &str) -> &str {
    path.split('/').filter(|s| !s.is_empty()).nth(1).unwrap()
}

fn within(count: usize, low: usize, high: usize, what: &str) {
    assert!(
        (low..=high).contains(&count),
        "{what}: {count} not in {low}..={high}"
    );
}

#[tokio::test]
async fn generate_builds_a_city_in_proportion_that_a_server_answers_over() {
    // Its bulk load is one transaction, which holds back change-log readers meanwhile.
    let _exclusive = crate::helpers::LONG_TRANSACTIONS.write().await;
    let as_of = Utc::now().trunc_subsecs(0) - Duration::minutes(1);
    let first = TestDatabase::create().await;
    let output = generate(&first.url, as_of);
    assert_success(&output);
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(
        progress.contains("person") && progress.contains("rows/s"),
        "{progress}"
    );

    let db = Database::connect(&first.url).await.unwrap();
    check_proportions_and_rules(&db, as_of).await;

    // The same seed, size and moment: the same rows, table by table.
    let second = TestDatabase::create().await;
    assert_success(&generate(&second.url, as_of));
    let other = Database::connect(&second.url).await.unwrap();
    assert!(
        every_table(&db).await == every_table(&other).await,
        "two runs with the same seed and moment differ"
    );
    other.close().await.ok();

    // A city is generated only into an empty database.
    let again = generate(&first.url, as_of);
    assert!(!again.status.success());
    let refusal = String::from_utf8_lossy(&again.stderr);
    assert!(refusal.contains("already holds org units"), "{refusal}");
    assert_eq!(all::<person::Entity>(&db).await.len(), RESIDENTS);

    check_a_server_answers(&db, &first.url).await;
    db.close().await.ok();
}

async fn check_proportions_and_rules(db: &DatabaseConnection, as_of: DateTime<Utc>) {
    let units = all::<org_unit::Entity>(db).await;
    let level = |l: OrgLevel| units.iter().filter(|u| u.level == l).count();
    assert_eq!(level(OrgLevel::City), 1);
    assert!(level(OrgLevel::District) >= 2);
    within(
        level(OrgLevel::Grid),
        RESIDENTS / 400,
        RESIDENTS / 200,
        "grids",
    );
    assert!(units.iter().any(|u| u.code == "CITY-01-01-01-01"));

    let persons = all::<person::Entity>(db).await;
    assert_eq!(persons.len(), RESIDENTS);
    let residence: HashMap<i64, &str> = persons
        .iter()
        .map(|p| (p.id, p.residence_path.as_str()))
        .collect();
    let mut resident_ids = 0;
    for p in &persons {
        assert_eq!((p.version, p.merged_into_id), (1, None));
        if p.document_type == Some(DocumentType::ResidentId) {
            let number = p.document_number.as_deref().unwrap();
            let id = ResidentId::parse(number).unwrap_or_else(|e| panic!("{number}: {e:?}"));
            assert!(
                number.starts_with("3399"),
                "{number} names a real prefecture"
            );
            assert_eq!(Some(id.birth_date()), p.birth_date);
            resident_ids += 1;
        }
    }
    assert!(resident_ids > RESIDENTS * 9 / 10);
    let vulnerable = persons.iter().filter(|p| p.vulnerabilities != 0).count();
    within(
        vulnerable,
        RESIDENTS / 50,
        RESIDENTS / 5,
        "vulnerable residents",
    );
    let provenance = all::<person_provenance::Entity>(db).await;
    within(
        provenance.len(),
        RESIDENTS * 3 / 2,
        RESIDENTS * 2,
        "provenance rows",
    );
    let reported: std::collections::HashSet<i64> = provenance.iter().map(|p| p.person_id).collect();
    assert_eq!(reported.len(), RESIDENTS, "every person has provenance");

    // At 5,000 residents: 10 cases, 100 contacts, 150 under observation.
    let cases = all::<case::Entity>(db).await;
    within(cases.len(), 8, 10, "cases");
    let mut open = HashMap::new();
    for c in cases.iter().filter(|c| c.is_open) {
        *open.entry(c.person_id).or_insert(0) += 1;
    }
    assert!(open.values().all(|n| *n == 1), "one open case per person");
    let contacts = all::<contact::Entity>(db).await;
    within(contacts.len(), 80, 100, "contacts");
    let case_person: HashMap<i64, i64> = cases.iter().map(|c| (c.id, c.person_id)).collect();
    let across = contacts
        .iter()
        .filter(|c| {
            district(residence[&case_person[&c.source_case_id]])
                != district(residence[&c.person_id])
        })
        .count();
    assert!(
        across >= contacts.len() / 10,
        "{across} contacts across district lines"
    );
    for c in &contacts {
        assert_eq!(
            c.follow_up_end_date - c.last_exposure_date,
            Duration::days(14)
        );
    }

    let quarantines = all::<quarantine::Entity>(db).await;
    within(quarantines.len(), 140, 150, "quarantines");
    let mut active = HashMap::new();
    for q in quarantines.iter().filter(|q| q.is_active) {
        *active.entry(q.person_id).or_insert(0) += 1;
    }
    assert!(
        active.values().all(|n| *n == 1),
        "one active observation per person"
    );
    assert!(
        active.len() > quarantines.len() / 3,
        "most observations active"
    );
    let checks = all::<health_check::Entity>(db).await;
    let mut checks_of: HashMap<i64, usize> = HashMap::new();
    for check in &checks {
        *checks_of.entry(check.quarantine_id.unwrap()).or_default() += 1;
    }
    // Twice a day for fourteen days, a check missed now and then.
    let full: Vec<usize> = quarantines
        .iter()
        .filter(|q| {
            q.end_kind == Some(QuarantineEnd::Released)
                && q.reason != QuarantineReason::CloseContact
                && q.planned_end_date - q.start_date == Duration::days(14)
        })
        .map(|q| checks_of.get(&q.id).copied().unwrap_or(0))
        .collect();
    assert!(!full.is_empty());
    for n in &full {
        within(*n, 22, 29, "checks of a finished 14-day observation");
    }
    let fevers = checks.iter().filter(|c| c.fever).count();
    assert!(fevers > 0 && fevers < checks.len() / 20, "{fevers} fevers");

    let alerts = all::<alert::Entity>(db).await;
    let fever_alerts = alerts.iter().filter(|a| a.kind == AlertKind::Fever).count();
    assert_eq!(fever_alerts, fevers, "a fever alert for every fever");
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.kind == AlertKind::NewCase)
            .count(),
        cases.len()
    );

    let entries = all::<checkpoint_entry::Entity>(db).await;
    within(entries.len(), 700, 1_000, "checkpoint entries");
    assert!(entries.iter().any(|e| e.from_risk_area));
    let tasks = all::<task::Entity>(db).await;
    assert!(!tasks.is_empty());
    for t in &tasks {
        assert!(
            policy::may_send(t.kind, t.from_agency, t.to_agency),
            "{t:?}"
        );
        let version = match t.status {
            TaskStatus::Open => 1,
            TaskStatus::Done => 3,
            _ => 2,
        };
        assert_eq!(t.version, version, "{t:?}");
    }
    for status in [TaskStatus::Open, TaskStatus::Accepted, TaskStatus::Done] {
        assert!(tasks.iter().any(|t| t.status == status), "no {status} task");
    }
    assert!(!all::<lab_test::Entity>(db).await.is_empty());
    let reports = all::<daily_report::Entity>(db).await;
    let communities = level(OrgLevel::Community);
    within(
        reports.len(),
        communities * 11,
        communities * 15,
        "daily reports",
    );

    // Nothing lies after the moment it is as of.
    assert!(checks
        .iter()
        .all(|c| c.created_at <= as_of && c.measured_at <= as_of));
    assert!(entries.iter().all(|e| e.passed_at <= as_of));
    assert!(alerts.iter().all(|a| a.created_at <= as_of));
    assert!(tasks.iter().all(|t| t.updated_at <= as_of));
}

async fn check_a_server_answers(db: &DatabaseConnection, url: &str) {
    let server = Binary::start(url, &[]);
    let client = reqwest::Client::new();
    let token = Binary::token("HEALTH", "CITY", "generated-city-health");
    let post = |query: String| {
        let request = client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(&token)
            .json(&json!({ "query": query }));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let response = post(
        "{ cases(first: 5) { totalCount edges { node { id classification person { name } } } } }"
            .into(),
    )
    .await;
    assert!(response.get("errors").is_none(), "{response:#}");
    let cases = &response["data"]["cases"];
    assert_eq!(cases["edges"].as_array().unwrap().len(), 5);
    assert_eq!(
        cases["totalCount"].as_u64(),
        Some(all::<case::Entity>(db).await.len() as u64)
    );

    // Every confirmation holds the figures the server computes now from the records.
    let units: HashMap<i64, String> = all::<org_unit::Entity>(db)
        .await
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect();
    for report in all::<daily_report::Entity>(db).await {
        let response = post(format!(
            "{{ dailyReport(orgUnit: \"{}\", date: \"{}\") {{ confirmation {{ changedSinceConfirmation }} }} }}",
            units[&report.org_id], report.report_date
        ))
        .await;
        assert_eq!(
            response["data"]["dailyReport"]["confirmation"]["changedSinceConfirmation"],
            json!(false),
            "{} on {}: {response:#}",
            units[&report.org_id],
            report.report_date
        );
    }
}
