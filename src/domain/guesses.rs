//! Guesses at a masked number. An agency that sees resident ID numbers masked
//! (`339901**********37`, with the birth year) still learns, when it submits a number, whether
//! it is the number of a resident it reaches: a registration lands on that resident, a
//! checkpoint passage or a contact is linked to them. Each number it submits therefore tests
//! one candidate for a masked number, and with about three thousand candidates consistent with
//! what it sees, enough submissions would restore the mask.
//!
//! So the distinct numbers such an agency enters in a day that look, to it, like the number of
//! a resident it reaches (same region, same birth year, same last two characters) are limited:
//! after [`MAX_LOOK_ALIKES`] of them, entering another one of that look is refused to the
//! agency (all its units: they could pool their tries), whether or not it is the resident's
//! number.
//! Refusing the right number too is what keeps the refusal from answering the question. A
//! worker who mistypes a number gets it right within a few tries; a number entered before
//! can always be entered again; health and police, who see numbers in full, are not limited.
//! An import's dry run keeps nothing a try could be counted by, so for such an agency it
//! tries no number that looks like a resident's (the real import does, within the limit).

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, Utc};
use entity::{checkpoint_entry, person, DocumentType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Statement,
};

use super::values::Document;
use crate::{
    access::{self, scope},
    auth::Principal,
};

/// Distinct look-alike numbers an agency may enter per look, per window.
pub const MAX_LOOK_ALIKES: usize = 3;
/// The window the entries are counted over.
const WINDOW_HOURS: i64 = 24;

/// What a resident ID number shows to an agency that sees it masked: the region and the birth
/// year (its first ten characters) and the last two.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Look {
    head: String,
    tail: String,
}

impl Look {
    fn of(document: &Document) -> Option<Self> {
        let number = document.resident_id()?.as_str();
        Some(Self {
            head: number.get(..10)?.to_owned(),
            tail: number.get(16..)?.to_owned(),
        })
    }

    /// The numbers of this look: a range the document index serves, then a pattern.
    fn condition(&self, column: impl ColumnTrait + Copy) -> Condition {
        Condition::all()
            .add(column.gte(self.head.as_str()))
            .add(column.lt(format!("{}~", self.head)))
            .add(column.like(format!("{}______{}", self.head, self.tail)))
    }

    fn matches(&self, number: &str) -> bool {
        number.len() == 18 && number.starts_with(&self.head) && number.ends_with(&self.tail)
    }
}

/// Whether what the numbers are entered for is kept (and so counted as a try) or only tried
/// (an import's dry run, rolled back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Kept,
    Trial,
}

/// The positions among `documents` whose numbers the principal may not enter now. Call it
/// inside the write transaction that records them; they must be refused as a whole item.
/// Three statements whatever the number of documents, and none for health and police or
/// when no submitted number looks like a resident's.
pub async fn refused(
    txn: &DatabaseTransaction,
    principal: &Principal,
    documents: &[(usize, &Document)],
    entry: Entry,
) -> Result<HashSet<usize>, DbErr> {
    let mut refused = HashSet::new();
    if access::sees_full_numbers(principal) {
        return Ok(refused);
    }
    let looks: BTreeMap<Look, Vec<(usize, &str)>> =
        documents
            .iter()
            .fold(BTreeMap::new(), |mut looks, (i, document)| {
                if let Some(look) = Look::of(document) {
                    looks
                        .entry(look)
                        .or_insert_with(Vec::new)
                        .push((*i, document.number()));
                }
                looks
            });
    if looks.is_empty() {
        return Ok(refused);
    }
    let any_look = |column: person::Column| {
        looks.keys().fold(Condition::any(), |any, look| {
            any.add(look.condition(column))
        })
    };

    // The residents it reaches that the submitted numbers look like.
    let residents: Vec<String> = person::Entity::find()
        .select_only()
        .column(person::Column::DocumentNumber)
        .filter(person::Column::DocumentType.eq(DocumentType::ResidentId))
        .filter(person::Column::HeldForId.is_null())
        .filter(any_look(person::Column::DocumentNumber))
        .filter(scope::persons_in_jurisdiction(principal))
        .into_tuple::<Option<String>>()
        .all(txn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let guarded: Vec<&Look> = looks
        .keys()
        .filter(|look| residents.iter().any(|n| look.matches(n)))
        .collect();
    if guarded.is_empty() {
        return Ok(refused);
    }
    // A trial keeps nothing to count a try by, so it tries no number of a guarded look.
    if entry == Entry::Trial {
        refused.extend(
            guarded
                .iter()
                .filter_map(|look| looks.get(*look))
                .flatten()
                .map(|(i, _)| *i),
        );
        return Ok(refused);
    }

    // One agency's entries are counted one request at a time.
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [format!("look-alikes {:?}", principal.agency).into()],
        ))
        .await?;
    }

    // What the agency entered in the window, anywhere (a contact registered on the spot may
    // live in another district): persons it created, travellers it recorded.
    let since = Utc::now() - Duration::hours(WINDOW_HOURS);
    let guarded_looks = |column: person::Column| {
        guarded.iter().fold(Condition::any(), |any, look| {
            any.add(look.condition(column))
        })
    };
    let created: Vec<Option<String>> = person::Entity::find()
        .select_only()
        .column(person::Column::DocumentNumber)
        .filter(guarded_looks(person::Column::DocumentNumber))
        .filter(person::Column::CreatedByAgency.eq(principal.agency))
        .filter(person::Column::CreatedAt.gt(since))
        .into_tuple()
        .all(txn)
        .await?;
    let travellers: Vec<Option<String>> = checkpoint_entry::Entity::find()
        .select_only()
        .column(checkpoint_entry::Column::TravellerDocument)
        .filter(guarded.iter().fold(Condition::any(), |any, look| {
            any.add(look.condition(checkpoint_entry::Column::TravellerDocument))
        }))
        .filter(checkpoint_entry::Column::RecordedByAgency.eq(principal.agency))
        .filter(checkpoint_entry::Column::CreatedAt.gt(since))
        .filter(checkpoint_entry::Column::TravellerDocument.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    let mut entered: HashSet<String> = created.into_iter().chain(travellers).flatten().collect();

    for look in guarded {
        let mut seen: HashSet<&str> = entered
            .iter()
            .filter(|n| look.matches(n))
            .map(String::as_str)
            .collect();
        let mut added = Vec::new();
        for (i, number) in looks.get(look).into_iter().flatten() {
            if seen.contains(number) {
                continue;
            }
            if seen.len() >= MAX_LOOK_ALIKES {
                refused.insert(*i);
            } else {
                seen.insert(number);
                added.push((*number).to_owned());
            }
        }
        entered.extend(added);
    }
    Ok(refused)
}

/// The message of a number a dry run did not try, the same whatever the number is.
pub fn trial_refusal() -> crate::i18n::Msg {
    crate::msg!("look-alikes-not-tried")
}

/// The message of a refused number, the same whatever the number is.
pub fn refusal() -> crate::i18n::Msg {
    crate::msg!(
        "look-alikes-refused",
        count = MAX_LOOK_ALIKES,
        hours = WINDOW_HOURS
    )
}
