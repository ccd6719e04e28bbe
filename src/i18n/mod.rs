//! Messages in the reader's language: Chinese (zh-CN) by default, English on request
//! (`Accept-Language: en`).
//!
//! Code never holds a rendered sentence. An error, a batch item's rejection or an alert
//! carries a [`Msg`]: a stable key and its arguments. It is rendered once, where it leaves
//! the server, in the locale of the request that reads it (`graphql::error_codes::classify`
//! for errors; the `message` fields of batch results and alerts for data). The texts live
//! in `locales/zh-CN.ftl` and `locales/en.ftl` (Project Fluent), compiled into the binary;
//! a test holds both files to the same keys, and to every key the code names.

mod catalog;
mod locale;

use std::{borrow::Cow, collections::BTreeMap};

use serde::{Deserialize, Serialize};

pub use locale::Locale;

/// A message to be rendered in the reader's language: a key of the locale files and its
/// arguments. Build one with [`msg!`](crate::msg).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    key: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    args: BTreeMap<Cow<'static, str>, Arg>,
}

/// One argument of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Int(i64),
    /// Shown as it is in every language: a number, a date, a code, a field's path.
    Text(String),
    /// Rendered in the reader's language too: an entity's or a field's name.
    Msg(Msg),
    /// Several, joined the language's way (`、` or `, `).
    List(Vec<Msg>),
}

/// `msg!(<key>, name = value, ...)`: a [`Msg`] with its arguments.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        // `r#type = …` names the argument `type`.
        $crate::i18n::Msg::new($key)$(.with(stringify!($name).trim_start_matches("r#"), $value))*
    };
}

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Self {
            key: Cow::Borrowed(key),
            args: BTreeMap::new(),
        }
    }

    /// A message whose key is computed (a field's or an entity's name): rendered only when
    /// the locale files have it, see [`label`].
    fn computed(key: String) -> Self {
        Self {
            key: Cow::Owned(key),
            args: BTreeMap::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.insert(Cow::Borrowed(name), value.into());
        self
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn render(&self, locale: Locale) -> String {
        catalog::render(locale, self)
    }

    /// The form an alert row stores (JSON), so that each reader sees it in their language.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.key.to_string())
    }

    /// A stored message as [`to_stored`](Self::to_stored) wrote it; `None` for text written
    /// before messages were stored this way.
    pub fn from_stored(stored: &str) -> Option<Self> {
        if !stored.starts_with('{') {
            return None;
        }
        serde_json::from_str(stored).ok()
    }
}

/// A stored text in the reader's language: a message [`Msg::to_stored`] wrote, rendered;
/// anything else (text written before messages were stored) as it is.
pub fn render_stored(stored: String, locale: Locale) -> String {
    Msg::from_stored(&stored).map_or(stored, |m| m.render(locale))
}

/// Text shown as it is in every language: a message already written for its reader (an
/// answer relayed from the GraphQL layer), or one not yet translated (the line-list import's
/// own reasons, which name the Chinese headers and forms they expect).
pub fn verbatim(text: impl Into<String>) -> Msg {
    crate::msg!("graphql-verbatim", detail = text.into())
}

/// A problem with one input field, naming it: `出生日期（input.birthDate）应为 YYYY-MM-DD` /
/// `input.birthDate: expected YYYY-MM-DD`. Chinese names the field by its label
/// (`field-<name>` in the locale files) and its path, English by its path.
pub fn about_field(path: &str, problem: Msg) -> Msg {
    match label("field", last_segment(path), path) {
        label @ Arg::Msg(_) => crate::msg!(
            "field-problem",
            path = path,
            label = label,
            problem = problem,
        ),
        _ => crate::msg!("field-problem-unlabelled", path = path, problem = problem),
    }
}

/// An entity's name in the reader's language (`entity-Person`: 人员 / Person).
pub fn entity(name: &str) -> Arg {
    label("entity", name, name)
}

/// `prefix-name` rendered when the locale files have it, else `fallback` as it is.
fn label(prefix: &str, name: &str, fallback: &str) -> Arg {
    let key = format!("{prefix}-{name}");
    if catalog::has(&key) {
        Arg::Msg(Msg::computed(key))
    } else {
        Arg::Text(fallback.to_owned())
    }
}

/// `checks[3].temperature` → `temperature`; `$d` → `d`.
fn last_segment(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    last.trim_start_matches('$')
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<Msg> for Arg {
    fn from(value: Msg) -> Self {
        Self::Msg(value)
    }
}

impl From<Vec<Msg>> for Arg {
    fn from(value: Vec<Msg>) -> Self {
        Self::List(value)
    }
}

impl From<chrono::NaiveDate> for Arg {
    fn from(value: chrono::NaiveDate) -> Self {
        Self::Text(value.format("%Y-%m-%d").to_string())
    }
}

macro_rules! int_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Self::Int(i64::try_from(value).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_args!(i32, i64, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_problem_names_the_field_in_chinese_by_label_and_in_english_by_path() {
        let problem = about_field("input.birthDate", crate::msg!("expected-date"));
        assert_eq!(
            problem.render(Locale::ZhCn),
            "出生日期（input.birthDate）应为 YYYY-MM-DD"
        );
        assert_eq!(
            problem.render(Locale::En),
            "input.birthDate: expected YYYY-MM-DD"
        );
    }

    #[test]
    fn a_field_without_a_label_is_named_by_its_path_in_chinese_too() {
        let problem = about_field("input.noSuchField", crate::msg!("must-not-be-empty"));
        assert_eq!(problem.render(Locale::ZhCn), "input.noSuchField：不能为空");
    }

    #[test]
    fn list_items_and_variables_are_labelled_by_their_field() {
        assert_eq!(last_segment("checks[3].temperature"), "temperature");
        assert_eq!(last_segment("$d"), "d");
        assert_eq!(last_segment("entries[0]"), "entries");
    }

    #[test]
    fn a_stored_message_reads_back_the_same_and_plain_text_is_not_one() {
        let message = crate::msg!(
            "alert-new-case",
            classification = "CONFIRMED".to_owned(),
            count = 3
        );
        assert_eq!(Msg::from_stored(&message.to_stored()), Some(message));
        assert_eq!(Msg::from_stored("New CONFIRMED case reported"), None);
    }
}
