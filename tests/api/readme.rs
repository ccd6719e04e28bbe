//! The README is executable: every ```graphql block runs, in order, against a demo city seeded
//! as `cargo run` seeds it, with the demo token the block names, and gives what the README
//! says. The annotations are GraphQL comments, which a reader sees and GraphiQL ignores:
//!
//! - `# as: POLICE OPERATOR, 江北区公安分局`: the token of the README's table that runs the
//!   operations below it in the block (agency and role, then the start of the user's name when
//!   the two are not enough);
//! - `# $person: registerPerson.id`: a variable taken from an earlier answer, the latest one
//!   with that root field (an alias counts) or of that operation name, then down a path
//!   (`edges.0.node`, `edges.last.node`);
//! - `# $date: today`: a variable from the clock, where the server is: `today`, `today-13`,
//!   `now`, `now+4h`, `now-90m`;
//! - `# expect: CONFLICT`: the next operation is refused with that code.
//!
//! Other comment lines are prose. A variable without a source must be optional; an id or a
//! date written into an example is refused (both drift), and a block of several operations
//! names each, so that GraphiQL takes it pasted whole. An answer passes when it has no errors
//! and no item of a batch came back with an `error`; then what the prose says of particular
//! answers (`claims`) is checked against them. The figures the README gives of the demo city
//! are counted in it first, and the subscription of its graphql-ws example runs too.

use std::collections::HashMap;

use async_graphql::parser::{parse_query, types::DocumentOperations};
use chrono::{Duration, FixedOffset, SecondsFormat, Utc};
use lianfang::demo::{DemoUser, DEMO_USERS};
use serde_json::{json, Map, Value};

use crate::helpers::{local_today, spawn_with, Options, TestApp, LOCAL_OFFSET_HOURS};

const README: &str = include_str!("../../README.md");

/// One operation of a README block, with what the comments above it say.
struct Example {
    /// Where it is: the README's line and the heading above it.
    line: usize,
    heading: String,
    document: String,
    user: &'static DemoUser,
    sources: HashMap<String, String>,
    expect: Option<String>,
}

impl Example {
    fn place(&self) -> String {
        format!("README.md:{} ({})", self.line, self.heading)
    }
}

/// The ```graphql blocks of the README, each as its first line's number and its text.
fn graphql_blocks(readme: &str) -> Vec<(usize, String, String)> {
    let mut blocks = Vec::new();
    let mut heading = String::new();
    let mut lines = readme.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(fence) = trimmed.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|(_, l)| !l.trim_start().starts_with("```"))
                .map(|(_, l)| l)
                .collect();
            if fence.trim() == "graphql" {
                blocks.push((n + 2, heading.clone(), body.join("\n")));
            }
        } else if trimmed.starts_with('#') {
            heading = trimmed.trim_start_matches('#').trim().to_owned();
        }
    }
    blocks
}

/// Splits a block into its operations, each with the comment lines above it and the number
/// of its first line within the block.
fn operations(block: &str) -> Vec<(usize, Vec<String>, String)> {
    let mut found = Vec::new();
    let mut comments = Vec::new();
    let mut current = String::new();
    let (mut depth, mut start_line, mut line) = (0usize, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = block.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            current.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => {
                let text: String = std::iter::from_fn(|| chars.next_if(|c| *c != '\n')).collect();
                if current.trim().is_empty() {
                    comments.push(text.trim().to_owned());
                }
                continue;
            }
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if current.trim().is_empty() && !c.is_whitespace() {
            current.clear();
            start_line = line;
        }
        current.push(c);
        if c == '}' && depth == 0 {
            found.push((
                start_line,
                std::mem::take(&mut comments),
                std::mem::take(&mut current).trim().to_owned(),
            ));
        }
    }
    assert!(
        current.trim().is_empty() && comments.is_empty(),
        "text after the last operation: {current:?} {comments:?}"
    );
    found
}

/// A block of several operations is pasted into GraphiQL whole: each operation must be named,
/// and each name once, or GraphiQL refuses the document.
fn pasted_as_is(first_line: usize, operations: &[(usize, Vec<String>, String)]) {
    let mut names = std::collections::HashSet::new();
    for (offset, _, document) in operations {
        let line = first_line + offset;
        let name = match parse_query(document) {
            Ok(parsed) => match parsed.operations {
                DocumentOperations::Multiple(ops) => ops.keys().next().map(|n| n.to_string()),
                DocumentOperations::Single(_) => None,
            },
            Err(e) => panic!("README.md:{line}: not GraphQL: {e}"),
        };
        let name = name.unwrap_or_else(|| {
            panic!("README.md:{line}: a block of several operations names each of them")
        });
        assert!(
            names.insert(name.clone()),
            "README.md:{line}: `{name}` twice in one block"
        );
    }
}

/// The demo user an `as:` comment names: `AGENCY ROLE`, then `, ` and the start of the
/// user's name when several users share agency and role.
fn demo_user(named: &str) -> &'static DemoUser {
    let (title, who) = named.split_once(", ").unwrap_or((named, ""));
    let matches: Vec<&DemoUser> = DEMO_USERS
        .iter()
        .filter(|u| format!("{} {}", u.agency, u.role) == title.trim())
        .filter(|u| u.name.starts_with(who.trim()))
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "`as: {named}` names one demo user of the README's table"
    );
    matches[0]
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    for (first_line, heading, block) in graphql_blocks(readme) {
        let mut user = None;
        let mut sources = HashMap::new();
        let operations = operations(&block);
        if operations.len() > 1 {
            pasted_as_is(first_line, &operations);
        }
        for (offset, comments, document) in operations {
            let mut expect = None;
            for comment in comments {
                if let Some(named) = comment.strip_prefix("as:") {
                    user = Some(demo_user(named.trim()));
                } else if let Some(code) = comment.strip_prefix("expect:") {
                    expect = Some(code.trim().to_owned());
                } else if let Some(variable) = comment.strip_prefix('$') {
                    let (name, rest) = variable.split_once(':').expect("`$name: source`");
                    let source = rest.split_whitespace().next().expect("a source");
                    sources.insert(name.trim().to_owned(), source.to_owned());
                }
            }
            let line = first_line + offset;
            examples.push(Example {
                line,
                user: user.unwrap_or_else(|| {
                    panic!("README.md:{line}: the block names no token (`# as: ...`)")
                }),
                heading: heading.clone(),
                document,
                sources: sources.clone(),
                expect,
            });
        }
    }
    examples
}

/// The server's local time zone in tests.
fn local_offset() -> FixedOffset {
    FixedOffset::east_opt((LOCAL_OFFSET_HOURS * 3600) as i32).unwrap()
}

/// A value from the clock: `today`, `yesterday`, `today-13`, `now`, `now+4h`, `now-90m`.
fn clock_value(source: &str) -> Option<Value> {
    let (base, change) = match source.find(['+', '-']) {
        Some(at) => (&source[..at], &source[at..]),
        None => (source, ""),
    };
    let signed = |digits: &str| -> i64 {
        let n: i64 = digits[1..].parse().expect("a number after the sign");
        if digits.starts_with('-') {
            -n
        } else {
            n
        }
    };
    match base {
        "today" | "yesterday" => {
            let days = if change.is_empty() { 0 } else { signed(change) };
            let days = days - i64::from(base == "yesterday");
            Some(json!(local_today() + Duration::days(days)))
        }
        "now" => {
            let shift = match change.char_indices().last() {
                None => Duration::zero(),
                Some((at, 'h')) => Duration::hours(signed(&change[..at])),
                Some((at, 'm')) => Duration::minutes(signed(&change[..at])),
                _ => panic!("`{source}`: now, now+4h or now-90m"),
            };
            let at = (Utc::now() + shift).with_timezone(&local_offset());
            Some(json!(at.to_rfc3339_opts(SecondsFormat::Secs, false)))
        }
        _ => None,
    }
}

/// Answers so far, each with its operation's name, latest last.
type Answers = Vec<(Option<String>, Value)>;

/// A value from an earlier answer: `root.path`, the root a field (or alias) of the latest
/// answer holding it, or the name of an operation.
fn answer_value(source: &str, answers: &Answers) -> Option<Value> {
    let mut path = source.split('.');
    let root = path.next()?;
    let mut value = answers.iter().rev().find_map(|(name, data)| {
        if name.as_deref() == Some(root) {
            Some(data)
        } else {
            data.get(root)
        }
    })?;
    for step in path {
        value = match (value, step) {
            (Value::Array(items), "last") => items.last()?,
            (Value::Array(items), index) => items.get(index.parse::<usize>().ok()?)?,
            (object, key) => object.get(key)?,
        };
    }
    Some(value.clone())
}

/// The variables an operation declares, filled from their sources.
fn variables(example: &Example, answers: &Answers) -> (Option<String>, Value) {
    let document = parse_query(&example.document)
        .unwrap_or_else(|e| panic!("{}: not GraphQL: {e}", example.place()));
    let (name, operation) = match &document.operations {
        DocumentOperations::Single(op) => (None, op),
        DocumentOperations::Multiple(ops) => {
            let (name, op) = ops.iter().next().expect("an operation");
            (Some(name.to_string()), op)
        }
    };
    let mut values = Map::new();
    for definition in &operation.node.variable_definitions {
        let variable = definition.node.name.node.to_string();
        let Some(source) = example.sources.get(&variable) else {
            assert!(
                definition.node.var_type.node.nullable || definition.node.default_value.is_some(),
                "{}: ${variable} has no source (`# ${variable}: ...`)",
                example.place()
            );
            continue;
        };
        let value = clock_value(source)
            .or_else(|| answer_value(source, answers))
            .unwrap_or_else(|| {
                panic!(
                    "{}: ${variable}: no earlier answer has `{source}`",
                    example.place()
                )
            });
        values.insert(variable, value);
    }
    (name, Value::Object(values))
}

/// The first item of a batch (or any object) that came back with an `error`.
fn item_error(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(fields) => fields
            .get("error")
            .filter(|e| !e.is_null())
            .map(|_| value)
            .or_else(|| fields.values().find_map(item_error)),
        Value::Array(items) => items.iter().find_map(item_error),
        _ => None,
    }
}

/// The string literals of a document.
fn string_literals(document: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = document.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => literal.extend(chars.next()),
                    '"' => break,
                    c => literal.push(c),
                }
            }
            literals.push(literal);
        }
    }
    literals
}

/// Ids and dates drift: the demo city is dated relative to today and its ids follow what was
/// created before. An example takes them from an earlier answer or the clock instead.
fn no_drifting_literals(example: &Example) {
    for literal in string_literals(&example.document) {
        // Phones (11 digits) and resident IDs (18) are what a person carries, not ids.
        let id = (1..=9).contains(&literal.len()) && literal.chars().all(|c| c.is_ascii_digit());
        let date = literal
            .get(..10)
            .is_some_and(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok());
        assert!(
            !id && !date,
            "{}: \"{literal}\" drifts; take it from an earlier answer or the clock",
            example.place()
        );
    }
}

async fn run(app: &TestApp, example: &Example, answers: &mut Answers) {
    no_drifting_literals(example);
    let user = example.user;
    let token = app.token_for(user.agency, user.role, user.org, user.subject);
    let (name, variables) = variables(example, answers);
    let response = app.gql(&token, &example.document, variables.clone()).await;
    let context = || {
        format!(
            "{} as {} {} ({}), variables {variables}:\n{}\n=> {response:#}",
            example.place(),
            user.agency,
            user.role,
            user.org,
            example.document
        )
    };
    match &example.expect {
        Some(code) => {
            assert_eq!(
                response["errors"][0]["extensions"]["code"].as_str(),
                Some(code.as_str()),
                "refused with {code}: {}",
                context()
            );
        }
        None => {
            assert!(response.get("errors").is_none(), "no errors: {}", context());
            assert!(
                item_error(&response["data"]).is_none(),
                "no item refused: {}",
                context()
            );
            answers.push((name, response["data"].clone()));
        }
    }
}

/// Residents the demo city gets under `cargo run`.
fn demo_residents() -> u32 {
    lianfang::config::Config::from_args(Vec::<String>::new())
        .expect("the default configuration")
        .demo_residents
}

/// A demo city seeded as `cargo run` seeds it. Loading it is one transaction of seconds on
/// PostgreSQL, which holds back every change-log reader of the server meanwhile: tests that
/// wait for a pushed event take `LONG_TRANSACTIONS` shared, so this takes it alone.
async fn seeded_demo_city() -> TestApp {
    let _exclusive = crate::helpers::LONG_TRANSACTIONS.write().await;
    spawn_with(Options {
        residents: Some(demo_residents()),
        outbreak: true,
        ..Options::default()
    })
    .await
}

/// One city for both: the figures are counted before the examples add to it.
#[tokio::test]
async fn the_readme_gives_the_demo_city_as_seeded_and_every_example_runs_as_written() {
    let examples = examples(README);
    assert!(examples.len() > 30, "{} examples", examples.len());
    let app = seeded_demo_city().await;
    the_figures_are_the_demo_citys(&app).await;
    let mut answers = Answers::new();
    for example in &examples {
        run(&app, example, &mut answers).await;
    }
    let text = readme_text();
    for (said, source, expected) in claims() {
        assert!(text.contains(said), "the README no longer says {said:?}");
        assert_eq!(
            answer_value(source, &answers),
            Some(expected),
            "the README says {said:?}: `{source}`"
        );
    }
    assert_eq!(
        answer_value("Merge.mergePersons.id", &answers),
        answers
            .iter()
            .find_map(|(_, data)| data.get("registerPerson"))
            .map(|returnee| returnee["id"].clone()),
        "the merge keeps the returnee's record"
    );
    let Some(Value::Array(pseudonymized)) = answer_value("Pseudonymized.persons.edges", &answers)
    else {
        panic!("the command's pseudonymized persons");
    };
    assert!(text.contains("`name` shows `段**`: the first character, then one `*` for each other"));
    for edge in &pseudonymized {
        let name = edge["node"]["name"].as_str().unwrap_or_default();
        let mut chars = name.chars();
        assert!(
            chars.next().is_some_and(|c| c != '*')
                && chars.clone().count() > 0
                && chars.all(|c| c == '*'),
            "a pseudonym shows the first character and one `*` for each other: {name}"
        );
    }
}

/// What the README says an example gives, beyond giving no error: its words, and where the
/// answer shows it.
fn claims() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "comes back pseudonymized (`周*`)",
            "TraceColleague.recordContact.person.name",
            json!("周*"),
        ),
        (
            "`suggestion: REPORT_CASE`",
            "Test.recordLabTest.suggestion",
            json!("REPORT_CASE"),
        ),
        (
            "37.3 °C or above",
            "Checks.recordHealthChecks.1.check.fever",
            json!(true),
        ),
        (
            "ends her observation",
            "ToHospital.endQuarantine.active",
            json!(false),
        ),
        (
            "then shows that person (here 周伟",
            "Injured.person.name",
            json!("周伟"),
        ),
    ]
}

#[test]
fn a_block_splits_into_its_operations_with_the_comments_above_each() {
    let block = "# as: X\n{ a(s: \"}{#\") { b } }\n\n# $v: today\n# expect: FORBIDDEN\nmutation M($v: NaiveDate) { c(d: $v) { e } }";
    let ops = operations(block);
    assert_eq!(ops.len(), 2);
    assert_eq!(
        ops[0],
        (1, vec!["as: X".into()], "{ a(s: \"}{#\") { b } }".into())
    );
    assert_eq!(ops[1].0, 5);
    assert_eq!(ops[1].1, ["$v: today", "expect: FORBIDDEN"]);
    assert!(ops[1].2.starts_with("mutation M("));
}

#[test]
fn clock_sources_are_dates_and_times_where_the_server_is() {
    assert_eq!(clock_value("today"), Some(json!(local_today())));
    assert_eq!(
        clock_value("today-13"),
        Some(json!(local_today() - Duration::days(13)))
    );
    assert_eq!(
        clock_value("yesterday"),
        Some(json!(local_today() - Duration::days(1)))
    );
    assert!(clock_value("now+4h")
        .unwrap()
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    assert_eq!(clock_value("registerPerson.id"), None);
}

#[test]
fn answer_paths_walk_objects_and_lists() {
    let answers: Answers = vec![
        (
            None,
            json!({ "a": { "edges": [{ "id": "1" }, { "id": "2" }] } }),
        ),
        (
            Some("Op".into()),
            json!({ "a": { "edges": [{ "id": "3" }] } }),
        ),
    ];
    assert_eq!(answer_value("a.edges.0.id", &answers), Some(json!("3")));
    assert_eq!(
        answer_value("Op.a.edges.last.id", &answers),
        Some(json!("3"))
    );
    assert_eq!(answer_value("a.edges.5.id", &answers), None);
}

/// The figures the README gives of the demo city, as it words them, what they say, and how to
/// count them in the seeded city. "about" allows a tenth either way: today's checkpoint
/// passages are there up to the hour the city was seeded.
const FIGURES: &[(&str, i64, &str)] = &[
    (
        "4 districts",
        4,
        "SELECT COUNT(*) FROM org_unit WHERE level = 'DISTRICT'",
    ),
    (
        "12 streets",
        12,
        "SELECT COUNT(*) FROM org_unit WHERE level = 'STREET'",
    ),
    (
        "36 communities",
        36,
        "SELECT COUNT(*) FROM org_unit WHERE level = 'COMMUNITY'",
    ),
    (
        "144 grids",
        144,
        "SELECT COUNT(*) FROM org_unit WHERE level = 'GRID'",
    ),
    // The planted second records are the ones with a self-reported (自述) address.
    (
        "3,000 generated residents",
        3000,
        "SELECT COUNT(*) FROM person WHERE address IS NULL OR address NOT LIKE '%（自述）'",
    ),
    (
        "four residents recorded twice",
        4,
        "SELECT COUNT(*) FROM person WHERE address LIKE '%（自述）'",
    ),
    (
        "80 cases over the four districts",
        80,
        "SELECT COUNT(*) FROM case_record",
    ),
    ("238 close contacts", 238, "SELECT COUNT(*) FROM contact"),
    (
        "190 medical observations",
        190,
        "SELECT COUNT(*) FROM quarantine",
    ),
    ("41 tasks, in every state", 41, "SELECT COUNT(*) FROM task"),
    (
        "41 tasks, in every state",
        5,
        "SELECT COUNT(DISTINCT status) FROM task \
         WHERE status IN ('OPEN', 'ACCEPTED', 'DONE', 'REJECTED', 'CANCELLED')",
    ),
    (
        "about 200 checkpoint passages",
        200,
        "SELECT COUNT(*) FROM checkpoint_entry",
    ),
];

/// The README's text with every run of white space one space, as a reader reads it.
fn readme_text() -> String {
    README.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn the_figures_are_the_demo_citys(app: &TestApp) {
    let text = readme_text();
    for &(figure, said, sql) in FIGURES {
        assert!(
            text.contains(figure),
            "the README no longer says {figure:?}"
        );
        let counted = app.count(sql).await;
        if figure.starts_with("about ") {
            assert!(
                (counted - said).abs() * 10 <= said,
                "the README says {figure:?}, the demo city has {counted}"
            );
        } else {
            assert_eq!(counted, said, "the README says {figure:?}");
        }
    }
    let across = app
        .count(
            "SELECT COUNT(*) FROM contact k \
             JOIN case_record c ON c.id = k.source_case_id \
             JOIN person a ON a.id = c.person_id JOIN person b ON b.id = k.person_id \
             JOIN org_unit da ON da.level = 'DISTRICT' AND a.residence_path LIKE da.path || '%' \
             JOIN org_unit db ON db.level = 'DISTRICT' AND b.residence_path LIKE db.path || '%' \
             WHERE da.id <> db.id",
        )
        .await;
    let contacts = app.count("SELECT COUNT(*) FROM contact").await;
    assert!(
        text.contains("most of them across district lines") && across * 2 > contacts,
        "{across} of {contacts} contacts live in another district than their case"
    );
}

#[test]
#[should_panic(expected = "names each of them")]
fn a_block_of_several_operations_names_each_so_graphiql_takes_it_whole() {
    pasted_as_is(1, &operations("query A { a }\n{ b }"));
}

#[test]
fn ids_and_dates_written_into_an_example_are_refused() {
    assert_eq!(
        string_literals(r#"{ a(id: "42", s: "x\"y", d: "2026-11-23") }"#),
        ["42", "x\"y", "2026-11-23"]
    );
    let example = |document: &str| Example {
        line: 1,
        heading: String::new(),
        document: document.to_owned(),
        user: &DEMO_USERS[0],
        sources: HashMap::new(),
        expect: None,
    };
    no_drifting_literals(&example(
        r#"{ persons(filter: { orgUnit: "DEMO-01" }) { id } }"#,
    ));
    for drifting in [
        r#"{ person(id: "42") { id } }"#,
        r#"{ dailyReport(date: "2026-11-23") { date } }"#,
    ] {
        let refused = std::panic::catch_unwind(|| no_drifting_literals(&example(drifting)));
        assert!(refused.is_err(), "{drifting}");
    }
}

/// The subscription of the README's JavaScript example: the text after `query: "`.
fn readme_subscription() -> &'static str {
    let (_, after) = README
        .split_once("```js")
        .and_then(|(_, js)| js.split_once("query: \""))
        .expect("the README's graphql-ws example");
    after.split('"').next().unwrap_or_default()
}

#[tokio::test]
async fn the_readmes_subscription_pushes_a_fever_to_the_grid_worker() {
    let subscription = readme_subscription();
    assert!(subscription.starts_with("subscription {"), "{subscription}");
    let _timed = crate::helpers::LONG_TRANSACTIONS.read().await;
    let app = spawn_with(Options::default()).await;
    let worker = demo_user("COMMUNITY OPERATOR");
    let token = app.token_for(worker.agency, worker.role, worker.org, worker.subject);
    let mut socket = crate::subscriptions::subscribe(&app.base, &token, subscription).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let residents = app
        .gql(
            &token,
            "{ persons(first: 1) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    let resident = &residents["data"]["persons"]["edges"][0]["node"];
    let checks = app
        .gql(
            &token,
            "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status } }",
            json!({ "c": [{ "idempotencyKey": "readme-fever", "person": resident["id"],
                "measuredAt": clock_value("now-1m"), "temperature": 38.4 }] }),
        )
        .await;
    assert_eq!(
        checks["data"]["recordHealthChecks"][0]["status"], "RECORDED",
        "{checks}"
    );
    let pushed = crate::subscriptions::next_event(&mut socket, std::time::Duration::from_secs(10))
        .await
        .expect("the fever is pushed");
    assert_eq!(pushed["data"]["alerts"]["kind"], "FEVER", "{pushed}");
    assert_eq!(
        pushed["data"]["alerts"]["person"]["name"], resident["name"],
        "{pushed}"
    );
}
