//! GraphiQL in a real browser with the network cut off but for this machine: it loads from
//! the server alone, shows the schema of the token pasted into its bar (a field the token may
//! see is in the docs, one it may not is absent), runs a query with a result in Chinese drawn
//! in a font that can show it, and says what is wrong when one of its scripts does not load.

use entity::{Agency, Role};

use crate::{
    browser::{assert_only_local, chromium, system_has_chinese_font, Browser, Page},
    helpers::spawn_app,
};

/// The fields of `Query` as GraphiQL's documentation explorer lists them.
async fn query_fields_in_docs(page: &mut Page) -> Vec<String> {
    page.wait_for(
        "the docs button",
        "document.querySelector('[aria-label=\"Show Documentation Explorer\"]')",
    )
    .await;
    page.eval("document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()")
        .await;
    page.wait_for(
        "the schema's root types in the docs",
        "[...document.querySelectorAll('.graphiql-doc-explorer-type-name')].some(a => a.textContent === 'Query')",
    )
    .await;
    page.eval("[...document.querySelectorAll('.graphiql-doc-explorer-type-name')].find(a => a.textContent === 'Query').click()")
        .await;
    let fields = page
        .wait_for(
            "the fields of Query",
            "(() => { const f = [...document.querySelectorAll('.graphiql-doc-explorer-field-name')].map(a => a.textContent); return f.length ? f : null; })()",
        )
        .await;
    fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn graphiql_works_offline_with_the_schema_of_the_pasted_token() {
    let app = spawn_app().await;
    let Some(binary) = chromium() else {
        return;
    };
    let browser = Browser::offline(&binary);
    let mut page = browser.page().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    page.navigate(&format!("{}/graphiql#token={community}", app.base))
        .await;

    // The community's schema: its residents, no statistics, no audit trail.
    let fields = query_fields_in_docs(&mut page).await;
    assert!(fields.contains(&"persons".to_owned()), "{fields:?}");
    assert!(fields.contains(&"me".to_owned()), "{fields:?}");
    for hidden in ["statistics", "dailySeries", "auditEvents"] {
        assert!(
            !fields.contains(&hidden.to_owned()),
            "{hidden} in {fields:?}"
        );
    }
    assert_eq!(
        page.eval("location.hash").await,
        "",
        "the token is not left in the address"
    );

    // The default query, run: who the token is, with the community's Chinese name.
    page.eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
    let result = page
        .wait_for(
            "the query's result",
            "(() => { const r = document.querySelector('.graphiql-response'); return r && r.innerText.includes('DEMO-01-01-01') ? r.innerText : null; })()",
        )
        .await;
    let result = result.as_str().unwrap();
    assert!(
        result.contains("COMMUNITY") && result.contains("幸福里社区"),
        "{result}"
    );
    if !system_has_chinese_font() {
        page.assert_chinese_drawn_in_a_chinese_font().await;
    }
    page.screenshot("graphiql").await;

    // Another token pasted into the bar: its own schema.
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO");
    page.eval(&format!(
        "(() => {{ const i = document.getElementById('token'); i.value = '{analyst}'; \
         i.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true }})); }})()"
    ))
    .await;
    page.wait_for(
        "GraphiQL rebuilt for the new token",
        "!document.querySelector('.graphiql-doc-explorer-field-name')",
    )
    .await;
    let fields = query_fields_in_docs(&mut page).await;
    assert!(fields.contains(&"statistics".to_owned()), "{fields:?}");

    // Subscriptions: the policy lets the page open its WebSocket to the server.
    let socket = page
        .eval(
            "new Promise((done) => { \
               const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws'); \
               ws.onopen = () => { ws.close(); done('open'); }; \
               ws.onerror = () => done('refused'); })",
        )
        .await;
    assert_eq!(socket, "open");

    // Nothing from another host, nothing the page's policy refused.
    assert_eq!(page.violations().await, serde_json::json!([]));
    let urls = page.requested_urls();
    assert_only_local(&urls, &app.base);
    assert!(
        urls.iter()
            .any(|u| u.ends_with("/assets/vendor/graphiql@3.8.3/graphiql.min.js")),
        "{urls:?}"
    );
}

#[tokio::test]
async fn graphiql_names_the_script_that_did_not_load_instead_of_loading_for_ever() {
    let app = spawn_app().await;
    let Some(binary) = chromium() else {
        return;
    };
    let browser = Browser::offline(&binary);
    let mut page = browser.page().await;
    page.call(
        "Network.setBlockedURLs",
        serde_json::json!({ "urls": ["*/graphiql.min.js"] }),
    )
    .await;
    page.navigate(&format!("{}/graphiql", app.base)).await;
    let notice = page
        .wait_for(
            "the notice",
            "(() => { const n = document.getElementById('load-failed'); return n && n.innerText; })()",
        )
        .await;
    let notice = notice.as_str().unwrap();
    assert!(notice.contains("无法启动"), "{notice}");
    assert!(notice.contains("cannot start"), "{notice}");
    assert!(
        notice.contains("/assets/vendor/graphiql@3.8.3/graphiql.min.js"),
        "{notice}"
    );
    assert!(
        !notice.contains("react.production"),
        "only what is missing: {notice}"
    );
}
