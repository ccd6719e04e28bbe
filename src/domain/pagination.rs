//! Bounded pages for every list.

use sea_orm::{ColumnTrait, Condition};

use super::values::Cursor;
use crate::error::{AppError, AppResult};

/// Page size when the client gives no `first`.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// A validated page request: at most the configured page size, after an optional cursor.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// `first` beyond `max` is LIMIT_EXCEEDED; a cursor of another list or garbage is
    /// BAD_USER_INPUT.
    pub fn parse(list: &str, first: Option<i32>, after: Option<&str>, max: u32) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE.min(u64::from(max)),
            Some(n) if n < 0 => {
                return Err(AppError::bad_input(
                    "first",
                    crate::msg!("must-not-be-negative"),
                ))
            }
            Some(n) if n.unsigned_abs() > max => {
                return Err(AppError::LimitExceeded(crate::msg!(
                    "limit-page",
                    max = max
                )))
            }
            Some(n) => u64::from(n.unsigned_abs()),
        };
        let after = after
            .map(|raw| {
                Cursor::decode(list, raw)
                    .ok_or_else(|| AppError::bad_input("after", crate::msg!("not-a-cursor")))
            })
            .transpose()?;
        Ok(Self { first, after })
    }
}

impl PageRequest {
    /// For lists ordered newest first by id: rows before the cursor.
    pub fn before_id(&self, id_column: impl ColumnTrait) -> AppResult<Condition> {
        match &self.after {
            None => Ok(Condition::all()),
            Some(Cursor::Id(id)) => Ok(Condition::all().add(id_column.lt(*id))),
            Some(Cursor::PathId(..) | Cursor::Pair(..)) => Err(not_this_list()),
        }
    }

    /// For lists ordered oldest first by id: rows after the cursor.
    pub fn after_id(&self, id_column: impl ColumnTrait) -> AppResult<Condition> {
        match &self.after {
            None => Ok(Condition::all()),
            Some(Cursor::Id(id)) => Ok(Condition::all().add(id_column.gt(*id))),
            Some(Cursor::PathId(..) | Cursor::Pair(..)) => Err(not_this_list()),
        }
    }
}

pub fn not_this_list() -> AppError {
    AppError::bad_input("after", crate::msg!("not-a-cursor"))
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `LIMIT first + 1`: the extra row only says
    /// that there is more.
    pub fn from_overfetch(mut rows: Vec<T>, first: u64) -> Self {
        let limit = usize::try_from(first).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > limit;
        rows.truncate(limit);
        Self {
            items: rows,
            has_next_page,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
        }
    }
}

/// A page of rows joined with their persons, newest first by id: the shape of every list
/// of records about persons (cases, contacts, observations).
pub async fn newest_with_persons<E>(
    db: &impl sea_orm::ConnectionTrait,
    condition: Condition,
    id_column: E::Column,
    page: &PageRequest,
) -> AppResult<Page<(E::Model, entity::person::Model)>>
where
    E: sea_orm::EntityTrait + sea_orm::Related<entity::person::Entity>,
{
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    let rows = E::find()
        .find_also_related(entity::person::Entity)
        .filter(condition.add(page.before_id(id_column)?))
        .order_by_desc(id_column)
        .limit(page.first + 1)
        .all(db)
        .await?;
    // Every record has its person (a foreign key); a row without one cannot occur.
    let rows = rows
        .into_iter()
        .filter_map(|(row, person)| person.map(|p| (row, p)))
        .collect();
    Ok(Page::from_overfetch(rows, page.first))
}
