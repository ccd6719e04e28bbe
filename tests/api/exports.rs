//! Ledgers (台账): each list downloads as CSV and XLSX whose rows are the list query's
//! answer for the same principal, masks included, and the download is audited.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::COMMUNITY,
    helpers::{spawn_with, Options, TestApp},
};

/// A downloaded file: status, content type, body.
async fn download(app: &TestApp, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}/exports/{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// The rows of a CSV ledger, header first (after the UTF-8 byte-order mark Excel needs).
fn csv_table(body: &[u8]) -> Vec<Vec<String>> {
    let body = body
        .strip_prefix("\u{feff}".as_bytes())
        .expect("a CSV ledger starts with the UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    reader
        .records()
        .map(|record| {
            record
                .expect("valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The rows of an XLSX ledger's one sheet, header first, every cell as text.
fn xlsx_table(body: &[u8]) -> Vec<Vec<String>> {
    let mut workbook = Xlsx::new(Cursor::new(body.to_vec())).expect("valid XLSX");
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).expect("a sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Numbers as a sheet holds them: an XLSX number cell keeps the value, not its spelling
/// (`36.0` reads back as `36`).
fn as_sheet_numbers(table: &[Vec<String>]) -> Vec<Vec<String>> {
    table
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| match cell.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                    Ok(f) => f.to_string(),
                    Err(_) => cell.clone(),
                })
                .collect()
        })
        .collect()
}

/// A list query's answer as the ledger spells it: booleans 是/否, lists joined with 、.
fn spelled(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

fn at<'a>(node: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(node, |value, segment| &value[segment])
}

/// The list read through GraphQL, page by page, as a table with the given columns.
async fn list_table(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    columns: &[(&str, &str)],
) -> Vec<Vec<String>> {
    let nodes = app.all_pages(token, query, field, json!({})).await;
    let mut table = vec![columns.iter().map(|(h, _)| (*h).to_owned()).collect()];
    table.extend(nodes.iter().map(|node| {
        columns
            .iter()
            .map(|(_, path)| spelled(at(node, path)))
            .collect::<Vec<_>>()
    }));
    table
}

/// Both files of a ledger equal the list's answer, row for row and cell for cell.
async fn assert_ledger_is_the_list(
    app: &TestApp,
    token: &str,
    ledger: &str,
    query: &str,
    field: &str,
    columns: &[(&str, &str)],
) -> Vec<Vec<String>> {
    let expected = list_table(app, token, query, field, columns).await;
    assert!(expected.len() > 1, "{ledger}: the list is not empty");
    let (status, content_type, body) = download(app, token, &format!("{ledger}.csv")).await;
    assert_eq!(
        status,
        200,
        "{ledger}.csv: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(csv_table(&body), expected, "{ledger}.csv");
    let (status, content_type, body) = download(app, token, &format!("{ledger}.xlsx")).await;
    assert_eq!(status, 200, "{ledger}.xlsx");
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    assert_eq!(
        as_sheet_numbers(&xlsx_table(&body)),
        as_sheet_numbers(&expected),
        "{ledger}.xlsx"
    );
    expected
}

const PERSONS: &str = r#"query($after: String) { persons(first: 100, after: $after) {
  edges { node { id name sex birthYear documentType documentNumber phone address
    residence { name code } vulnerabilities vulnerabilityNote createdByAgency version
    createdAt updatedAt } }
  pageInfo { hasNextPage endCursor } } }"#;

const COMMUNITY_PERSON_COLUMNS: &[(&str, &str)] = &[
    ("人员编号", "id"),
    ("姓名", "name"),
    ("性别", "sex"),
    ("出生年份", "birthYear"),
    ("证件类型", "documentType"),
    ("证件号码", "documentNumber"),
    ("手机", "phone"),
    ("住址", "address"),
    ("网格", "residence.name"),
    ("网格编码", "residence.code"),
    ("困难群体标记", "vulnerabilities"),
    ("困难情况说明", "vulnerabilityNote"),
    ("登记机构", "createdByAgency"),
    ("版本", "version"),
    ("登记时间", "createdAt"),
    ("更新时间", "updatedAt"),
];

#[tokio::test]
async fn a_community_ledger_of_residents_is_its_list_with_the_numbers_masked() {
    let app = spawn_with(Options::default()).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let table = assert_ledger_is_the_list(
        &app,
        &token,
        "persons",
        PERSONS,
        "persons",
        COMMUNITY_PERSON_COLUMNS,
    )
    .await;
    // The full birth date is the masked middle of the number: no column for it.
    assert!(!table[0].contains(&"出生日期".to_owned()));
    let numbers: Vec<&String> = table[1..].iter().map(|row| &row[5]).collect();
    assert!(numbers
        .iter()
        .all(|n| { n.len() == 18 && n[6..16].chars().all(|c| c == '*') && !n[..6].contains('*') }));

    // The download is on the audit trail as the read it is.
    let subject = format!("test-{}-{}-{COMMUNITY}", Agency::Community, Role::Operator);
    let first_id = &table[1][0];
    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    let events = app
        .gql(
            &auditor,
            "query($s: String!, $id: ID!) { auditEvents(first: 100,
               filter: { subject: $s, entityType: \"Person\", entityId: $id }) {
               edges { node { operation } } } }",
            json!({ "s": subject, "id": first_id }),
        )
        .await;
    let operations: Vec<&str> = events["data"]["auditEvents"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["node"]["operation"].as_str())
        .collect();
    assert!(operations.contains(&"export persons.csv"), "{operations:?}");
    assert!(
        operations.contains(&"export persons.xlsx"),
        "{operations:?}"
    );
}

#[tokio::test]
async fn police_see_full_numbers_and_birth_dates_in_their_ledger() {
    let app = spawn_with(Options::default()).await;
    let token = app.token(Agency::Police, Role::Operator, COMMUNITY);
    let (status, _, body) = download(&app, &token, "persons.csv").await;
    assert_eq!(status, 200);
    let table = csv_table(&body);
    assert!(table[0].contains(&"出生日期".to_owned()));
    // Police do not read vulnerability flags: no such column.
    assert!(!table[0].contains(&"困难群体标记".to_owned()));
    let number = table[0]
        .iter()
        .position(|h| h == "证件号码")
        .expect("column");
    assert!(table[1..].iter().all(|row| !row[number].contains('*')));
}

#[tokio::test]
async fn a_list_one_does_not_read_is_not_there_and_a_bad_filter_is_refused() {
    let app = spawn_with(Options::default()).await;
    let civil = app.token(Agency::CivilAffairs, Role::Operator, COMMUNITY);
    let (status, _, _) = download(&app, &civil, "contacts.csv").await;
    assert_eq!(status, 404);
    let (status, _, _) = download(&app, &civil, "nothing.csv").await;
    assert_eq!(status, 404);
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let (status, _, _) = download(&app, &community, "persons.csv?colour=red").await;
    assert_eq!(status, 400);
    let (status, _, _) = download(&app, &community, "persons.csv?filter=%7Bnope").await;
    assert_eq!(status, 400);
    let response = app
        .client
        .get(format!("{}/exports/persons.csv", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_filter_narrows_the_ledger_as_it_narrows_the_list() {
    let app = spawn_with(Options::default()).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let all = csv_table(&download(&app, &token, "persons.csv").await.2);
    let code = all[0].iter().position(|h| h == "网格编码").expect("column");
    let grid = all.last().expect("rows")[code].clone();
    let filter = format!("{{\"orgUnit\":\"{grid}\"}}");
    let url = format!(
        "persons.csv?filter={}",
        filter
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
    );
    let (status, _, body) = download(&app, &token, &url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let table = csv_table(&body);
    assert!(table.len() > 1);
    assert!(table[1..].iter().all(|row| row[code] == grid));
    assert!(all.len() > table.len());
}

/// The field each header shows, as the README's ledgers name them (the test's own table).
const FIELDS: &[(&str, &[(&str, &str)])] = &[
    (
        "quarantines",
        &[
            ("观察编号", "id"),
            ("人员编号", "person.id"),
            ("姓名", "person.name"),
            ("证件号码", "person.documentNumber"),
            ("手机", "person.phone"),
            ("网格", "person.residence.name"),
            ("观察方式", "kind"),
            ("隔离点", "site"),
            ("观察原因", "reason"),
            ("开始日期", "startDate"),
            ("计划解除日期", "plannedEndDate"),
            ("观察中", "active"),
            ("结束方式", "outcome"),
            ("生活需求", "needs"),
            ("决定单位", "orderedBy.name"),
            ("版本", "version"),
        ],
    ),
    (
        "follow-ups",
        &[
            ("人员编号", "person.id"),
            ("姓名", "person.name"),
            ("证件号码", "person.documentNumber"),
            ("观察编号", "quarantine.id"),
            ("今日已测次数", "checksRecorded"),
            ("今日缺测次数", "checksMissing"),
        ],
    ),
    (
        "cases",
        &[
            ("病例编号", "id"),
            ("姓名", "person.name"),
            ("证件号码", "person.documentNumber"),
            ("网格", "person.residence.name"),
            ("病例分类", "classification"),
            ("转归", "outcome"),
            ("未结案", "open"),
            ("报告时间", "reportedAt"),
            ("报告单位", "reportingUnit.name"),
            ("临床分型", "severity"),
            ("发病日期", "onsetDate"),
            ("定点医院", "designatedHospital"),
        ],
    ),
    (
        "contacts",
        &[
            ("密接编号", "id"),
            ("关联病例编号", "sourceCase.id"),
            ("关联病例姓名", "sourceCase.person.name"),
            ("姓名", "person.name"),
            ("证件号码", "person.documentNumber"),
            ("接触关系", "relation"),
            ("末次接触日期", "lastExposureDate"),
            ("状态", "status"),
            ("随访中", "underFollowUp"),
            ("转为病例编号", "convertedCase.id"),
        ],
    ),
    (
        "checkpoint-entries",
        &[
            ("登记编号", "id"),
            ("卡口", "checkpointName"),
            ("通过时间", "passedAt"),
            ("姓名", "person.name"),
            ("旅客姓名", "traveller.name"),
            ("来自", "fromPlace"),
            ("来自风险地区", "fromRiskArea"),
            ("目的地", "destination.name"),
            ("体温", "temperature"),
            ("发热", "fever"),
        ],
    ),
    (
        "tasks",
        &[
            ("任务编号", "id"),
            ("任务类型", "kind"),
            ("姓名", "person.name"),
            ("发起机构", "fromAgency"),
            ("接收机构", "toAgency"),
            ("接收单位", "toUnit.name"),
            ("状态", "status"),
            ("期限", "dueAt"),
            ("逾期", "overdue"),
            ("说明", "note"),
        ],
    ),
    (
        "daily-figures",
        &[
            ("单位编码", "orgUnit.code"),
            ("日期", "date"),
            ("新增确诊", "figures.newCases.confirmed"),
            ("在观察", "figures.activeQuarantines"),
            ("缺测次数", "figures.checksMissed"),
            ("发热", "figures.fevers"),
            ("未办结任务", "figures.openTasks"),
        ],
    ),
];

/// The list query of a ledger for the given fields, as a client would write it.
fn list_query(ledger: &str, paths: &[&str]) -> (String, String) {
    fn selection(paths: &[Vec<&str>]) -> String {
        let mut heads: Vec<&str> = Vec::new();
        for path in paths {
            if !heads.contains(&path[0]) {
                heads.push(path[0]);
            }
        }
        let fields: Vec<String> = heads
            .iter()
            .map(|head| {
                let rest: Vec<Vec<&str>> = paths
                    .iter()
                    .filter(|p| p[0] == *head && p.len() > 1)
                    .map(|p| p[1..].to_vec())
                    .collect();
                if rest.is_empty() {
                    (*head).to_owned()
                } else {
                    format!("{head} {{ {} }}", selection(&rest))
                }
            })
            .collect();
        fields.join(" ")
    }
    let paths: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    let field = match ledger {
        "follow-ups" => "followUpsDue",
        "checkpoint-entries" => "checkpointEntries",
        "daily-figures" => "dailyReport",
        other => other,
    };
    let query = if field == "dailyReport" {
        format!("query {{ dailyReport {{ {} }} }}", selection(&paths))
    } else {
        format!(
            "query($after: String) {{ {field}(first: 100, after: $after) {{
               edges {{ node {{ {} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
            selection(&paths)
        )
    };
    (field.to_owned(), query)
}

#[tokio::test]
async fn every_ledger_of_a_health_operator_is_its_list_in_csv_and_xlsx() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    for (ledger, fields) in FIELDS {
        let paths: Vec<&str> = fields.iter().map(|(_, path)| *path).collect();
        let (field, query) = list_query(ledger, &paths);
        let expected = if field == "dailyReport" {
            let response = app.gql(&token, &query, json!({})).await;
            crate::helpers::assert_ok(&response);
            let node = &response["data"]["dailyReport"];
            vec![
                fields
                    .iter()
                    .map(|(h, _)| (*h).to_owned())
                    .collect::<Vec<_>>(),
                fields.iter().map(|(_, p)| spelled(at(node, p))).collect(),
            ]
        } else {
            list_table(&app, &token, &query, &field, fields).await
        };
        assert!(expected.len() > 1, "{ledger}: the list is not empty");
        for extension in ["csv", "xlsx"] {
            let (status, _, body) = download(&app, &token, &format!("{ledger}.{extension}")).await;
            assert_eq!(status, 200, "{ledger}.{extension}");
            let (table, expected) = if extension == "csv" {
                (csv_table(&body), expected.clone())
            } else {
                (
                    as_sheet_numbers(&xlsx_table(&body)),
                    as_sheet_numbers(&expected),
                )
            };
            // The test's columns, picked out of the file by header.
            let picked: Vec<Vec<String>> = table
                .iter()
                .map(|row| {
                    fields
                        .iter()
                        .map(|(header, _)| {
                            let column = table[0]
                                .iter()
                                .position(|h| h == header)
                                .unwrap_or_else(|| panic!("{ledger}: no column {header}"));
                            row[column].clone()
                        })
                        .collect()
                })
                .collect();
            assert_eq!(picked, expected, "{ledger}.{extension}");
        }
    }
}

#[tokio::test]
async fn daily_figures_download_as_a_series_of_days_each_the_days_report() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let token = app.token(Agency::Command, Role::Operator, "DEMO");
    let today = crate::helpers::local_today();
    let from = today - chrono::Duration::days(2);
    let (status, _, body) = download(
        &app,
        &token,
        &format!("daily-figures.csv?orgUnit=DEMO-01&from={from}&to={today}"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let table = csv_table(&body);
    assert_eq!(table.len(), 4, "a header and three days: {table:?}");
    let date = table[0].iter().position(|h| h == "日期").unwrap();
    let confirmed = table[0].iter().position(|h| h == "新增确诊").unwrap();
    let watched = table[0].iter().position(|h| h == "在观察").unwrap();
    for (i, row) in table[1..].iter().enumerate() {
        let day = from + chrono::Duration::days(i as i64);
        assert_eq!(row[date], day.to_string());
        let report = app
            .gql(
                &token,
                "query($d: NaiveDate) { dailyReport(orgUnit: \"DEMO-01\", date: $d) {
                   figures { newCases { confirmed } activeQuarantines } } }",
                json!({ "d": day.to_string() }),
            )
            .await;
        crate::helpers::assert_ok(&report);
        let figures = &report["data"]["dailyReport"]["figures"];
        assert_eq!(row[confirmed], figures["newCases"]["confirmed"].to_string());
        assert_eq!(row[watched], figures["activeQuarantines"].to_string());
    }
    // A series runs forward, ends by today and holds at most a year.
    let tomorrow = today + chrono::Duration::days(1);
    let long_ago = today - chrono::Duration::days(400);
    for bad in [
        format!("from={today}&to={from}"),
        format!("to={tomorrow}"),
        format!("from={long_ago}&to={today}"),
        "from=yesterday".to_owned(),
    ] {
        let (status, _, body) = download(&app, &token, &format!("daily-figures.csv?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
    }
}
