//! Batches from the field: phones and checkpoint devices submit many items at once after an
//! offline shift. Each item stands alone: recorded, a replay of an earlier submission (same
//! idempotency key, same submitter, same values), a key reused for other values (refused, as
//! payment APIs refuse a key resent with other parameters: taking it for a replay would drop
//! the new values unseen), or rejected with its reason while the others go on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::values::{Choice, Malformed, Sent, Temperature, Wrong};
use crate::{i18n::Msg, msg};

/// The code of an item whose key was used before for other values.
pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// What was wrong with one item. Every item error is worded here, in [`Problem::message`],
/// and only here, so that the wording can be translated without touching the rules; the
/// codes ([`Problem::code`]) are stable and are what clients branch on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The value has the wrong form: a time without its offset, text for a number, a name
    /// that is not one of the enum's.
    Form(Malformed, Expected),
    /// A value's own rule, worded where the value is checked for every caller (a name too
    /// long, a document number whose check digit is wrong, a temperature out of range).
    Invalid(Msg),
    InTheFuture,
    OlderThanDays(i64),
    NotAnId,
    /// The person does not exist, or not inside the recorder's jurisdiction (never told apart).
    PersonNotFound,
    OutsideJurisdiction,
    UnknownOrgUnit,
    PersonAndTraveller,
    NobodyNamed,
    DocumentTypeWithoutNumber,
    /// Too many numbers resembling a resident's were entered (`guesses`).
    LookAlikeLimit,
    /// The key was used before for a `noun` that differs in these fields.
    KeyReused {
        noun: &'static str,
        differs: Vec<&'static str>,
    },
}

/// The form a value of the wrong form should have had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Instant,
    Temperature,
    /// One of the names listed with the value.
    Name,
}

impl Problem {
    /// The stable code: BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, LIMIT_EXCEEDED or
    /// IDEMPOTENCY_KEY_REUSED.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PersonNotFound => "NOT_FOUND",
            Self::OutsideJurisdiction => "FORBIDDEN",
            Self::KeyReused { .. } => KEY_REUSED,
            Self::LookAlikeLimit => "LIMIT_EXCEEDED",
            Self::Form(..)
            | Self::Invalid(_)
            | Self::InTheFuture
            | Self::OlderThanDays(_)
            | Self::NotAnId
            | Self::UnknownOrgUnit
            | Self::PersonAndTraveller
            | Self::NobodyNamed
            | Self::DocumentTypeWithoutNumber => "BAD_USER_INPUT",
        }
    }

    /// The message for people, rendered in the reader's language where it leaves the
    /// server: what was wrong and, where the value had the wrong form, the form expected.
    pub fn message(&self) -> Msg {
        match self {
            Self::Form(Malformed { shown, wrong }, expected) => {
                let what = match wrong {
                    Wrong::NoOffset => msg!("sent-no-offset"),
                    Wrong::DateWithoutTime => msg!("sent-date-without-time"),
                    Wrong::NumberForTimestamp => msg!("sent-number-for-timestamp"),
                    Wrong::NotATimestamp => msg!("sent-not-a-timestamp"),
                    Wrong::NotANumber => msg!("sent-not-a-number"),
                    Wrong::NotOneOf(_) => msg!("sent-not-one-of"),
                };
                let form = match (expected, wrong) {
                    (_, Wrong::NotOneOf(allowed)) => {
                        msg!("form-one-of", names = allowed.join(", "))
                    }
                    (Expected::Instant, _) => msg!("form-instant"),
                    (Expected::Temperature, _) => msg!("form-temperature"),
                    (Expected::Name, _) => msg!("form-name"),
                };
                msg!(
                    "sent-wrong-form",
                    shown = shown.clone(),
                    what = what,
                    form = form
                )
            }
            Self::Invalid(message) => message.clone(),
            Self::InTheFuture => msg!("must-not-be-in-the-future"),
            Self::OlderThanDays(days) => msg!("more-than-days-ago", days = *days),
            Self::NotAnId => msg!("not-a-valid-id"),
            Self::PersonNotFound => {
                msg!("error-not-found", entity = crate::i18n::entity("Person"))
            }
            Self::OutsideJurisdiction => msg!("outside-jurisdiction"),
            Self::UnknownOrgUnit => msg!("unknown-org-unit"),
            Self::PersonAndTraveller => msg!("person-or-traveller-not-both"),
            Self::NobodyNamed => msg!("person-traveller-or-plate"),
            Self::DocumentTypeWithoutNumber => msg!("needed-with-document-type"),
            Self::LookAlikeLimit => super::guesses::refusal(),
            Self::KeyReused { noun, differs } => msg!(
                "key-reused",
                noun = crate::i18n::entity(noun),
                differs = differs.join(", ")
            ),
        }
    }
}

impl From<Msg> for Problem {
    fn from(message: Msg) -> Self {
        Self::Invalid(message)
    }
}

/// An instant as sent: RFC 3339 with an offset.
pub fn instant(sent: &Sent) -> Result<DateTime<Utc>, Problem> {
    sent.instant()
        .map_err(|malformed| Problem::Form(malformed, Expected::Instant))
}

/// A temperature as sent: a number, or the same number as text, then in range.
pub fn temperature(sent: &Sent) -> Result<Temperature, Problem> {
    let number = sent
        .number()
        .map_err(|malformed| Problem::Form(malformed, Expected::Temperature))?;
    Ok(Temperature::parse(number)?)
}

/// One of an enum's names, as sent.
pub fn choice<T: Copy>(sent: &Choice<T>) -> Result<T, Problem> {
    sent.known()
        .map_err(|malformed| Problem::Form(malformed, Expected::Name))
}

/// Why one item was not recorded; the batch goes on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The input field, e.g. `checks[3].temperature`.
    pub field: String,
    pub problem: Problem,
}

impl Rejection {
    pub fn new(list: &str, index: usize, field: &str, problem: impl Into<Problem>) -> Self {
        Self {
            field: format!("{list}[{index}].{field}"),
            problem: problem.into(),
        }
    }

    /// BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, or IDEMPOTENCY_KEY_REUSED.
    pub fn code(&self) -> &'static str {
        self.problem.code()
    }

    pub fn message(&self) -> Msg {
        self.problem.message()
    }
}

/// Refuses item `index` of `list` when `differs` names fields in which it differs from the
/// `noun` recorded under its key; nothing when it differs in none (a true replay).
pub fn key_reused(
    list: &str,
    index: usize,
    noun: &'static str,
    differs: Vec<&'static str>,
) -> Option<Rejection> {
    (!differs.is_empty()).then(|| {
        Rejection::new(
            list,
            index,
            "idempotencyKey",
            Problem::KeyReused { noun, differs },
        )
    })
}

#[derive(Debug, Clone)]
pub enum Outcome<T> {
    Recorded(T),
    /// The key was submitted before with the same values: here is what was recorded then.
    Duplicate(T),
    /// The key was submitted before with other values: nothing written; `original` is what
    /// was recorded under it, `error` says what differs.
    KeyReused {
        original: T,
        error: Rejection,
    },
    Rejected(Rejection),
}

#[derive(Debug, Clone)]
pub struct ItemResult<T> {
    pub idempotency_key: String,
    pub outcome: Outcome<T>,
}

/// What one transaction found and wrote under the batch's keys.
pub struct Stored<'a, T> {
    /// Rows written now.
    pub inserted: &'a [T],
    /// The item each key was to be written by: the first valid item with that key whose
    /// rules let it be written.
    pub planned: &'a HashMap<&'a str, usize>,
    /// Rows found under keys submitted before (or a moment ago by a concurrent request).
    pub earlier: &'a HashMap<String, T>,
}

/// Pairs each submitted item with what became of it, in submission order.
///
/// `validated[i]` is item i after validation, `valid_key` gives a valid item's key and
/// `row_key` a row's. An item is recorded when it wrote the row of its key; a row under its
/// key that another item wrote (before, or earlier in this batch) makes it a replay when
/// `reused` finds nothing to say against it, else a reuse of the key for other values. A
/// valid item that is neither was refused inside the transaction; `refused` says why
/// (typically: its person is not in reach).
pub fn assemble<V, T: Clone>(
    submitted_keys: &[String],
    validated: &[Result<V, Rejection>],
    valid_key: impl Fn(&V) -> &str,
    row_key: impl Fn(&T) -> &str,
    stored: Stored<'_, T>,
    reused: impl Fn(usize, &V, &T) -> Option<Rejection>,
    refused: impl Fn(usize, &V) -> Rejection,
) -> Vec<ItemResult<T>> {
    let written: HashMap<&str, &T> = stored
        .inserted
        .iter()
        .map(|row| (row_key(row), row))
        .collect();
    let replay_of = |i: usize, valid: &V, row: &T| match reused(i, valid, row) {
        None => Outcome::Duplicate(row.clone()),
        Some(error) => Outcome::KeyReused {
            original: row.clone(),
            error,
        },
    };
    submitted_keys
        .iter()
        .zip(validated)
        .enumerate()
        .map(|(i, (submitted, item))| {
            let outcome = match item {
                Err(rejection) => Outcome::Rejected(rejection.clone()),
                Ok(valid) => {
                    let key = valid_key(valid);
                    let writer = stored.planned.get(key).copied();
                    match (written.get(key), writer) {
                        (Some(row), Some(w)) if w == i => Outcome::Recorded((*row).clone()),
                        // Twice in this batch, after the item that wrote it.
                        (Some(row), Some(w)) if w < i => replay_of(i, valid, row),
                        // Before that item: this one was not written for its own reason.
                        (Some(_), _) => Outcome::Rejected(refused(i, valid)),
                        (None, _) => match stored.earlier.get(key) {
                            Some(row) => replay_of(i, valid, row),
                            None => Outcome::Rejected(refused(i, valid)),
                        },
                    }
                }
            };
            ItemResult {
                idempotency_key: submitted.clone(),
                outcome,
            }
        })
        .collect()
}

/// Keys planned for an insert that did not come back from it: a concurrent submission took
/// them a moment ago (the insert skips conflicts), so their rows are read back instead.
pub fn raced<'a, 'b>(
    planned: impl IntoIterator<Item = &'a str>,
    inserted: impl IntoIterator<Item = &'b str>,
) -> Vec<&'a str> {
    let new_keys: std::collections::HashSet<&str> = inserted.into_iter().collect();
    planned
        .into_iter()
        .filter(|k| !new_keys.contains(k))
        .collect()
}

/// Earlier records read back by key, keyed by it: those at the instant submitted now
/// (`same_instant`). A key is unique per submitter and instant (the tables are partitioned by
/// the instant), so a record under the same key at another instant is another submission.
pub fn by_key<M>(
    rows: impl IntoIterator<Item = M>,
    key: impl Fn(&M) -> &str,
    same_instant: impl Fn(&M) -> bool,
) -> HashMap<String, M> {
    rows.into_iter()
        .filter(|row| same_instant(row))
        .map(|row| (key(&row).to_owned(), row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    /// Items are (key, value); rows are (key, value) too.
    fn kinds_of(keys: &[&str], validated: Vec<Result<(&str, u8), Rejection>>) -> Vec<String> {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        let inserted = vec![("a".to_owned(), 1)];
        // The first item keyed "a" that reached the insert wrote it.
        let writer = validated
            .iter()
            .position(|v| v.as_ref().is_ok_and(|v| *v == ("a", 1)));
        let planned: HashMap<&str, usize> = writer.map(|w| ("a", w)).into_iter().collect();
        let earlier = HashMap::from([("b".to_owned(), ("b".to_owned(), 2))]);
        let results = assemble(
            &keys,
            &validated,
            |v| v.0,
            |row: &(String, u8)| row.0.as_str(),
            Stored {
                inserted: &inserted,
                planned: &planned,
                earlier: &earlier,
            },
            |i, v, row| {
                key_reused(
                    "items",
                    i,
                    "item",
                    if v.1 == row.1 { vec![] } else { vec!["value"] },
                )
            },
            |i, _| Rejection::new("items", i, "person", Problem::PersonNotFound),
        );
        results
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Recorded(_) => "recorded".to_owned(),
                Outcome::Duplicate(_) => "duplicate".to_owned(),
                Outcome::KeyReused { original, error } => {
                    format!("{} of {}: {}", error.code(), original.0, error.field)
                }
                Outcome::Rejected(rejection) => rejection.code().to_owned(),
            })
            .collect()
    }

    #[test]
    fn items_keep_their_order_and_a_key_twice_in_one_batch_is_a_duplicate() {
        let kinds = kinds_of(
            &["a", "b", "a", "c", "d"],
            vec![
                Ok(("a", 1)),
                Ok(("b", 2)),
                Ok(("a", 1)),
                Err(Rejection::new("items", 3, "x", Problem::NotAnId)),
                Ok(("d", 4)),
            ],
        );
        assert_eq!(
            kinds,
            [
                "recorded",
                "duplicate",
                "duplicate",
                "BAD_USER_INPUT",
                "NOT_FOUND"
            ]
        );
    }

    #[test]
    fn a_key_sent_again_with_other_values_is_a_reuse_carrying_the_original() {
        let kinds = kinds_of(
            &["b", "a", "a"],
            vec![Ok(("b", 9)), Ok(("a", 1)), Ok(("a", 7))],
        );
        assert_eq!(
            kinds,
            [
                "IDEMPOTENCY_KEY_REUSED of b: items[0].idempotencyKey",
                "recorded",
                "IDEMPOTENCY_KEY_REUSED of a: items[2].idempotencyKey"
            ]
        );
    }

    #[test]
    fn an_item_refused_before_the_one_that_wrote_its_key_keeps_its_own_reason() {
        // Item 0 (value 5) was refused inside the transaction; item 1 wrote "a".
        let kinds = kinds_of(&["a", "a"], vec![Ok(("a", 5)), Ok(("a", 1))]);
        assert_eq!(kinds, ["NOT_FOUND", "recorded"]);
    }

    #[test]
    fn a_value_of_the_wrong_form_is_told_what_form_was_expected() {
        let sent = |s: &str| Sent::Text(s.to_owned());
        let problem = instant(&sent("2026-12-03T08:30:00")).unwrap_err();
        assert_eq!(problem.code(), "BAD_USER_INPUT");
        assert_eq!(
            problem.message().render(Locale::En),
            "\"2026-12-03T08:30:00\" has no offset: expected RFC 3339 with an offset, \
             e.g. 2026-12-03T08:30:00+08:00"
        );
        assert_eq!(
            problem.message().render(Locale::ZhCn),
            "\"2026-12-03T08:30:00\" 缺少时区偏移，应为带时区偏移的 RFC 3339 时间，\
             例如 2026-12-03T08:30:00+08:00"
        );
        assert_eq!(
            temperature(&sent("36,8"))
                .unwrap_err()
                .message()
                .render(Locale::En),
            "\"36,8\" is not a number: expected °C as a number with at most one decimal, e.g. 36.8"
        );
        assert_eq!(temperature(&sent("36.8")).map(Temperature::tenths), Ok(368));
        assert_eq!(
            temperature(&Sent::Number(39.0)).map(Temperature::tenths),
            Ok(390)
        );
        assert!(matches!(
            temperature(&Sent::Number(52.0)),
            Err(Problem::Invalid(_))
        ));
        let direction: Choice<u8> = Choice::Unknown {
            sent: Sent::Name("SIDEWAYS".into()),
            allowed: vec!["INBOUND", "OUTBOUND"],
        };
        assert_eq!(
            choice(&direction).unwrap_err().message().render(Locale::En),
            "SIDEWAYS is not a value of this field: expected one of INBOUND, OUTBOUND"
        );
    }

    #[test]
    fn a_reused_key_names_what_differs_and_has_its_own_code() {
        let rejection = key_reused("checks", 2, "HealthCheck", vec!["temperature"]).unwrap();
        assert_eq!(rejection.code(), KEY_REUSED);
        assert_eq!(rejection.field, "checks[2].idempotencyKey");
        assert!(rejection
            .message()
            .render(Locale::En)
            .starts_with("was already used for a HealthCheck with a different temperature"));
        assert!(key_reused("checks", 2, "HealthCheck", vec![]).is_none());
    }

    #[test]
    fn keys_a_concurrent_submission_took_are_the_raced_ones() {
        let planned = ["a", "b", "c"];
        assert_eq!(super::raced(planned, ["a", "c"]), ["b"]);
        assert!(super::raced(planned, ["a", "b", "c"]).is_empty());
    }
}
