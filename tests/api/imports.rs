//! Importing a line list (台账导入): a village's own spreadsheet, row by row, over HTTP.

use std::time::Duration;

use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{resident_id, COMMUNITY},
    helpers::{assert_ok, spawn_with, Options, TestApp},
};

const OTHER_DISTRICT_GRID: &str = "DEMO-02-01-01-01";

/// The same number in full-width digits, as a Chinese input method types it.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
        .collect()
}

/// A valid number with its check digit changed.
fn bad_check_digit(n: u16) -> String {
    let mut id = resident_id(n);
    let last = id.pop().unwrap();
    id.push(if last == '0' { '1' } else { '0' });
    id
}

async fn register_as_police(app: &TestApp, n: u16, name: &str, grid: &str) -> String {
    let token = app.token(Agency::Police, Role::Operator, "DEMO");
    let response = app
        .gql(
            &token,
            crate::fixtures::REGISTER,
            json!({ "input": {
                "documentType": "RESIDENT_ID", "documentNumber": resident_id(n), "name": name,
                "phone": "13700000099", "residence": grid,
            }}),
        )
        .await;
    assert_ok(&response);
    response["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The village list: mixed Chinese and English headers, full-width characters, a bad
/// check digit, a row outside the jurisdiction, a duplicate row, a person the police
/// already registered here, and one the police registered in another district.
fn village_list() -> Vec<Vec<String>> {
    vec![
        vec![
            "序号",
            "姓名",
            "身份证号码",
            "Phone",
            "住址",
            "网格",
            "来自",
            "返回日期",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        // Row 2: a returnee nobody knows yet.
        vec![
            "1".into(),
            "张伟".into(),
            resident_id(701),
            "13900000701".into(),
            "幸福里3栋2单元".into(),
            "DEMO-01-01-01-01".into(),
            "武汉市".into(),
            "2026-11-28".into(),
        ],
        // Row 3: the check digit is wrong.
        vec![
            "2".into(),
            "李娜".into(),
            bad_check_digit(702),
            "13900000702".into(),
            "幸福里4栋".into(),
            "DEMO-01-01-01-01".into(),
            "上海市".into(),
            "2026/11/29".into(),
        ],
        // Row 4: typed in full-width characters, the grid named as the village names it.
        vec![
            "3".into(),
            "王芳".into(),
            full_width(&resident_id(703)),
            full_width("13900000703"),
            "幸福里５栋".into(),
            "第二网格".into(),
            "广州市".into(),
            "2026年11月30日".into(),
        ],
        // Row 5: lives in another district.
        vec![
            "4".into(),
            "刘洋".into(),
            resident_id(704),
            "13900000704".into(),
            "江南区某街".into(),
            OTHER_DISTRICT_GRID.into(),
            "".into(),
            "".into(),
        ],
        // Row 6: row 2 again.
        vec![
            "5".into(),
            "张伟".into(),
            resident_id(701),
            "13900000701".into(),
            "幸福里3栋2单元".into(),
            "DEMO-01-01-01-01".into(),
            "武汉市".into(),
            "2026-11-28".into(),
        ],
        // Row 7: the police registered him here already.
        vec![
            "6".into(),
            "陈军".into(),
            resident_id(706),
            "13700000099".into(),
            "".into(),
            "DEMO-01-01-01-01".into(),
            "".into(),
            "".into(),
        ],
        // Row 8: the police registered this number in another district, under another name.
        vec![
            "7".into(),
            "周敏".into(),
            resident_id(707),
            "13900000707".into(),
            "幸福里6栋".into(),
            "DEMO-01-01-01-02".into(),
            "".into(),
            "".into(),
        ],
        // Row 9: no document, matched by name and phone if known.
        vec![
            "8".into(),
            "孙丽".into(),
            "".into(),
            "13900000708".into(),
            "幸福里7栋".into(),
            "DEMO-01-01-01-03".into(),
            "".into(),
            "".into(),
        ],
        // Row 10: a phone number that is not one.
        vec![
            "9".into(),
            "吴刚".into(),
            resident_id(709),
            "12345".into(),
            "".into(),
            "DEMO-01-01-01-01".into(),
            "".into(),
            "".into(),
        ],
    ]
}

fn csv_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .map(|cell| {
                if cell.contains(',') || cell.contains('"') {
                    format!("\"{}\"", cell.replace('"', "\"\""))
                } else {
                    cell.clone()
                }
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn xlsx_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // A title merged above the header, as village ledgers have.
    sheet
        .write_string(0, 0, "幸福里社区返乡人员登记台账")
        .unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // Phones typed as numbers, as Excel keeps them.
            match cell.parse::<f64>() {
                Ok(number) if c == 3 => sheet.write_number(r, c, number).unwrap(),
                _ => sheet.write_string(r, c, cell).unwrap(),
            };
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// Uploads a file and waits for its import to finish; returns its final status.
async fn import(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, dry_run: bool) -> Value {
    let (status, body) = upload(app, token, name, bytes, &[("dryRun", dry_run.to_string())]).await;
    assert!(status == 201 || status == 202, "{status} {body}");
    wait_for(app, token, body["id"].as_i64().unwrap()).await
}

async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, String)],
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    for (key, value) in fields {
        form = form.text(key.to_string(), value.clone());
    }
    let response = app
        .client
        .post(format!("{}/imports?wait=10", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        // The reasons are asserted in English; Chinese is the default (tests/api/languages.rs).
        .header("Accept-Language", "en")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn wait_for(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..300 {
        let (code, status) = get(app, token, &format!("/imports/{id}")).await;
        assert_eq!(code, 200, "{status}");
        if status["status"] != "RUNNING" {
            assert_eq!(status["status"], "DONE", "{status}");
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import did not finish");
}

/// Every row of the report, walking its pages.
async fn report(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let (code, page) = get(app, token, &format!("/imports/{id}/rows?first=3{after}")).await;
        assert_eq!(code, 200, "{page}");
        rows.extend(page["rows"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return rows;
        }
        after = format!("&after={}", page["pageInfo"]["endCursor"].as_str().unwrap());
    }
}

/// `(row, outcome, column, reason)` of each row.
fn outcomes(rows: &[Value]) -> Vec<(i64, String, Option<String>, Option<String>)> {
    rows.iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["column"].as_str().map(str::to_owned),
                r["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// What a dry run gives instead: the resident the community already knows is not tried (a
/// dry run keeps nothing a try at a masked number could be counted by).
fn expected_in_a_dry_run() -> Vec<(i64, String, Option<String>, Option<String>)> {
    expected()
        .into_iter()
        .map(|row| match row.1.as_str() {
            "UPDATED" => (
                row.0,
                "REJECTED".to_owned(),
                Some("身份证号码".to_owned()),
                Some(
                    "a dry run does not try a number that looks like one of your residents' \
                     (a masked number could be found by trying); import the list to register it"
                        .to_owned(),
                ),
            ),
            _ => row,
        })
        .collect()
}

fn expected() -> Vec<(i64, String, Option<String>, Option<String>)> {
    let row = |n: i64, outcome: &str, column: Option<&str>, reason: Option<&str>| {
        (
            n,
            outcome.to_owned(),
            column.map(str::to_owned),
            reason.map(str::to_owned),
        )
    };
    vec![
        row(2, "CREATED", None, None),
        row(
            3,
            "REJECTED",
            Some("身份证号码"),
            Some("the check digit does not match"),
        ),
        row(4, "CREATED", None, None),
        row(
            5,
            "REJECTED",
            Some("网格"),
            Some("网格: the grid lies outside your jurisdiction"),
        ),
        row(
            6,
            "POSSIBLE_DUPLICATE",
            None,
            Some("the same person as row 2"),
        ),
        row(7, "UPDATED", None, None),
        // Exactly what an unknown number gets: nothing says the number is known elsewhere.
        row(8, "CREATED", None, None),
        row(9, "CREATED", None, None),
        row(
            10,
            "REJECTED",
            Some("Phone"),
            Some("must be an 11-digit mobile number or a landline with its area code"),
        ),
    ]
}

/// What the database holds about persons, the test's independent view.
async fn persons_fingerprint(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM person").await,
        app.count("SELECT COALESCE(SUM(version), 0) FROM person")
            .await,
        app.count("SELECT COALESCE(SUM(report_count), 0) FROM person_provenance")
            .await,
        app.count("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation importPersons'")
            .await,
    )
}

/// `(persons, knownToSeveral)` of the community, as its worker reads them.
async fn reconciliation(app: &TestApp, token: &str) -> (i64, i64) {
    let response = app
        .gql(
            token,
            "{ reconciliation(orgUnit: \"DEMO-01-01-01\") { persons knownToSeveral } }",
            json!({}),
        )
        .await;
    assert_ok(&response);
    let r = &response["data"]["reconciliation"];
    let number = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| panic!("a count: {response}"))
    };
    (number(&r["persons"]), number(&r["knownToSeveral"]))
}

async fn village_app() -> (TestApp, String, String, String) {
    // Chunks of four rows: the list spans three transactions.
    let app = spawn_with(Options {
        extra_args: vec!["--import-chunk-rows".into(), "4".into()],
        ..Options::default()
    })
    .await;
    let known_here = register_as_police(&app, 706, "陈军", "DEMO-01-01-01-01").await;
    let known_elsewhere = register_as_police(&app, 707, "郑强", OTHER_DISTRICT_GRID).await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    (app, token, known_here, known_elsewhere)
}

#[tokio::test]
async fn a_village_list_is_imported_row_by_row_and_a_second_import_writes_nothing() {
    let (app, token, known_here, known_elsewhere) = village_app().await;
    let file = csv_of(&village_list());
    let before = persons_fingerprint(&app).await;
    let reconciled_before = reconciliation(&app, &token).await;

    // A dry run gives the report and writes nothing.
    let dry = import(&app, &token, "village.csv", file.clone(), true).await;
    assert_eq!(dry["dryRun"], true);
    assert_eq!(dry["totalRows"], 9);
    assert_eq!(dry["processedRows"], 9);
    let dry_rows = report(&app, &token, dry["id"].as_i64().unwrap()).await;
    assert_eq!(outcomes(&dry_rows), expected_in_a_dry_run());
    assert_eq!(persons_fingerprint(&app).await, before, "a dry run wrote");

    // The import itself gives the same report, and writes.
    let done = import(&app, &token, "village.csv", file.clone(), false).await;
    assert_eq!(
        (
            done["created"].as_i64(),
            done["updated"].as_i64(),
            done["possibleDuplicates"].as_i64(),
            done["rejected"].as_i64()
        ),
        (Some(4), Some(1), Some(1), Some(3)),
        "{done}"
    );
    let rows = report(&app, &token, done["id"].as_i64().unwrap()).await;
    assert_eq!(outcomes(&rows), expected());
    let after = persons_fingerprint(&app).await;
    assert_eq!(after.0, before.0 + 4, "four new records");
    // The reconciliation view shows it: four more residents, and the one the police knew is
    // now known to two channels.
    let reconciled = reconciliation(&app, &token).await;
    assert_eq!(reconciled.0, reconciled_before.0 + 4, "{reconciled:?}");
    assert_eq!(reconciled.1, reconciled_before.1 + 1, "{reconciled:?}");
    assert!(after.3 > before.3, "the import is audited");

    // The person the police knew took the community's report.
    assert_eq!(
        rows[5]["personId"].as_i64().unwrap().to_string(),
        known_here
    );
    let provenance = app
        .count(&format!(
            "SELECT COUNT(*) FROM person_provenance WHERE person_id = {known_here} AND agency = 'COMMUNITY'"
        ))
        .await;
    assert_eq!(provenance, 1);
    // The number known elsewhere made a record of the village's own, held for verification,
    // and the other person was not touched.
    let held = rows[6]["personId"].as_i64().unwrap();
    assert_ne!(held.to_string(), known_elsewhere);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM person WHERE id = {held} AND held_for_id = {known_elsewhere}"
        ))
        .await,
        1
    );
    // The full-width row was stored in plain digits.
    let id = rows[2]["personId"].as_i64().unwrap();
    let worker = app
        .gql(
            &token,
            "query($id: ID!) { person(id: $id) { name phone } }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_ok(&worker);
    assert_eq!(worker["data"]["person"]["phone"], "13900000703");
    // Every written person is named by the import's audit events.
    let named = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation importPersons' \
             AND (entity_id = {id} OR CAST(entity_ids AS TEXT) LIKE '%{id}%')"
        ))
        .await;
    assert_eq!(named, 1);

    // Importing the same file again writes nothing.
    let again = import(&app, &token, "village.csv", file, false).await;
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert_eq!(again["unchanged"], 5, "{again}");
    assert_eq!(persons_fingerprint(&app).await, after, "a re-import wrote");
}

#[tokio::test]
async fn a_workbook_with_a_title_row_gives_the_report_the_csv_gives() {
    let (app, token, _, _) = village_app().await;
    let dry = import(&app, &token, "village.xlsx", xlsx_of(&village_list()), true).await;
    assert_eq!(dry["format"], "XLSX");
    let rows = report(&app, &token, dry["id"].as_i64().unwrap()).await;
    // The title takes row 1, so every row is one further down.
    let shifted: Vec<_> = expected_in_a_dry_run()
        .into_iter()
        .map(|(n, o, c, r)| (n + 1, o, c, r.map(|r| r.replace("row 2", "row 3"))))
        .collect();
    assert_eq!(outcomes(&rows), shifted);
}

#[tokio::test]
async fn a_list_without_a_name_column_is_refused_unless_mapped() {
    let app = spawn_with(Options::default()).await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let file = "联系人,手机,网格\r\n马超,13900000801,DEMO-01-01-01-01\r\n"
        .as_bytes()
        .to_vec();
    let (status, body) = upload(&app, &token, "list.csv", file.clone(), &[]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let mapping = json!({ "联系人": "name" }).to_string();
    let (status, body) = upload(&app, &token, "list.csv", file, &[("mapping", mapping)]).await;
    assert!(status == 201 || status == 202, "{body}");
    let done = wait_for(&app, &token, body["id"].as_i64().unwrap()).await;
    assert_eq!(done["created"], 1, "{done}");
}

#[tokio::test]
async fn an_import_is_followed_only_by_its_uploader() {
    let (app, token, _, _) = village_app().await;
    let done = import(&app, &token, "village.csv", csv_of(&village_list()), true).await;
    let id = done["id"].as_i64().unwrap();
    let colleague = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-li",
    );
    let (status, body) = get(&app, &colleague, &format!("/imports/{id}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = get(&app, &colleague, &format!("/imports/{id}/rows")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn analysts_may_not_import() {
    let app = spawn_with(Options::default()).await;
    let token = app.token(Agency::Command, Role::Analyst, "DEMO");
    let (status, body) = upload(&app, &token, "village.csv", csv_of(&village_list()), &[]).await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn files_beyond_the_bounds_are_refused_with_a_clear_error() {
    let app = spawn_with(Options {
        extra_args: vec![
            "--max-import-rows".into(),
            "5".into(),
            "--max-import-bytes".into(),
            "4096".into(),
        ],
        ..Options::default()
    })
    .await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let (status, body) = upload(&app, &token, "village.csv", csv_of(&village_list()), &[]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("超过 5 行"),
        "Chinese by default: {body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM person_import").await, 0);

    let mut big = b"name,phone\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5000));
    let (status, body) = upload(&app, &token, "big.csv", big, &[]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn a_long_list_is_written_in_chunks_and_reports_its_progress() {
    let app = spawn_with(Options {
        extra_args: vec!["--import-chunk-rows".into(), "100".into()],
        ..Options::default()
    })
    .await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let mut rows = vec![vec![
        "name".to_owned(),
        "document".to_owned(),
        "grid".to_owned(),
    ]];
    // Each number of a look of its own (region, birth year, last two characters), as in a
    // real list: many of one look would be tries at a masked number (`guesses`), refused.
    let mut looks = std::collections::HashSet::new();
    for i in 0..u32::MAX {
        if rows.len() > 1200 {
            break;
        }
        let birth = chrono::NaiveDate::from_ymd_opt(1940 + (i % 80) as i32, 1, 1).unwrap()
            + chrono::Duration::days(i64::from(i * 7 % 365));
        let number =
            lianfang::domain::values::ResidentId::generate(339_901, birth, (i / 80 % 1000) as u16)
                .unwrap()
                .as_str()
                .to_owned();
        if !looks.insert(format!("{}{}", &number[..10], &number[16..])) {
            continue;
        }
        rows.push(vec![
            format!("居民{i}"),
            number,
            "DEMO-01-01-01-04".to_owned(),
        ]);
    }
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv_of(&rows)).file_name("long.csv"),
    );
    form = form.text("dryRun", "false");
    let statements_before = app.statements();
    // Without `wait`, the upload answers at once: accepted, still running.
    let response = app
        .client
        .post(format!("{}/imports", app.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "RUNNING");
    assert_eq!(accepted["totalRows"], 1200);
    assert_eq!(location, format!("/imports/{}", accepted["id"]));

    let done = wait_for(&app, &token, accepted["id"].as_i64().unwrap()).await;
    assert_eq!(done["processedRows"], 1200);
    assert_eq!(done["created"], 1200);
    // A chunk's rows are looked up and written together: the statements do not grow with
    // the rows (about a dozen a chunk, and the polls above), where a statement or more per
    // row would be over 1,200.
    let statements = app.statements() - statements_before;
    assert!(statements < 600, "{statements} statements for 1,200 rows");
    // One audit event per chunk, each naming its hundred persons.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation importPersons'")
            .await,
        12
    );
    let id = done["id"].as_i64().unwrap();
    let (_, page) = get(&app, &token, &format!("/imports/{id}/rows?first=1000")).await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 1000);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["endCursor"], "1001");
    let (_, rest) = get(
        &app,
        &token,
        &format!("/imports/{id}/rows?first=1000&after=1001"),
    )
    .await;
    assert_eq!(rest["rows"].as_array().unwrap().len(), 200);
    assert_eq!(rest["rows"][199]["row"], 1201);
    let (_, rejected) = get(
        &app,
        &token,
        &format!("/imports/{id}/rows?outcome=REJECTED"),
    )
    .await;
    assert_eq!(rejected["rows"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_worked_example_in_the_readme_imports_as_it_says() {
    let app = spawn_with(Options::default()).await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let file = include_bytes!("../../docs/examples/village-returnees.csv").to_vec();
    let dry = import(&app, &token, "village-returnees.csv", file, true).await;
    assert_eq!(
        (
            dry["totalRows"].as_i64(),
            dry["created"].as_i64(),
            dry["possibleDuplicates"].as_i64(),
            dry["rejected"].as_i64()
        ),
        (Some(7), Some(3), Some(1), Some(3)),
        "{dry}"
    );
    let rows = report(&app, &token, dry["id"].as_i64().unwrap()).await;
    assert_eq!(rows[1]["column"], "身份证号码");
    assert_eq!(rows[1]["reason"], "the check digit does not match");
    let readme = include_str!("../../README.md");
    assert!(readme.contains("-F file=@docs/examples/village-returnees.csv -F dryRun=true"));
    assert!(readme
        .contains(r#""created":3,"updated":0,"unchanged":0,"possibleDuplicates":1,"rejected":3"#));
}

#[tokio::test]
async fn a_row_without_a_number_tells_no_birth_date_to_whoever_cannot_see_it() {
    let app = spawn_with(Options::default()).await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    // One resident with a resident ID (its birth date inside the number), one without.
    let with_id = crate::fixtures::register(&app, 731, "欧阳明", "DEMO-01-01-01-01").await;
    let birth = &with_id.document[6..14];
    let birth = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
    let without = app
        .gql(
            &health,
            crate::fixtures::REGISTER,
            json!({ "input": { "name": "欧阳亮", "phone": "13900000732", "birthDate": "1980-05-17",
                    "residence": "DEMO-01-01-01-01" } }),
        )
        .await;
    assert_ok(&without);

    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let list = |rows: &[(&str, &str, &str)]| {
        let mut all = vec![vec![
            "姓名".to_owned(),
            "手机".into(),
            "出生日期".into(),
            "网格".into(),
        ]];
        for (name, phone, date) in rows {
            all.push(vec![
                (*name).to_owned(),
                (*phone).to_owned(),
                (*date).to_owned(),
                "DEMO-01-01-01-01".to_owned(),
            ]);
        }
        csv_of(&all)
    };
    // The community reports both first, without dates: from now on a row that changes
    // nothing would come back UNCHANGED.
    let file = list(&[
        ("欧阳明", &with_id.phone, ""),
        ("欧阳亮", "13900000732", ""),
    ]);
    let first = import(&app, &token, "first.csv", file, false).await;
    assert_eq!(first["updated"], 2, "{first}");
    // The true birth date and a wrong one get the same answer, for both residents.
    let file = list(&[
        ("欧阳明", &with_id.phone, &birth),
        ("欧阳亮", "13900000732", "1980-05-17"),
    ]);
    let right = import(&app, &token, "right.csv", file, true).await;
    let file = list(&[
        ("欧阳明", &with_id.phone, "1990-01-01"),
        ("欧阳亮", "13900000732", "1990-01-01"),
    ]);
    let wrong = import(&app, &token, "wrong.csv", file, true).await;
    let right = outcomes(&report(&app, &token, right["id"].as_i64().unwrap()).await);
    let wrong = outcomes(&report(&app, &token, wrong["id"].as_i64().unwrap()).await);
    assert_eq!(right, wrong);
    assert_eq!(right[0].1, "REJECTED", "{right:?}");
    assert_eq!(right[0].2.as_deref(), Some("出生日期"));
    assert_eq!(right[1].1, "UPDATED", "{right:?}");
    // Nor does a name with a birth date alone find anyone for them.
    let file = list(&[("欧阳亮", "", "1980-05-17")]);
    let alone = import(&app, &token, "alone.csv", file, true).await;
    assert_eq!(alone["created"], 1, "{alone}");
}

/// A list is a way to try numbers too: its rows count against the same limit as single
/// registrations, and a dry run (which keeps nothing a try could be counted by) tries no
/// number that looks like a resident's, the right one included.
#[tokio::test]
async fn a_list_of_tried_numbers_finds_no_masked_number() {
    let app = spawn_with(Options::default()).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let resident = crate::fixtures::register(&app, 4331, "李守号", crate::fixtures::GRID).await;
    let tries: Vec<String> = crate::inference::look_alikes(&resident.document)
        .take(4)
        .collect();
    let mut rows = vec![vec![
        "姓名".to_owned(),
        "身份证号".to_owned(),
        "网格".to_owned(),
    ]];
    for number in tries.iter().chain([&resident.document]) {
        rows.push(vec![
            "李守号".to_owned(),
            number.clone(),
            crate::fixtures::GRID.to_owned(),
        ]);
    }
    let outcomes = |rows: &[Value]| -> Vec<(String, Option<String>)> {
        rows.iter()
            .map(|r| {
                (
                    r["outcome"].as_str().unwrap().to_owned(),
                    r["reason"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };

    let dry = import(&app, &token, "tries.csv", csv_of(&rows), true).await;
    let dry = outcomes(&report(&app, &token, dry["id"].as_i64().unwrap()).await);
    assert_eq!(dry.len(), 5);
    assert!(dry.iter().all(|row| row == &dry[0]), "{dry:?}");
    assert_eq!(dry[0].0, "REJECTED");

    let kept = import(&app, &token, "tries.csv", csv_of(&rows), false).await;
    let kept = outcomes(&report(&app, &token, kept["id"].as_i64().unwrap()).await);
    assert!(kept[..3].iter().all(|(o, _)| o == "CREATED"), "{kept:?}");
    // The fourth try and the resident's own number read alike.
    assert_eq!(kept[3].0, "REJECTED");
    assert_eq!(kept[3], kept[4]);
    assert!(!format!("{kept:?}").contains(&resident.id));
}

#[tokio::test]
async fn the_report_speaks_chinese_unless_asked_otherwise() {
    let (app, token, _, _) = village_app().await;
    let done = import(&app, &token, "village.csv", csv_of(&village_list()), false).await;
    let id = done["id"].as_i64().unwrap();
    let response = app
        .client
        .get(format!("{}/imports/{id}/rows?first=100", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page: Value = response.json().await.unwrap();
    let reasons: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"与第 2 行是同一人"), "{reasons:?}");
    // Every reason is Chinese: none is left in English.
    for reason in &reasons {
        assert!(
            reason
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "not Chinese: {reason}"
        );
    }
    // The same report in English.
    let (_, english) = get(&app, &token, &format!("/imports/{id}/rows?first=100")).await;
    assert!(english["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["reason"] == "the same person as row 2"));
}

#[tokio::test]
async fn an_import_whose_server_stopped_says_so_and_what_to_do() {
    let (app, token, _, _) = village_app().await;
    let done = import(&app, &token, "village.csv", csv_of(&village_list()), false).await;
    let id = done["id"].as_i64().unwrap();
    // As a server killed mid-import leaves it: RUNNING, its last heartbeat long ago.
    app.execute(&format!(
        "UPDATE person_import SET status = 'RUNNING', finished_at = NULL, \
         heartbeat_at = '2020-01-01T00:00:00+00:00' WHERE id = {id}"
    ))
    .await;
    let (code, status) = get(&app, &token, &format!("/imports/{id}")).await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["status"], "FAILED", "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("upload the file again"),
        "{status}"
    );
    assert!(status["finishedAt"].is_string(), "{status}");
    // In Chinese by default.
    let chinese: Value = app
        .client
        .get(format!("{}/imports/{id}", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        chinese["error"].as_str().unwrap().contains("重新上传"),
        "{chinese}"
    );
    // An import that still beats is left alone.
    app.execute(&format!(
        "UPDATE person_import SET status = 'RUNNING', finished_at = NULL, error = NULL, \
         heartbeat_at = started_at WHERE id = {id}"
    ))
    .await;
    let (_, running) = get(&app, &token, &format!("/imports/{id}")).await;
    assert_eq!(running["status"], "RUNNING", "{running}");
}

#[tokio::test]
async fn two_rows_that_land_on_one_resident_are_one_person_not_a_failed_import() {
    let app = spawn_with(Options::default()).await;
    let known = crate::fixtures::register(&app, 731, "孙海燕", "DEMO-01-01-01-01").await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    // One row by the number, one without it, by name and phone: the same resident, in one
    // chunk.
    let rows = vec![
        vec![
            "姓名".to_owned(),
            "身份证号码".to_owned(),
            "手机".to_owned(),
            "住址".to_owned(),
        ],
        vec![
            known.name.clone(),
            known.document.clone(),
            known.phone.clone(),
            "幸福里1栋".to_owned(),
        ],
        vec![
            known.name.clone(),
            String::new(),
            known.phone.clone(),
            "幸福里2栋".to_owned(),
        ],
    ];
    let (status, body) = upload(
        &app,
        &token,
        "twice.csv",
        csv_of(&rows),
        &[("grid", "DEMO-01-01-01-01".to_owned())],
    )
    .await;
    assert!(status == 201 || status == 202, "{status} {body}");
    let done = wait_for(&app, &token, body["id"].as_i64().unwrap()).await;
    let lines = report(&app, &token, done["id"].as_i64().unwrap()).await;
    assert_eq!(
        outcomes(&lines),
        vec![
            (2, "UPDATED".to_owned(), None, None),
            (
                3,
                "POSSIBLE_DUPLICATE".to_owned(),
                None,
                Some("the same person as row 2".to_owned())
            ),
        ],
        "{done}"
    );
    assert_eq!(lines[0]["personId"].as_i64().unwrap().to_string(), known.id);
    let address = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE id = {} AND address = '幸福里1栋'",
            known.id
        ))
        .await;
    assert_eq!(
        address, 1,
        "the first row's details, not overwritten by the second"
    );
}

#[tokio::test]
async fn rows_without_a_number_are_matched_in_one_statement_per_chunk() {
    let app = spawn_with(Options::default()).await;
    let token = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "grid-worker-chen",
    );
    let mut rows = vec![vec![
        "姓名".to_owned(),
        "手机".to_owned(),
        "网格".to_owned(),
    ]];
    for i in 0..120u32 {
        rows.push(vec![
            format!("无证{i}"),
            format!("137{:08}", i * 7),
            "DEMO-01-01-01-01".to_owned(),
        ]);
    }
    let before = app.statements();
    let (status, body) = upload(&app, &token, "nameonly.csv", csv_of(&rows), &[]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["created"], 120, "{body}");
    // Matching 120 rows by name and phone does not cost a statement each.
    let statements = app.statements() - before;
    assert!(statements < 60, "{statements} statements for 120 rows");
}
