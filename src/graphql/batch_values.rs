//! Scalars of batch items that a device can get wrong. A typed scalar (`DateTime`, `Float`)
//! would refuse the whole request for one bad item; these take any value, and the domain
//! checks it with the item, so a bad one rejects only its item.

use async_graphql::{resolver_utils::EnumType, InputValueResult, Scalar, ScalarType, Value};

use super::enums::{Direction, DocumentType, Symptom};
use crate::domain::values::{Choice, Sent};

fn sent(value: Value) -> Sent {
    match value {
        Value::String(text) => Sent::Text(text),
        Value::Number(number) => number
            .as_f64()
            .map_or_else(|| Sent::Other(number.to_string()), Sent::Number),
        Value::Enum(name) => Sent::Name(name.to_string()),
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
        Sent::Name(name) => Value::Enum(async_graphql::Name::new(name)),
        Sent::Other(what) => Value::String(what.clone()),
    }
}

/// One of the GraphQL enum `E`'s names, written as an enum value (`INBOUND`) or as text
/// (`"INBOUND"`, as in variables); anything else is kept as sent, with the names it may take.
fn choice<E: EnumType>(value: Value) -> Choice<E> {
    let name = match &value {
        Value::Enum(name) => Some(name.as_str()),
        Value::String(text) => Some(text.as_str()),
        _ => None,
    };
    match name.and_then(|name| E::items().iter().find(|item| item.name == name)) {
        Some(item) => Choice::Known(item.value),
        None => Choice::Unknown {
            sent: sent(value),
            allowed: E::items().iter().map(|item| item.name).collect(),
        },
    }
}

fn choice_value<E: EnumType>(choice: &Choice<E>) -> Value {
    match choice {
        Choice::Known(known) => E::items()
            .iter()
            .find(|item| item.value == *known)
            .map_or(Value::Null, |item| {
                Value::Enum(async_graphql::Name::new(item.name))
            }),
        Choice::Unknown { sent, .. } => value(sent),
    }
}

/// Declares a scalar taking one of an enum's names, checked with its item.
macro_rules! batch_enum {
    ($(#[$doc:meta])* $scalar:ident, $name:literal, $enum:ty) => {
        /// What the device sent; see the scalar's description below.
        pub struct $scalar(pub Choice<$enum>);

        $(#[$doc])*
        #[Scalar(name = $name)]
        impl ScalarType for $scalar {
            fn parse(value: Value) -> InputValueResult<Self> {
                Ok(Self(choice(value)))
            }

            fn to_value(&self) -> Value {
                choice_value(&self.0)
            }
        }
    };
}

batch_enum!(
    /// Which way a traveller passed, in a batch item: `INBOUND` (entering the city or the
    /// compound, 进) or `OUTBOUND` (leaving it, 出), as for the enum `Direction`. Checked with
    /// its item, not by the request: another value rejects only that item.
    BatchDirection,
    "BatchDirection",
    Direction
);

batch_enum!(
    /// A symptom ticked at a check, in a batch item: a name of the enum `Symptom` (`COUGH`,
    /// `SORE_THROAT`, ...). Checked with its item, not by the request: another value rejects
    /// only that item.
    BatchSymptom,
    "BatchSymptom",
    Symptom
);

batch_enum!(
    /// A kind of identity document, in a batch item: a name of the enum `DocumentType`
    /// (`RESIDENT_ID`, `PASSPORT`, ...). Checked with its item, not by the request: another
    /// value rejects only that item.
    BatchDocumentType,
    "BatchDocumentType",
    DocumentType
);

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
