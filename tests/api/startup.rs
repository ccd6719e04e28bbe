//! The first minute with the real binary: the banner prints a working token for every demo
//! user the README lists, in the README's order, and a port already in use is refused with
//! a message that says how to pick another one.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::{
    binary::Binary,
    helpers::{TestDatabase, TEST_SECRET},
};

/// One row of the README's table "Working in GraphiQL, per agency".
#[derive(Debug, PartialEq)]
struct Row {
    agency: String,
    role: String,
    /// The user's unit and post as the README names them, if it does.
    who: Option<String>,
    org: String,
}

fn readme_rows() -> Vec<Row> {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Working in GraphiQL, per agency")
        .nth(1)
        .expect("the README has the section");
    section
        .lines()
        .skip_while(|line| !line.starts_with("| token |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let (title, who) = match cells[0].split_once(", ") {
                Some((title, who)) => (title, Some(who.to_owned())),
                None => (cells[0], None),
            };
            let (agency, role) = title.split_once(' ').expect("AGENCY ROLE");
            let org = cells[1].split('`').nth(1).expect("a code in backticks");
            Row {
                agency: agency.to_owned(),
                role: role.to_owned(),
                who,
                org: org.to_owned(),
            }
        })
        .collect()
}

/// The banner's demo users, each with its token: a line `  AGENCY ROLE — name (ORG)`, then
/// the token on the next.
fn printed_users(banner: &str) -> Vec<(Row, String)> {
    let lines: Vec<&str> = banner.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let (label, token) = pair[0].split_once(" — ").map(|l| (l, pair[1]))?;
            let (title, rest) = label;
            let (agency, role) = title.split_once(' ')?;
            let (name, org) = rest.strip_suffix(')')?.rsplit_once(" (")?;
            Some((
                Row {
                    agency: agency.to_owned(),
                    role: role.to_owned(),
                    who: Some(name.to_owned()),
                    org: org.to_owned(),
                },
                token.to_owned(),
            ))
        })
        .collect()
}

#[tokio::test]
async fn the_banner_prints_a_working_token_for_every_user_of_the_readme_table_in_its_order() {
    let rows = readme_rows();
    assert_eq!(rows.len(), 8, "the README's table: {rows:?}");
    let database = TestDatabase::create().await;
    let server = Binary::start(&database.url, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let printed = loop {
        let printed = printed_users(&server.stdout());
        if printed.len() >= rows.len() || Instant::now() > deadline {
            break printed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        printed.len(),
        rows.len(),
        "the banner:\n{}",
        server.stdout()
    );
    let client = reqwest::Client::new();
    for (row, (user, token)) in rows.iter().zip(&printed) {
        assert_eq!(
            (&user.agency, &user.role, &user.org),
            (&row.agency, &row.role, &row.org),
            "the banner's order is the README's"
        );
        if let (Some(readme_name), Some(printed_name)) = (&row.who, &user.who) {
            assert!(
                printed_name.starts_with(readme_name.as_str()),
                "{printed_name} is the README's {readme_name}"
            );
        }
        // The token is what its label says.
        let me: Value = client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(token)
            .json(&json!({ "query": "{ me { agency role jurisdiction { code } } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["data"]["me"]["agency"], row.agency.as_str(), "{me}");
        assert_eq!(me["data"]["me"]["role"], row.role.as_str(), "{me}");
        assert_eq!(
            me["data"]["me"]["jurisdiction"]["code"],
            row.org.as_str(),
            "{me}"
        );
    }
}

#[tokio::test]
async fn a_port_in_use_is_refused_at_once_naming_bind_addr_and_its_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let database = TestDatabase::create().await;
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .env("DATABASE_URL", &database.url)
        .env("BIND_ADDR", &address)
        .env("JWT_SECRET", TEST_SECRET)
        .env("DEMO_RESIDENTS", "60")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the server did not give up on a port in use");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    for needle in [
        "地址已被占用",
        "in use",
        &address,
        "BIND_ADDR=",
        "--bind-addr",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in:\n{stderr}");
    }
    // Said before any database work: nothing was migrated, let alone seeded.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let db = sea_orm::Database::connect(&database.url).await.unwrap();
    let backend = db.get_database_backend();
    let org_units = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM org_unit".to_owned(),
        ))
        .await;
    assert!(org_units.is_err(), "the database was migrated");
    db.close().await.unwrap();
    drop(taken);
}
