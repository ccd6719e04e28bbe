//! Scalars of batch items that a device can get wrong. A typed scalar (`DateTime`, `Float`)
//! would refuse the whole request for one bad item; these take any value, and the domain
//! checks it with the item, so a bad one rejects only its item.

use async_graphql::{InputValueResult, Scalar, ScalarType, Value};

use crate::domain::values::Sent;

fn sent(value: Value) -> Sent {
    match value {
        Value::String(text) => Sent::Text(text),
        Value::Number(number) => number
            .as_f64()
            .map_or_else(|| Sent::Other(number.to_string()), Sent::Number),
        Value::Enum(name) => Sent::Other(name.to_string()),
        Value::Boolean(b) => Sent::Other(b.to_string()),
        Value::Null => Sent::Other("null".into()),
        Value::List(_) => Sent::Other("a list".into()),
        Value::Object(_) => Sent::Other("an object".into()),
        Value::Binary(_) => Sent::Other("binary data".into()),
    }
}

fn value(sent: &Sent) -> Value {
    match sent {
        Sent::Text(text) => Value::String(text.clone()),
        Sent::Number(n) => async_graphql::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Sent::Other(what) => Value::String(what.clone()),
    }
}

/// What the device sent; see the scalar's description below.
pub struct BatchDateTime(pub Sent);

/// An instant in a batch item: RFC 3339 text with an offset, e.g.
/// `2026-12-03T08:30:00+08:00` or `2026-12-03T00:30:00Z`. Checked with its item, not by the
/// request: a value of another form (a time without an offset, a number) rejects only that
/// item, with its field and the form expected.
#[Scalar(name = "BatchDateTime")]
impl ScalarType for BatchDateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(Self(sent(value)))
    }

    fn to_value(&self) -> Value {
        value(&self.0)
    }
}

/// What the device sent; see the scalar's description below.
pub struct BatchTemperature(pub Sent);

/// A temperature in a batch item: °C as a number, 30.0 to 45.0 with at most one decimal
/// (`36.8`), or the same number as text (`"36.8"`). Checked with its item, not by the
/// request: anything else rejects only that item, with its field and the form expected.
#[Scalar(name = "BatchTemperature")]
impl ScalarType for BatchTemperature {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(Self(sent(value)))
    }

    fn to_value(&self) -> Value {
        value(&self.0)
    }
}
