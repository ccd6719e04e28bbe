//! The server's pages over plain HTTP: `/` says where to start, Chinese first; the pages and
//! their own scripts name no other host, and their policy allows none; every file they load
//! is served by the server itself, the third-party ones exactly as published and cached for
//! a year, the rest of the API still not at all.

use std::io::Read;

use lianfang::http::{OWN, VENDOR};

use crate::{
    browser::{assert_only_local, chromium, system_has_chinese_font, Browser},
    helpers::{spawn_app, TestApp},
};

const PAGES: [&str; 3] = ["/", "/graphiql", "/dashboard"];

async fn get(app: &TestApp, path: &str, gzip: bool) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if gzip {
        request = request.header("Accept-Encoding", "gzip");
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// `src="…"` and `href="…"` values of a page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            found.push(part.split('"').next().unwrap_or_default().to_owned());
        }
    }
    found
}

#[tokio::test]
async fn the_home_page_says_where_to_start_in_chinese_then_english() {
    let app = spawn_app().await;
    let response = get(&app, "/", false).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "content-language"), "zh-CN, en");
    let html = response.text().await.unwrap();
    let links = references(&html);
    for target in ["/graphiql", "/dashboard", "/health", "/ready"] {
        assert!(links.iter().any(|l| l == target), "{target} in {links:?}");
    }
    for step in ["cargo run", "lianfang token --agency", "--org DEMO"] {
        assert!(html.contains(step), "{step}");
    }
    let chinese = html.find("获取令牌").unwrap();
    let english = html.find("Get a token").unwrap();
    assert!(chinese < english, "Chinese first");
    assert!(html.contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn the_pages_load_nothing_from_another_host() {
    let app = spawn_app().await;
    for path in PAGES {
        let response = get(&app, path, false).await;
        assert_eq!(response.status(), 200, "{path}");
        // The policy names no host: every source is 'self', 'none' or inline data.
        let csp = header(&response, "content-security-policy").to_owned();
        assert!(csp.starts_with("default-src 'self';"), "{path}: {csp}");
        for directive in csp.split(';').map(str::trim) {
            for source in directive.split_whitespace().skip(1) {
                assert!(
                    ["'self'", "'none'", "data:"].contains(&source),
                    "{path}: {source} in {directive}"
                );
            }
        }
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}: no inline script");
        assert!(!html.contains("<style"), "{path}: no inline style");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{path} names a host"
        );
        // Everything it refers to is here.
        for reference in references(&html) {
            let loaded = get(&app, &reference, true).await;
            assert_eq!(loaded.status(), 200, "{path} refers to {reference}");
        }
    }
    // The pages' own scripts and style name no host either (the SVG namespace is a name,
    // not an address: nothing is loaded from it).
    for (name, _, text) in OWN {
        let hosts = text
            .replace("http://www.w3.org/2000/svg", "")
            .matches("://")
            .count();
        assert_eq!(hosts, 0, "{name} names a host");
        assert!(!text.contains("unpkg") && !text.contains("cdn"), "{name}");
    }
}

#[tokio::test]
async fn third_party_files_are_served_as_published_and_cached_for_a_year() {
    let app = spawn_app().await;
    let vendor = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vendor");
    let kinds: Vec<&str> = VENDOR.iter().map(|f| f.content_type).collect();
    assert_eq!(VENDOR.len(), 6, "{kinds:?}");
    for file in VENDOR {
        let published = std::fs::read(vendor.join(file.path)).unwrap();
        let path = format!("/assets/vendor/{}", file.path);

        let zipped = get(&app, &path, true).await;
        assert_eq!(zipped.status(), 200, "{path}");
        assert_eq!(
            header(&zipped, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&zipped, "content-type"), file.content_type);
        let encoded = header(&zipped, "content-encoding") == "gzip";
        assert_eq!(encoded, file.gzipped, "{path}");
        let body = zipped.bytes().await.unwrap();
        let body = if encoded {
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut unpacked)
                .unwrap();
            assert!(body.len() < unpacked.len(), "{path} is compressed");
            unpacked
        } else {
            body.to_vec()
        };
        assert!(body == published, "{path} is the published file");

        // A client that takes no gzip gets the file itself.
        let plain = get(&app, &path, false).await;
        assert_eq!(header(&plain, "content-encoding"), "");
        assert!(plain.bytes().await.unwrap() == published, "{path} unpacked");
    }
    let missing = get(
        &app,
        "/assets/vendor/react@18.3.1/react.development.js",
        true,
    )
    .await;
    assert_eq!(missing.status(), 404);
    // The API itself is still never cached.
    let health = get(&app, "/health", false).await;
    assert_eq!(header(&health, "cache-control"), "no-store");
    for (name, content_type, _) in OWN {
        let own = get(&app, &format!("/assets/{name}"), true).await;
        assert_eq!(own.status(), 200);
        assert_eq!(header(&own, "content-type"), *content_type);
        assert_eq!(header(&own, "cache-control"), "no-cache");
    }
}

#[tokio::test]
async fn the_home_page_reads_in_chinese_in_a_browser_without_the_internet() {
    let app = spawn_app().await;
    let Some(binary) = chromium() else {
        return;
    };
    let browser = Browser::offline(&binary);
    let mut page = browser.page().await;
    page.navigate(&format!("{}/", app.base)).await;
    page.wait_for(
        "the page",
        "document.fonts.status === 'loaded' && document.querySelector('h1')",
    )
    .await;
    page.eval("document.fonts.ready.then(() => true)").await;
    let text = page.text().await;
    assert!(text.contains("第一步 First steps"), "{text}");
    if !system_has_chinese_font() {
        page.assert_chinese_drawn_in_a_chinese_font().await;
    }
    page.screenshot("home").await;
    assert_eq!(page.violations().await, serde_json::json!([]));
    assert_only_local(&page.requested_urls(), &app.base);
}
