//! The peer: PostGraphile 5 over the same database (bench/postgraphile), asked for the same
//! rows as the server's `lookup` and `cases`, in its own schema as its introspection shows it.
//! It has no access policy and no audit trail; its figures are what a generic GraphQL layer
//! over the tables costs. Every answer is checked as the server's are: HTTP 200, no `errors`,
//! and the rows asked for.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use crate::{
    client::Gql,
    runner::Outcome,
    scenarios::{Ctx, Scenario, CASES_PAGE},
};

/// `personByDocument`: the document's uniqueness is an index, not a constraint, so
/// PostGraphile offers no `personByDocument...` field; a condition on both columns is the
/// same index look-up.
pub const LOOKUP: &str = "query($t: String!, $n: String!) {
  allPeople(condition: { documentType: $t, documentNumber: $n, heldForId: null }, first: 1) {
    nodes { rowId name sex birthDate phone address documentType documentNumber version orgUnitByResidenceOrgId { code name } }
  }
}";

/// The server's `CASES`: newest first after a cursor, each case's person and residence, its
/// first 20 contacts with their persons and active observation.
pub const CASES: &str = "query($n: Int, $after: Cursor) {
  allCaseRecords(first: $n, after: $after, orderBy: PRIMARY_KEY_DESC) {
    edges { node {
      rowId classification severity
      personByPersonId { name phone orgUnitByResidenceOrgId { name } }
      contactsBySourceCaseId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes {
        relation lastExposureDate
        personByPersonId { name quarantinesByPersonId(condition: { isActive: true }, first: 1) { nodes { kind startDate plannedEndDate } } }
      } }
    } }
  }
}";

/// PostGraphile's cursors are base64 of `["<ordering digest>","<id>"]`; the digest is read
/// from one answer, so that a page can start after any case, as the server's scenario does.
pub struct Peer {
    gql: Gql,
    ordering: String,
}

impl Peer {
    pub async fn connect(gql: Gql) -> anyhow::Result<Self> {
        let data = gql
            .post(
                "",
                "{ allCaseRecords(first: 1, orderBy: PRIMARY_KEY_DESC) { edges { cursor } } }",
                json!({}),
            )
            .await
            .map_err(|e| anyhow::anyhow!("the peer does not answer at --url: {e}"))?;
        let cursor = data
            .pointer("/allCaseRecords/edges/0/cursor")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("the peer has no cases"))?;
        let decoded: Value = serde_json::from_slice(&STANDARD.decode(cursor)?)?;
        let ordering = decoded
            .get(0)
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow::anyhow!("unexpected cursor from the peer: {decoded}"))?
            .to_owned();
        Ok(Self { gql, ordering })
    }

    fn case_cursor(&self, id: i64) -> String {
        STANDARD.encode(json!([self.ordering, id.to_string()]).to_string())
    }

    pub async fn request(&self, ctx: &Ctx, scenario: Scenario) -> Outcome {
        match scenario {
            Scenario::Lookup => {
                let (kind, number) = ctx.pick_document();
                match self
                    .gql
                    .post("", LOOKUP, json!({ "t": kind, "n": number }))
                    .await
                {
                    Ok(data) if data.pointer("/allPeople/nodes/0/rowId").is_some() => Outcome::ok(),
                    Ok(_) => Outcome::error("allPeople returned no person"),
                    Err(error) => Outcome::error(error),
                }
            }
            Scenario::Cases => {
                let after = self.case_cursor(ctx.pick_cursor_case());
                match self
                    .gql
                    .post("", CASES, json!({ "n": CASES_PAGE, "after": after }))
                    .await
                {
                    Ok(data)
                        if data
                            .pointer("/allCaseRecords/edges")
                            .and_then(Value::as_array)
                            .is_some_and(|edges| !edges.is_empty()) =>
                    {
                        Outcome::ok()
                    }
                    Ok(_) => Outcome::error("allCaseRecords returned no case"),
                    Err(error) => Outcome::error(error),
                }
            }
            _ => Outcome::error("the peer runs lookup and cases only"),
        }
    }
}
