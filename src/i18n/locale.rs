//! The reader's language, from the request's `Accept-Language`.

/// The languages messages are written in. Chinese unless the request prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The language of an `Accept-Language` header: the supported one with the highest
    /// weight (the earlier on a tie), Chinese when it names neither or is absent.
    /// `en`, `en-US`, `en-GB;q=0.8` are English; `zh`, `zh-CN`, `zh-Hans` Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::default();
        };
        let mut best: Option<(f32, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q) && *q > 0.0);
            let Some(weight) = weight else { continue };
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            let locale = if primary.eq_ignore_ascii_case("en") {
                Locale::En
            } else if primary.eq_ignore_ascii_case("zh") {
                Locale::ZhCn
            } else {
                continue;
            };
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or_else(Self::default, |(_, locale)| locale)
    }

    /// The BCP 47 tag (`Content-Language`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Locale;

    #[test]
    fn chinese_is_the_default() {
        assert_eq!(Locale::from_accept_language(None), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language(Some("")), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language(Some("fr, de")), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language(Some("*")), Locale::ZhCn);
    }

    #[test]
    fn english_is_chosen_when_asked_for() {
        for header in ["en", "EN-us", "en-GB;q=0.8", "fr, en;q=0.5", "en_US"] {
            assert_eq!(
                Locale::from_accept_language(Some(header)),
                Locale::En,
                "{header}"
            );
        }
    }

    #[test]
    fn the_higher_weight_wins_and_the_earlier_on_a_tie() {
        assert_eq!(
            Locale::from_accept_language(Some("zh-CN;q=0.9, en")),
            Locale::En
        );
        assert_eq!(
            Locale::from_accept_language(Some("zh-CN, en;q=0.9")),
            Locale::ZhCn
        );
        assert_eq!(Locale::from_accept_language(Some("zh, en")), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language(Some("en, zh")), Locale::En);
        assert_eq!(
            Locale::from_accept_language(Some("en;q=0, zh;q=0.1")),
            Locale::ZhCn
        );
        assert_eq!(Locale::from_accept_language(Some("en;q=abc")), Locale::ZhCn);
    }
}
