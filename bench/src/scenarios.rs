//! The scenarios: what each request sends to the server, and how its answer is judged.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration as Days, FixedOffset, NaiveDate, SecondsFormat, Utc};
use clap::ValueEnum;
use rand::{seq::IndexedRandom, Rng};
use serde_json::{json, Value};

use crate::{client::Gql, runner::Outcome, sample::Sample, tokens::Tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    All,
    Lookup,
    Cases,
    ChecksBatch,
    ChecksSingle,
    FollowUps,
    Statistics,
    Chain,
    Mixed,
}

impl Scenario {
    /// What `all` runs, in this order: reads first (so that the checks written later do
    /// not change what they read within one run), then writes, then the mix.
    pub const EVERY: [Scenario; 8] = [
        Scenario::Lookup,
        Scenario::Cases,
        Scenario::FollowUps,
        Scenario::Statistics,
        Scenario::Chain,
        Scenario::ChecksBatch,
        Scenario::ChecksSingle,
        Scenario::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Lookup => "lookup",
            Self::Cases => "cases",
            Self::ChecksBatch => "checks-batch",
            Self::ChecksSingle => "checks-single",
            Self::FollowUps => "follow-ups",
            Self::Statistics => "statistics",
            Self::Chain => "chain",
            Self::Mixed => "mixed",
        }
    }

    /// Scenarios with a hand-written SQL floor.
    pub fn has_floor(self) -> bool {
        matches!(
            self,
            Self::Lookup | Self::Cases | Self::FollowUps | Self::Statistics
        )
    }
}

pub const LOOKUP: &str = "query($t: DocumentType!, $n: String!) {
  personByDocument(documentType: $t, number: $n) {
    id name sex birthDate phone address documentType documentNumber version residence { code name }
  }
}";

/// `NESTED_PAGE` of tests/api/statement_count.rs.
pub const CASES: &str = r#"query($n: Int, $after: String) {
  cases(first: $n, after: $after) {
    edges { node {
      id classification severity
      person { name phone residence { name } }
      contacts(first: 20) {
        relation lastExposureDate
        person { name pseudonymized activeQuarantine { kind startDate plannedEndDate } }
      }
    } }
  }
}"#;

pub const CHECKS: &str = "mutation($c: [HealthCheckInput!]!) {
  recordHealthChecks(checks: $c) { idempotencyKey status check { id fever } error { code message } }
}";

pub const FOLLOW_UPS: &str = "query($d: NaiveDate, $n: Int) {
  followUpsDue(date: $d, first: $n) {
    edges { node {
      person { id name phone address }
      quarantine { id kind startDate plannedEndDate }
      checksRecorded checksMissing
    } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// The query of tests/api/statistics.rs: every figure, by day, for the unit and each child.
pub const STATISTICS: &str = "query($u: String, $f: NaiveDate!, $t: NaiveDate!) {
  statistics(orgUnit: $u, from: $f, to: $t, byChild: true) {
    totals { ...figures } days { date ...figures }
    children { orgUnit { code } totals { ...figures } days { date ...figures } }
  }
}
fragment figures on StatisticsFigures {
  newSuspected newConfirmed newAsymptomatic cumulativeConfirmed activeQuarantines
  contactsTraced checksDue checksMissed fevers tasksOpened tasksClosed
}";

pub const CHAIN: &str = "query($id: ID!) {
  transmissionChain(caseId: $id, depth: 3) {
    truncated
    nodes { key kind depth person { name pseudonymized } case { classification } }
    edges { from to kind relation lastExposureDate }
  }
}";

/// Page sizes the scenarios ask for.
pub const CASES_PAGE: usize = 50;
pub const FOLLOW_UPS_PAGE: usize = 50;
/// Days of `statistics`: today and the 13 before.
pub const STATISTICS_DAYS: i64 = 14;

/// Everything a request needs: the sample, the tokens, the run's identity.
pub struct Ctx {
    pub gql: Gql,
    pub sample: Sample,
    pub tokens: Tokens,
    /// COMMUNITY OPERATOR tokens, one per `sample.observed` community, in its order.
    pub community_tokens: Vec<String>,
    /// COMMUNITY OPERATOR token of `sample.busiest_community`.
    pub busiest_token: String,
    /// Idempotency keys are `<run_id>-<counter>`: unique per run.
    pub run_id: String,
    pub counter: AtomicU64,
    pub offset: FixedOffset,
    pub batch: usize,
}

impl Ctx {
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.offset).date_naive()
    }

    pub fn statistics_period(&self) -> (NaiveDate, NaiveDate) {
        let today = self.today();
        (today - Days::days(STATISTICS_DAYS - 1), today)
    }

    pub fn pick_document(&self) -> (String, String) {
        self.sample
            .documents
            .choose(&mut rand::rng())
            .cloned()
            .unwrap_or_default()
    }

    pub fn pick_cursor_case(&self) -> i64 {
        pick(&self.sample.cursor_case_ids)
    }

    pub fn pick_chain_root(&self) -> i64 {
        pick(&self.sample.chain_roots)
    }

    /// A community with residents under observation (`community`, an index into
    /// `sample.observed`, or a random one), its token and `n` checks for its residents.
    fn pick_checks(&self, community: Option<usize>, n: usize) -> (&str, Value) {
        let mut rng = rand::rng();
        let index =
            community.unwrap_or_else(|| rng.random_range(0..self.sample.observed.len().max(1)));
        let persons = self
            .sample
            .observed
            .get(index)
            .map_or(&[][..], |o| &o.persons[..]);
        let token = self.community_tokens.get(index).map_or("", String::as_str);
        let checks: Vec<Value> = (0..n)
            .map(|_| {
                let person = persons.choose(&mut rng).copied().unwrap_or_default();
                let key = self.counter.fetch_add(1, Ordering::Relaxed);
                // A few minutes ago, a normal temperature (36.0–36.9 °C).
                let measured = Utc::now() - Days::seconds(rng.random_range(60..600));
                let tenths: i32 = rng.random_range(360..370);
                json!({
                    "idempotencyKey": format!("{}-{key}", self.run_id),
                    "person": person.to_string(),
                    "measuredAt": measured.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "temperature": f64::from(tenths) / 10.0,
                })
            })
            .collect();
        (token, Value::Array(checks))
    }

    pub async fn lookup(&self, token: &str) -> Outcome {
        let (kind, number) = self.pick_document();
        match self
            .gql
            .post(token, LOOKUP, json!({ "t": kind, "n": number }))
            .await
        {
            Ok(data) if data.pointer("/personByDocument/id").is_some() => Outcome::ok(),
            Ok(_) => Outcome::error("personByDocument returned no person"),
            Err(error) => Outcome::error(error),
        }
    }

    pub async fn cases(&self) -> Outcome {
        let after = crate::floor::case_cursor(self.pick_cursor_case());
        match self
            .gql
            .post(
                &self.tokens.health_city,
                CASES,
                json!({ "n": CASES_PAGE, "after": after }),
            )
            .await
        {
            Ok(data)
                if data
                    .pointer("/cases/edges")
                    .and_then(Value::as_array)
                    .is_some_and(|edges| !edges.is_empty()) =>
            {
                Outcome::ok()
            }
            Ok(_) => Outcome::error("cases returned no case"),
            Err(error) => Outcome::error(error),
        }
    }

    /// `n` checks in one `recordHealthChecks` by a grid worker of `community` (random
    /// when `None`); each item must come back RECORDED.
    pub async fn checks_in(&self, community: Option<usize>, n: usize) -> Outcome {
        let (token, checks) = self.pick_checks(community, n);
        match self.gql.post(token, CHECKS, json!({ "c": checks })).await {
            Ok(data) => judge_checks(&data, n),
            Err(error) => Outcome::error(error),
        }
    }

    /// The list on the sample's follow-up day, with the token of the busiest community (or,
    /// in `mixed`, of the grid worker's own community).
    pub async fn follow_ups(&self, token: &str) -> Outcome {
        self.gql
            .request(
                token,
                FOLLOW_UPS,
                json!({ "d": self.sample.follow_ups_date, "n": FOLLOW_UPS_PAGE }),
            )
            .await
    }

    pub async fn statistics(&self) -> Outcome {
        let (from, to) = self.statistics_period();
        self.gql
            .request(
                &self.tokens.command_city,
                STATISTICS,
                json!({ "u": self.sample.district.code, "f": from, "t": to }),
            )
            .await
    }

    pub async fn chain(&self) -> Outcome {
        let root = self.pick_chain_root();
        self.gql
            .request(
                &self.tokens.health_city,
                CHAIN,
                json!({ "id": root.to_string() }),
            )
            .await
    }

    /// One request of a single-operation scenario.
    pub async fn server_request(&self, scenario: Scenario) -> Outcome {
        match scenario {
            Scenario::Lookup => self.lookup(&self.tokens.health_city).await,
            Scenario::Cases => self.cases().await,
            Scenario::ChecksBatch => self.checks_in(None, self.batch).await,
            Scenario::ChecksSingle => self.checks_in(None, 1).await,
            Scenario::FollowUps => self.follow_ups(&self.busiest_token).await,
            Scenario::Statistics => self.statistics().await,
            Scenario::Chain => self.chain().await,
            Scenario::All | Scenario::Mixed => Outcome::error("not a single-operation scenario"),
        }
    }
}

fn pick(ids: &[i64]) -> i64 {
    ids.choose(&mut rand::rng()).copied().unwrap_or_default()
}

/// Counts the RECORDED items; any other status (or a short answer) is an error.
fn judge_checks(data: &Value, sent: usize) -> Outcome {
    let items = data
        .get("recordHealthChecks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let recorded = items
        .iter()
        .filter(|item| item.get("status").and_then(Value::as_str) == Some("RECORDED"))
        .count();
    let failed = sent.saturating_sub(recorded);
    let mut outcome = Outcome {
        items: recorded as u64,
        item_errors: failed as u64,
        ..Outcome::ok()
    };
    if failed > 0 {
        let first = items
            .iter()
            .find(|item| item.get("status").and_then(Value::as_str) != Some("RECORDED"));
        outcome.error = Some(match first {
            Some(item) => format!(
                "check {}: {}",
                item.get("status").and_then(Value::as_str).unwrap_or("?"),
                item.pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            None => format!("{} of {sent} checks answered", items.len()),
        });
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_other_than_recorded_are_errors() {
        let data = json!({ "recordHealthChecks": [
            { "status": "RECORDED" },
            { "status": "DUPLICATE", "error": null },
        ] });
        let outcome = judge_checks(&data, 2);
        assert_eq!((outcome.items, outcome.item_errors), (1, 1));
        assert!(outcome
            .error
            .as_deref()
            .is_some_and(|e| e.contains("DUPLICATE")));
        let all = judge_checks(
            &json!({ "recordHealthChecks": [{ "status": "RECORDED" }] }),
            1,
        );
        assert_eq!((all.items, all.error), (1, None));
    }
}
