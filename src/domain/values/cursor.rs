//! Opaque keyset cursors for Relay connections.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use super::OrgPath;

/// Longest cursor accepted, so a hostile string is refused before any decoding work.
const MAX_CURSOR_LEN: usize = 200;

/// The sort key of the last row a client saw in one list.
///
/// Encoded as URL-safe base64 of `<list>:<key>`, so a cursor from one list is refused by
/// another instead of silently paging the wrong rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Lists ordered by id alone.
    Id(i64),
    /// Lists ordered by a materialized path, then id (persons by residence).
    PathId(OrgPath, i64),
    /// Lists of pairs ordered by both ids (possible duplicates).
    Pair(i64, i64),
}

impl Cursor {
    pub fn encode(&self, list: &str) -> String {
        let key = match self {
            Self::Id(id) => id.to_string(),
            Self::PathId(path, id) => format!("{path}|{id}"),
            Self::Pair(first, second) => format!("{first}~{second}"),
        };
        URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
    }

    /// Decodes a cursor of the named list; anything else is `None`.
    pub fn decode(list: &str, raw: &str) -> Option<Self> {
        if raw.len() > MAX_CURSOR_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (name, key) = text.split_once(':')?;
        if name != list {
            return None;
        }
        if let Some((first, second)) = key.split_once('~') {
            return Some(Self::Pair(parse_id(first)?, parse_id(second)?));
        }
        match key.split_once('|') {
            None => parse_id(key).map(Self::Id),
            Some((path, id)) => Some(Self::PathId(OrgPath::parse(path)?, parse_id(id)?)),
        }
    }
}

fn parse_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for cursor in [
            Cursor::Id(42),
            Cursor::PathId(OrgPath::root(1).child(7), 42),
            Cursor::Pair(3, 9),
        ] {
            let raw = cursor.encode("persons");
            assert_eq!(Cursor::decode("persons", &raw), Some(cursor));
        }
    }

    #[test]
    fn a_cursor_of_another_list_is_refused() {
        let raw = Cursor::Id(42).encode("auditEvents");
        assert_eq!(Cursor::decode("persons", &raw), None);
    }

    #[test]
    fn garbage_is_refused() {
        let bad = [
            String::new(),
            "!!!".into(),
            URL_SAFE_NO_PAD.encode("persons:"),
            URL_SAFE_NO_PAD.encode("persons:-1"),
            URL_SAFE_NO_PAD.encode("persons:99999999999999999999"),
            URL_SAFE_NO_PAD.encode("persons:/1/x/|3"),
            URL_SAFE_NO_PAD.encode("persons:/1/|"),
            URL_SAFE_NO_PAD.encode("persons:3~"),
            URL_SAFE_NO_PAD.encode("persons:~3"),
            "A".repeat(300),
        ];
        for raw in bad {
            assert_eq!(Cursor::decode("persons", &raw), None, "{raw}");
        }
    }
}
