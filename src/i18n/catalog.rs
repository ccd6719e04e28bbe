//! The locale files, compiled into the binary, and the rendering of a [`Msg`] with them.

use std::sync::LazyLock;

use fluent_bundle::{concurrent::FluentBundle, FluentArgs, FluentResource, FluentValue};

use super::{Arg, Locale, Msg};

pub(super) const ZH_CN: &str = include_str!("../../locales/zh-CN.ftl");
pub(super) const EN: &str = include_str!("../../locales/en.ftl");

struct Catalog {
    zh_cn: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    zh_cn: bundle("zh-CN", ZH_CN),
    en: bundle("en", EN),
});

/// A bundle of one locale file. The files are part of the binary and a unit test parses
/// both, so a syntax error cannot reach a running server; should one slip through, the
/// entries that do parse are kept.
fn bundle(tag: &str, source: &'static str) -> FluentBundle<FluentResource> {
    let langid = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // No Unicode isolation marks around arguments: messages are read as plain text (JSON).
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, _)| partial);
    // Only duplicate keys fail here, and a unit test forbids them.
    let _ = bundle.add_resource(resource);
    bundle
}

fn of(locale: Locale) -> &'static FluentBundle<FluentResource> {
    match locale {
        Locale::ZhCn => &CATALOG.zh_cn,
        Locale::En => &CATALOG.en,
    }
}

/// Whether both locale files have `key` (computed keys: field and entity names).
pub(super) fn has(key: &str) -> bool {
    CATALOG.zh_cn.has_message(key) && CATALOG.en.has_message(key)
}

/// The message in `locale`; a key missing from the files (a unit test forbids it) shows as
/// itself rather than failing the response.
pub(super) fn render(locale: Locale, msg: &Msg) -> String {
    let bundle = of(locale);
    let Some(pattern) = bundle.get_message(msg.key()).and_then(|m| m.value()) else {
        return msg.key().to_owned();
    };
    let mut args = FluentArgs::new();
    for (name, arg) in &msg.args {
        let value: FluentValue<'_> = match arg {
            Arg::Int(n) => FluentValue::from(*n),
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Msg(inner) => FluentValue::from(render(locale, inner)),
            Arg::List(items) => {
                let separator = match locale {
                    Locale::ZhCn => "、",
                    Locale::En => ", ",
                };
                let rendered: Vec<String> = items.iter().map(|m| render(locale, m)).collect();
                FluentValue::from(rendered.join(separator))
            }
        };
        args.set(name.to_string(), value);
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&args), &mut errors)
        .into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fluent_bundle::FluentResource;
    use fluent_syntax::ast::Entry;

    use super::{EN, ZH_CN};

    fn keys(name: &str, source: &'static str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{name} does not parse: {errors:?}"));
        let mut keys = BTreeSet::new();
        for entry in resource.entries() {
            if let Entry::Message(message) = entry {
                assert!(
                    keys.insert(message.id.name.to_owned()),
                    "{name} has {} twice",
                    message.id.name
                );
            }
        }
        keys
    }

    /// The literal key of every `msg!` and `Msg::new` in the sources.
    fn keys_in_code() -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("a source file is readable");
                // Spelled in two parts, so that this line is not found by itself.
                for marker in [concat!("msg", "!("), concat!("Msg::", "new(")] {
                    for (start, _) in text.match_indices(marker) {
                        let rest = text[start + marker.len()..].trim_start();
                        let Some(rest) = rest.strip_prefix('"') else {
                            continue; // the macro's own definition, a computed key
                        };
                        if let Some(end) = rest.find('"') {
                            found.insert((rest[..end].to_owned(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn both_locale_files_have_the_same_keys() {
        let zh = keys("zh-CN.ftl", ZH_CN);
        let en = keys("en.ftl", EN);
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "only in zh-CN.ftl: {only_zh:?}");
        assert!(only_en.is_empty(), "only in en.ftl: {only_en:?}");
    }

    #[test]
    fn every_key_the_code_names_is_in_the_locale_files() {
        let zh = keys("zh-CN.ftl", ZH_CN);
        let code = keys_in_code();
        assert!(code.len() > 20, "the scan found the keys: {code:?}");
        let missing: Vec<_> = code.iter().filter(|(key, _)| !zh.contains(key)).collect();
        assert!(
            missing.is_empty(),
            "keys missing from the locale files: {missing:?}"
        );
    }
}
