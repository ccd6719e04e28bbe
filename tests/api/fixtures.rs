//! Persons the tests create through the API, with the values they expect back.

use chrono::NaiveDate;
use entity::{Agency, Role};
use lianfang::domain::values::{mask_document_number, ResidentId};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, TestApp};

/// A grid inside community DEMO-01-01-01 (street DEMO-01-01, district DEMO-01).
pub const GRID: &str = "DEMO-01-01-01-01";
pub const OTHER_GRID: &str = "DEMO-01-01-01-02";
pub const COMMUNITY: &str = "DEMO-01-01-01";
pub const OTHER_DISTRICT: &str = "DEMO-02";

/// A generated, valid resident ID number, different for each `n`.
pub fn resident_id(n: u16) -> String {
    let birth = NaiveDate::from_ymd_opt(
        1950 + i32::from(n % 60),
        1 + u32::from(n % 12),
        1 + u32::from(n % 28),
    )
    .unwrap();
    ResidentId::generate(339_901, birth, n % 1000)
        .unwrap()
        .as_str()
        .to_owned()
}

#[derive(Debug, Clone)]
pub struct Known {
    pub id: String,
    pub name: String,
    pub document: String,
    pub phone: String,
    pub address: String,
}

impl Known {
    pub fn masked_document(&self) -> String {
        mask_document_number(&self.document)
    }
}

pub const REGISTER: &str = r#"
mutation($input: PersonInput!) {
  registerPerson(input: $input) { id name version documentNumber }
}"#;

/// Registers a person as a city-level health operator and returns what was stored.
pub async fn register(app: &TestApp, n: u16, name: &str, grid: &str) -> Known {
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let document = resident_id(n);
    let phone = format!("139{:08}", u32::from(n) * 7919 % 100_000_000);
    let address = format!("云州市江北区新华街道幸福里社区{n}栋1单元101室");
    let response = app
        .gql(
            &token,
            REGISTER,
            json!({ "input": {
                "documentType": "RESIDENT_ID", "documentNumber": document, "name": name,
                "phone": phone, "address": address, "residence": grid,
            }}),
        )
        .await;
    assert_ok(&response);
    Known {
        id: response["data"]["registerPerson"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        name: name.to_owned(),
        document,
        phone,
        address,
    }
}

/// The record's current version, read by an operator who sees everything in the city.
pub async fn version_of(app: &TestApp, id: &str) -> i64 {
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let response: Value = app
        .gql(
            &token,
            "query($id: ID!) { person(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    response["data"]["person"]["version"].as_i64().unwrap()
}
