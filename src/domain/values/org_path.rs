//! Materialized path of an org unit (`/1/4/17/`): the key of jurisdiction scope.

use std::fmt;

/// A path of org-unit ids from the root, each followed by `/`.
///
/// "Inside my jurisdiction" is "my path is a prefix of its path", which the database
/// answers as one range scan: `[path, upper_bound)` on a byte-ordered index.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgPath(String);

impl OrgPath {
    /// Accepts only `/` followed by one or more `<digits>/` segments.
    pub fn parse(raw: &str) -> Option<Self> {
        let inner = raw.strip_prefix('/')?.strip_suffix('/')?;
        let valid = !inner.is_empty()
            && inner
                .split('/')
                .all(|segment| !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()));
        valid.then(|| Self(raw.to_owned()))
    }

    pub fn root(id: i64) -> Self {
        Self(format!("/{id}/"))
    }

    pub fn child(&self, id: i64) -> Self {
        Self(format!("{}{id}/", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this unit or lies below it.
    pub fn contains(&self, other: &OrgPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Whether the stored path `other` (e.g. a person's residence path) lies in this subtree.
    pub fn contains_str(&self, other: &str) -> bool {
        other.starts_with(&self.0)
    }

    /// The exclusive upper bound of this subtree in byte order: every path inside it sorts in
    /// `[self, upper_bound)`, and nothing else does. The trailing `/` becomes `0`, the next
    /// byte, so `/1/5/` bounds to `/1/50`, which excludes the sibling `/1/50/`.
    pub fn upper_bound(&self) -> String {
        let mut bound = self.0.clone();
        bound.pop();
        bound.push('0');
        bound
    }

    /// Number of levels below the root (the root has depth 1).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 1
    }
}

impl fmt::Display for OrgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgPath({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> OrgPath {
        OrgPath::parse(raw).unwrap()
    }

    #[test]
    fn only_well_formed_paths_parse() {
        assert!(OrgPath::parse("/1/").is_some());
        assert!(OrgPath::parse("/1/42/7/").is_some());
        for bad in ["", "/", "//", "1/", "/1", "/1//2/", "/a/", "/1/%/"] {
            assert!(OrgPath::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_unit_contains_itself_and_its_descendants_only() {
        let district = path("/1/5/");
        assert!(district.contains(&path("/1/5/")));
        assert!(district.contains(&path("/1/5/9/12/")));
        assert!(!district.contains(&path("/1/50/")));
        assert!(!district.contains(&path("/1/")));
        assert!(!district.contains(&path("/2/5/")));
    }

    #[test]
    fn the_upper_bound_excludes_siblings_with_a_longer_id() {
        let district = path("/1/5/");
        let (low, high) = (district.as_str(), district.upper_bound());
        for inside in ["/1/5/", "/1/5/0/", "/1/5/99999/3/"] {
            assert!(inside >= low && inside < high.as_str(), "{inside}");
        }
        for outside in ["/1/50/", "/1/6/", "/1/4/9/", "/1/"] {
            assert!(!(outside >= low && outside < high.as_str()), "{outside}");
        }
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(path("/1/").depth(), 1);
        assert_eq!(path("/1/5/9/").depth(), 3);
        assert_eq!(OrgPath::root(1).child(5).child(9), path("/1/5/9/"));
    }
}
