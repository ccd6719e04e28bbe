//! When each record will be purged (`purgeAt`): computed from the policy, the deployment's
//! periods, the stand-downs and the person's facts, exactly as the purge selects. `None` while
//! the record's jurisdiction is not stood down, while its person is held, and for records that
//! are kept (a case's or a contact's).

use chrono::{DateTime, Utc};
use entity::{checkpoint_entry, person};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{
    rules::{self, StandDowns, ANONYMIZED_NAME},
    Periods,
};
use crate::error::AppResult;

/// What the policy asks of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub residence_path: String,
    /// A case or a contact: kept.
    pub kept: bool,
    /// A vulnerability flag: on civil affairs' standing register, not emergency-only.
    pub vulnerable: bool,
    /// Under a legal hold.
    pub held: bool,
    pub anonymized: bool,
}

/// The facts of these persons, in one statement.
pub async fn person_facts(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<(i64, PersonFacts)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, i32, String, bool, bool)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::ResidencePath)
        .column(person::Column::Vulnerabilities)
        .column(person::Column::Name)
        .expr_as(rules::case_or_contact(), "kept")
        .expr_as(rules::held(), "held")
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, residence_path, vulnerabilities, name, kept, held)| {
            (
                id,
                PersonFacts {
                    residence_path,
                    kept,
                    vulnerable: vulnerabilities != 0,
                    held,
                    anonymized: name == ANONYMIZED_NAME,
                },
            )
        })
        .collect())
}

/// When a person registered only for the emergency is anonymized.
pub fn person(
    facts: &PersonFacts,
    stand_downs: &StandDowns,
    periods: &Periods,
) -> Option<DateTime<Utc>> {
    if facts.kept || facts.vulnerable || facts.held || facts.anonymized {
        return None;
    }
    stand_downs
        .at(&facts.residence_path)
        .map(|at| at + periods.person)
}

/// When a health check is deleted: its period after the measurement, not before the
/// stand-down of the person's residence.
pub fn health_check(
    measured_at: DateTime<Utc>,
    facts: &PersonFacts,
    stand_downs: &StandDowns,
    periods: &Periods,
) -> Option<DateTime<Utc>> {
    if facts.kept || facts.held {
        return None;
    }
    let stood_down = stand_downs.at(&facts.residence_path)?;
    Some((measured_at + periods.health_check).max(stood_down))
}

/// When a checkpoint passage is deleted: its period after the passage, not before the
/// stand-down of the checkpoint's unit nor of the destination.
pub fn checkpoint_entry(
    entry: &checkpoint_entry::Model,
    facts: Option<&PersonFacts>,
    stand_downs: &StandDowns,
    periods: &Periods,
) -> Option<DateTime<Utc>> {
    if facts.is_some_and(|f| f.kept || f.held) {
        return None;
    }
    let mut stood_down = stand_downs.at(&entry.org_path)?;
    if let Some(destination) = &entry.destination_path {
        stood_down = stood_down.max(stand_downs.at(destination)?);
    }
    Some((entry.passed_at + periods.checkpoint_entry).max(stood_down))
}
