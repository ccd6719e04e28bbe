//! Batches from the field: phones and checkpoint devices submit many items at once after an
//! offline shift. Each item stands alone: recorded, a replay of an earlier submission (same
//! idempotency key, same submitter), or rejected with its reason while the others go on.

use std::collections::HashMap;

/// Why one item was not recorded; the batch goes on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// BAD_USER_INPUT, NOT_FOUND or FORBIDDEN.
    pub code: &'static str,
    /// The input field, e.g. `checks[3].temperature`.
    pub field: String,
    /// Rendered in the reader's language where the result leaves the server.
    pub message: crate::i18n::Msg,
}

impl Rejection {
    pub fn new(
        list: &str,
        index: usize,
        field: &str,
        code: &'static str,
        message: crate::i18n::Msg,
    ) -> Self {
        Self {
            code,
            field: format!("{list}[{index}].{field}"),
            message,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Outcome<T> {
    Recorded(T),
    /// The key was submitted before: here is what was recorded then.
    Duplicate(T),
    Rejected(Rejection),
}

#[derive(Debug, Clone)]
pub struct ItemResult<T> {
    pub idempotency_key: String,
    pub outcome: Outcome<T>,
}

/// Pairs each submitted item with what became of it, in submission order.
///
/// `validated[i]` is item i after validation, `key_of` gives a valid item's key and a row's
/// key; `inserted` are the rows written now and `earlier` those found under keys submitted
/// before. A valid item that is neither was refused inside the transaction; `refused` says
/// why (typically: its person is not in reach).
pub fn assemble<V, T: Clone>(
    submitted_keys: &[String],
    validated: &[Result<V, Rejection>],
    valid_key: impl Fn(&V) -> &str,
    row_key: impl Fn(&T) -> &str,
    inserted: &[T],
    earlier: &HashMap<String, T>,
    refused: impl Fn(usize, &V) -> Rejection,
) -> Vec<ItemResult<T>> {
    let mut fresh: HashMap<&str, &T> = inserted.iter().map(|row| (row_key(row), row)).collect();
    submitted_keys
        .iter()
        .zip(validated)
        .enumerate()
        .map(|(i, (submitted, item))| {
            let outcome = match item {
                Err(rejection) => Outcome::Rejected(rejection.clone()),
                Ok(valid) => {
                    let key = valid_key(valid);
                    if let Some(row) = fresh.remove(key) {
                        Outcome::Recorded(row.clone())
                    } else if let Some(row) = earlier
                        .get(key)
                        .or_else(|| inserted.iter().find(|row| row_key(row) == key))
                    {
                        // Sent before, or twice in this batch.
                        Outcome::Duplicate(row.clone())
                    } else {
                        Outcome::Rejected(refused(i, valid))
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
    planned: &std::collections::HashSet<&'a str>,
    inserted: impl IntoIterator<Item = &'b str>,
) -> Vec<&'a str> {
    let new_keys: std::collections::HashSet<&str> = inserted.into_iter().collect();
    planned
        .iter()
        .copied()
        .filter(|k| !new_keys.contains(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_order_and_a_key_twice_in_one_batch_is_a_duplicate() {
        let keys: Vec<String> = ["a", "b", "a", "c", "d"].map(String::from).to_vec();
        let validated: Vec<Result<&str, Rejection>> = vec![
            Ok("a"),
            Ok("b"),
            Ok("a"),
            Err(Rejection::new(
                "items",
                3,
                "x",
                "BAD_USER_INPUT",
                crate::msg!("must-not-be-empty"),
            )),
            Ok("d"),
        ];
        let inserted = vec!["a".to_owned()];
        let earlier = HashMap::from([("b".to_owned(), "b".to_owned())]);
        let results = assemble(
            &keys,
            &validated,
            |v| v,
            |row: &String| row.as_str(),
            &inserted,
            &earlier,
            |i, _| {
                Rejection::new(
                    "items",
                    i,
                    "person",
                    "NOT_FOUND",
                    crate::msg!("error-not-found", entity = "Person"),
                )
            },
        );
        let kinds: Vec<&str> = results
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Recorded(_) => "recorded",
                Outcome::Duplicate(_) => "duplicate",
                Outcome::Rejected(rejection) => rejection.code,
            })
            .collect();
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
        assert_eq!(results[4].idempotency_key, "d");
    }

    #[test]
    fn keys_a_concurrent_submission_took_are_the_raced_ones() {
        let planned: std::collections::HashSet<&str> = ["a", "b", "c"].into_iter().collect();
        let mut raced = super::raced(&planned, ["a", "c"]);
        raced.sort_unstable();
        assert_eq!(raced, ["b"]);
        assert!(super::raced(&planned, ["a", "b", "c"]).is_empty());
    }
}
