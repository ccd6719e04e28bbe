//! The command's dashboard in a real headless browser (Debian's chromium) with the network
//! cut off but for this machine: the page loads the city's figures with a command token,
//! labels them in Chinese (drawn in a font that can show Chinese), draws a trend line per
//! district, and answers a token that may not see statistics with a plain message.

use entity::{Agency, Role};

use crate::{
    browser::{assert_only_local, chromium, system_has_chinese_font, Browser},
    helpers::{spawn_with, Options},
};

/// Pixels of the PNG within a small distance of the colour.
fn pixels_of(png_bytes: &[u8], rgb: (u8, u8, u8)) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("png frame");
    let channels = info.color_type.samples();
    buffer[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| {
            p.len() >= 3
                && p[0].abs_diff(rgb.0) < 24
                && p[1].abs_diff(rgb.1) < 24
                && p[2].abs_diff(rgb.2) < 24
        })
        .count()
}

#[tokio::test]
async fn the_dashboard_draws_the_city_by_district_offline_in_a_real_browser() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    // The page and its script, with a policy that forbids inline scripts.
    let page = app
        .client
        .get(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("/assets/dashboard.js") && !html.contains("<script>"));

    let Some(binary) = chromium() else {
        return;
    };
    let browser = Browser::offline(&binary);
    let mut page = browser.page().await;
    let token = app.token(Agency::Command, Role::Operator, "DEMO");
    page.navigate(&format!("{}/dashboard#token={token}&unit=DEMO", app.base))
        .await;
    page.wait_for(
        "the chart",
        "document.getElementById('chart').dataset.state === 'ready'",
    )
    .await;
    // Fonts load after the first drawing; the screenshot and the fonts are read after them.
    page.eval("document.fonts.ready.then(() => true)").await;

    // Four district lines, the city's name, its figures under Chinese labels.
    for district in ["江北区", "江南区", "高新区", "临湖县"] {
        let drawn = page
            .eval(&format!(
                "!!document.querySelector('path[data-unit=\"{district}\"]')"
            ))
            .await;
        assert_eq!(drawn, true, "no line for {district}");
    }
    let text = page.text().await;
    assert!(
        text.contains("云州市"),
        "the status names the city:\n{text}"
    );
    for label in ["新增确诊", "累计确诊", "医学观察中", "发热", "指挥部态势"] {
        assert!(text.contains(label), "{label} on the page:\n{text}");
    }
    let figures = page
        .eval("[...document.querySelectorAll('.card .value')].map(v => v.textContent)")
        .await;
    let figures = figures.as_array().unwrap();
    assert_eq!(figures.len(), 7, "{figures:?}");
    assert!(
        figures
            .iter()
            .all(|f| f.as_str().unwrap().parse::<u64>().is_ok()),
        "an operator sees every count: {figures:?}"
    );
    assert!(
        figures.iter().any(|f| f.as_str() != Some("0")),
        "the outbreak shows: {figures:?}"
    );
    assert_eq!(
        page.eval("location.href.includes('token')").await,
        false,
        "the token is not left in the page's address"
    );
    // A screenshot: the first district's line, in its colour, is really drawn.
    let shot = page.screenshot("dashboard").await;
    let red = pixels_of(&shot, (0xe6, 0x39, 0x46));
    let teal = pixels_of(&shot, (0x2a, 0x9d, 0x8f));
    assert!(
        red > 200 && teal > 200,
        "lines not drawn: {red} red, {teal} teal pixels"
    );

    if !system_has_chinese_font() {
        page.assert_chinese_drawn_in_a_chinese_font().await;
    }

    assert_eq!(page.violations().await, serde_json::json!([]));
    let urls = page.requested_urls();
    assert_only_local(&urls, &app.base);
    assert!(
        urls.iter().any(|u| u.contains("noto-sans-sc")) || system_has_chinese_font(),
        "the font came from the server: {urls:?}"
    );
}

#[tokio::test]
async fn a_token_that_may_not_see_statistics_gets_a_plain_message_on_the_dashboard() {
    let app = spawn_with(Options::default()).await;
    let Some(binary) = chromium() else {
        return;
    };
    let browser = Browser::offline(&binary);
    let mut page = browser.page().await;
    let status = "(() => { const s = document.getElementById('status'); \
                  return s.className === 'error' ? s.innerText : null; })()";

    // A grid worker's token, pasted by mistake.
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    page.navigate(&format!("{}/dashboard#token={community}", app.base))
        .await;
    let message = page.wait_for("the message", status).await;
    let message = message.as_str().unwrap().to_owned();
    assert!(message.contains("不能查看统计"), "{message}");
    assert!(message.contains("COMMUNITY OPERATOR"), "{message}");
    assert!(message.contains("COMMAND or ANALYST"), "{message}");
    assert!(
        !message.contains("Unknown field") && !message.contains("BAD_USER_INPUT"),
        "no raw GraphQL error: {message}"
    );

    // A token that is not one.
    page.navigate("about:blank").await;
    page.navigate(&format!("{}/dashboard#token=not-a-token", app.base))
        .await;
    let message = page.wait_for("the message", status).await;
    let message = message.as_str().unwrap().to_owned();
    assert!(message.contains("令牌无效或已过期"), "{message}");
    assert!(message.contains("invalid or has expired"), "{message}");
}
