//! Counts shown to analysts: below the small-count threshold a count reads "<N", so that a
//! small number in a small unit cannot point to a person (the policy's
//! `suppresses_small_counts`, SMALL_COUNT_THRESHOLD).

use async_graphql::{
    Context, InputValueError, InputValueResult, Result, Scalar, ScalarType, Value,
};

use super::context::{actor, state};
use crate::access::policy;

/// Below this count an analyst sees "<threshold" (None: counts shown as they are).
pub fn threshold(ctx: &Context<'_>) -> Result<Option<i64>> {
    let state = state(ctx)?;
    let t = i64::from(state.settings.small_count_threshold);
    Ok((policy::suppresses_small_counts(actor(ctx)?.principal.role) && t > 1).then_some(t))
}

pub fn hidden(n: i64, threshold: Option<i64>) -> bool {
    threshold.is_some_and(|t| n > 0 && n < t)
}

/// A count: a whole number, or the text `"<N"` when it is below the small-count threshold
/// (SMALL_COUNT_THRESHOLD) and you are an analyst, so that no figure points to a person.
pub struct Count {
    value: i64,
    threshold: Option<i64>,
}

impl Count {
    pub fn new(value: i64, threshold: Option<i64>) -> Self {
        Self { value, threshold }
    }
}

#[Scalar(name = "Count")]
impl ScalarType for Count {
    fn parse(_value: Value) -> InputValueResult<Self> {
        Err(InputValueError::custom("Count is only ever returned"))
    }

    fn to_value(&self) -> Value {
        match self.threshold {
            Some(t) if hidden(self.value, self.threshold) => Value::String(format!("<{t}")),
            _ => Value::Number(self.value.into()),
        }
    }
}
