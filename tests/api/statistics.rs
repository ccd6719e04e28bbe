//! Statistics: equal to counts computed here, in Rust, from the raw rows of the demo
//! outbreak; small counts hidden from analysts; who may ask, for where, for how long.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    case, contact, health_check, person, quarantine, task, Agency, CaseClassification, Role,
};
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::helpers::{
    assert_ok, error_code, is_invisible, local_today, spawn_with, Options, TestApp,
    LOCAL_OFFSET_HOURS,
};

const METRICS: [&str; 11] = [
    "newSuspected",
    "newConfirmed",
    "newAsymptomatic",
    "cumulativeConfirmed",
    "activeQuarantines",
    "contactsTraced",
    "checksDue",
    "checksMissed",
    "fevers",
    "tasksOpened",
    "tasksClosed",
];

fn query() -> String {
    let fields = METRICS.join(" ");
    format!(
        "query($u: String, $f: NaiveDate!, $t: NaiveDate!, $c: Boolean!) {{ statistics(orgUnit: $u, from: $f, to: $t, byChild: $c) {{
        totals {{ {fields} }} days {{ date {fields} }}
        children {{ orgUnit {{ code }} totals {{ {fields} }} days {{ date {fields} }} }} }} }}"
    )
}

fn local(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(LOCAL_OFFSET_HOURS)).date_naive()
}

/// Every figure of every day for the residents whose path starts with `prefix`, counted
/// from the rows one by one.
struct Raw {
    persons: HashMap<i64, String>,
    cases: Vec<case::Model>,
    contacts: Vec<contact::Model>,
    quarantines: Vec<quarantine::Model>,
    checks: Vec<health_check::Model>,
    tasks: Vec<task::Model>,
}

impl Raw {
    async fn load(app: &TestApp) -> Self {
        let db = &app.state.db;
        Raw {
            persons: person::Entity::find()
                .all(db)
                .await
                .unwrap()
                .into_iter()
                .map(|p| (p.id, p.residence_path))
                .collect(),
            cases: case::Entity::find().all(db).await.unwrap(),
            contacts: contact::Entity::find().all(db).await.unwrap(),
            quarantines: quarantine::Entity::find().all(db).await.unwrap(),
            checks: health_check::Entity::find().all(db).await.unwrap(),
            tasks: task::Entity::find().all(db).await.unwrap(),
        }
    }

    fn day(&self, prefix: &str, d: NaiveDate) -> HashMap<&'static str, i64> {
        let inside = |person_id: i64| self.persons[&person_id].starts_with(prefix);
        let cases = |class: CaseClassification, same_day: bool| {
            self.cases
                .iter()
                .filter(|c| inside(c.person_id) && c.classification == class)
                .filter(|c| {
                    let reported = local(c.reported_at);
                    if same_day {
                        reported == d
                    } else {
                        reported <= d
                    }
                })
                .count() as i64
        };
        let active: Vec<&quarantine::Model> = self
            .quarantines
            .iter()
            .filter(|q| inside(q.person_id) && q.start_date <= d)
            .filter(|q| q.ended_at.is_none_or(|e| local(e) > d))
            .collect();
        let checks_of = |person_id: i64| {
            self.checks
                .iter()
                .filter(|c| c.person_id == person_id && local(c.measured_at) == d)
                .count() as i64
        };
        let missed: i64 = active
            .iter()
            .map(|q| (2 - checks_of(q.person_id)).max(0))
            .sum();
        HashMap::from([
            ("newSuspected", cases(CaseClassification::Suspected, true)),
            ("newConfirmed", cases(CaseClassification::Confirmed, true)),
            (
                "newAsymptomatic",
                cases(CaseClassification::Asymptomatic, true),
            ),
            (
                "cumulativeConfirmed",
                cases(CaseClassification::Confirmed, false),
            ),
            ("activeQuarantines", active.len() as i64),
            (
                "contactsTraced",
                self.contacts
                    .iter()
                    .filter(|c| inside(c.person_id) && local(c.created_at) == d)
                    .count() as i64,
            ),
            ("checksDue", 2 * active.len() as i64),
            ("checksMissed", missed),
            (
                "fevers",
                self.checks
                    .iter()
                    .filter(|c| inside(c.person_id) && c.fever && local(c.measured_at) == d)
                    .count() as i64,
            ),
            (
                "tasksOpened",
                self.tasks
                    .iter()
                    .filter(|t| inside(t.person_id) && local(t.created_at) == d)
                    .count() as i64,
            ),
            (
                "tasksClosed",
                self.tasks
                    .iter()
                    .filter(|t| inside(t.person_id) && t.closed_at.is_some_and(|c| local(c) == d))
                    .count() as i64,
            ),
        ])
    }
}

fn compare(failures: &mut Vec<String>, what: &str, got: &Value, want: &HashMap<&str, i64>) {
    for metric in METRICS {
        if got[metric] != json!(want[metric]) {
            failures.push(format!(
                "{what} {metric}: got {}, counted {}",
                got[metric], want[metric]
            ));
        }
    }
}

async fn path_of(app: &TestApp, code: &str) -> String {
    app.state
        .orgs
        .by_code(&app.state.db, code)
        .await
        .unwrap()
        .unwrap()
        .path
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn statistics_equal_the_counts_of_the_raw_rows() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let today = local_today();
    let from = today - Duration::days(13);
    let r = app
        .gql(
            &command,
            &query(),
            json!({ "u": "DEMO", "f": from, "t": today, "c": true }),
        )
        .await;
    assert_ok(&r);
    let stats = &r["data"]["statistics"];
    let raw = Raw::load(&app).await;
    let mut failures = Vec::new();
    let mut units = vec![("DEMO".to_owned(), stats.clone())];
    for child in stats["children"].as_array().unwrap() {
        units.push((
            child["orgUnit"]["code"].as_str().unwrap().to_owned(),
            child.clone(),
        ));
    }
    assert_eq!(units.len(), 5, "the city and its four districts");
    let mut compared = 0;
    for (code, series) in &units {
        let prefix = path_of(&app, code).await;
        let days = series["days"].as_array().unwrap();
        assert_eq!(days.len(), 14);
        let mut sums: HashMap<&str, i64> = HashMap::new();
        for (i, day) in days.iter().enumerate() {
            let d = from + Duration::days(i as i64);
            assert_eq!(day["date"], d.to_string());
            let want = raw.day(&prefix, d);
            compare(&mut failures, &format!("{code} {d}"), day, &want);
            compared += METRICS.len();
            for (k, v) in &want {
                *sums.entry(k).or_default() += v;
            }
        }
        // Totals: flows summed, stocks as at the last day.
        let last = raw.day(&prefix, today);
        for stock in ["cumulativeConfirmed", "activeQuarantines"] {
            sums.insert(stock, last[stock]);
        }
        compare(
            &mut failures,
            &format!("{code} totals"),
            &series["totals"],
            &sums,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The demo outbreak gives every figure something to count.
    for metric in METRICS {
        assert!(
            stats["totals"][metric].as_i64().unwrap() > 0,
            "{metric} is zero: the comparison would prove little"
        );
    }
    assert_eq!(compared, 5 * 14 * 11);

    // The same statements for a fortnight of the city and two months of its districts.
    let before = app.statements();
    assert_ok(
        &app.gql(
            &command,
            &query(),
            json!({ "u": "DEMO", "f": from, "t": today, "c": false }),
        )
        .await,
    );
    let short = app.statements() - before;
    let before = app.statements();
    assert_ok(
        &app.gql(
            &command,
            &query(),
            json!({ "u": "DEMO", "f": today - Duration::days(59), "t": today, "c": true }),
        )
        .await,
    );
    assert_eq!(app.statements() - before, short);
    assert!(short <= 10, "{short} statements");
}

#[tokio::test]
async fn analysts_see_perturbed_figures_with_small_ones_as_less_than_the_threshold() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let analyst = app.token(Agency::Police, Role::Analyst, "DEMO");
    let today = local_today();
    let vars = json!({ "u": "DEMO", "f": today - Duration::days(13), "t": today, "c": true });
    let exact = app.gql(&command, &query(), vars.clone()).await;
    let shown = app.gql(&analyst, &query(), vars.clone()).await;
    assert_ok(&exact);
    assert_ok(&shown);
    // The same question again reads the same: the noise is the cell's, not the request's.
    assert_eq!(app.gql(&analyst, &query(), vars).await, shown);
    let (mut small, mut zero, mut large, mut moved) = (0, 0, 0, 0);
    // The city and each district.
    let units = |r: &Value| {
        let stats = &r["data"]["statistics"];
        let mut all = vec![stats.clone()];
        all.extend(stats["children"].as_array().unwrap().iter().cloned());
        all
    };
    let (exact_days, shown_days) = (units(&exact), units(&shown));
    for (e, s) in exact_days.iter().zip(&shown_days) {
        for (ed, sd) in e["days"]
            .as_array()
            .unwrap()
            .iter()
            .zip(s["days"].as_array().unwrap())
        {
            for metric in METRICS {
                let n = ed[metric].as_i64().unwrap();
                let read = &sd[metric];
                if n == 0 {
                    zero += 1;
                    assert_eq!(*read, 0, "{metric}: a true zero stays zero");
                    continue;
                }
                if *read == "<5" {
                    small += 1;
                    assert!(n <= 4 + 2, "{metric}: {n} hidden");
                    continue;
                }
                large += 1;
                let m = read.as_i64().unwrap();
                assert!(m >= 5 && (m - n).abs() <= 2, "{metric}: {n} read as {m}");
                if m != n {
                    moved += 1;
                }
            }
        }
        // A period's flows are the sums of its days as shown: no window of days adds a
        // figure the days do not already give.
        for metric in ["newConfirmed", "contactsTraced", "fevers", "tasksOpened"] {
            let days: Vec<i64> = s["days"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d[metric].as_i64().unwrap_or(-1))
                .collect();
            if days.iter().all(|d| *d >= 0) {
                assert_eq!(s["totals"][metric], days.iter().sum::<i64>(), "{metric}");
            }
        }
    }
    assert!(
        small > 0 && zero > 0 && large > 0 && moved > 0,
        "{small} {zero} {large} {moved}"
    );

    // The series for plotting: null where hidden, and what the statistics say elsewhere.
    let series = "query($m: StatisticsMetric!) { dailySeries(orgUnit: \"DEMO-01\", from: \"2026-01-01\", to: \"2026-01-14\", metric: $m, byChild: true) { dates series { orgUnit { code } values } } }";
    let r = app
        .gql(&analyst, series, json!({ "m": "CHECKS_DUE" }))
        .await;
    assert_ok(&r);
    assert_eq!(
        r["data"]["dailySeries"]["dates"].as_array().unwrap().len(),
        14
    );
    let plotted = app
        .gql(
            &analyst,
            "query($f: NaiveDate!, $t: NaiveDate!) { dailySeries(orgUnit: \"DEMO\", from: $f, to: $t, metric: ACTIVE_QUARANTINES, byChild: true) { series { values } } }",
            json!({ "f": today - Duration::days(13), "t": today }),
        )
        .await;
    assert_ok(&plotted);
    for (s, unit) in plotted["data"]["dailySeries"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&shown_days)
    {
        for (v, d) in s["values"]
            .as_array()
            .unwrap()
            .iter()
            .zip(unit["days"].as_array().unwrap())
        {
            match &d["activeQuarantines"] {
                Value::String(_) => assert!(v.is_null()),
                shown => assert_eq!(v, shown),
            }
        }
    }
}

#[tokio::test]
async fn who_may_ask_for_where_and_for_how_long() {
    let app = spawn_with(Options::default()).await;
    let today = local_today();
    let vars = json!({ "u": "DEMO-01", "f": today - Duration::days(6), "t": today, "c": false });
    for agency in [
        Agency::Health,
        Agency::Police,
        Agency::CivilAffairs,
        Agency::Community,
        Agency::Command,
    ] {
        for role in [Role::Operator, Role::Analyst, Role::Auditor, Role::Admin] {
            let token = app.token(agency, role, "DEMO-01");
            let r = app.gql(&token, &query(), vars.clone()).await;
            let allowed =
                role == Role::Analyst || (agency == Agency::Command && role == Role::Operator);
            if allowed {
                assert_ok(&r);
            } else {
                assert!(is_invisible(&r), "{agency} {role}: {r}");
            }
        }
    }
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO-01");
    let refused = [
        (
            json!({ "u": "DEMO-02", "f": today, "t": today, "c": false }),
            "FORBIDDEN",
        ),
        (
            json!({ "u": "DEMO-01", "f": today, "t": today - Duration::days(1), "c": false }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "u": "DEMO-01", "f": today - Duration::days(400), "t": today, "c": false }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "u": "DEMO-01", "f": today, "t": today + Duration::days(2), "c": false }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "u": "NOPE", "f": today, "t": today, "c": false }),
            "BAD_USER_INPUT",
        ),
    ];
    for (vars, code) in refused {
        let r = app.gql(&analyst, &query(), vars.clone()).await;
        assert_eq!(error_code(&r), Some(code), "{vars}: {r}");
    }
    // A year of per-unit series is more than one request may cost; a fortnight is not.
    let r = app
        .gql(
            &analyst,
            &query(),
            json!({ "u": "DEMO-01", "f": today - Duration::days(364), "t": today, "c": true }),
        )
        .await;
    assert_eq!(error_code(&r), Some("LIMIT_EXCEEDED"), "{r}");
    let r = app
        .gql(
            &analyst,
            &query(),
            json!({ "u": "DEMO-01", "f": today - Duration::days(13), "t": today, "c": true }),
        )
        .await;
    assert_ok(&r);
}
