//! The command's dashboard in a real headless browser (Debian's chromium): the page loads
//! the city's figures with a command token and draws a trend line per district; a
//! screenshot shows the lines in their colours.
//!
//! Without chromium on the machine the browser part is skipped with a message, unless
//! REQUIRE_BROWSER is set (`.ci/run` sets it, after installing chromium).

use std::process::Command;

use entity::{Agency, Role};

use crate::helpers::{spawn_with, Options};

fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".to_owned()),
        Some("/usr/bin/chromium-browser".to_owned()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|path| std::path::Path::new(path).exists())
}

fn headless(browser: &str, extra: &[&str], url: &str) -> std::process::Output {
    let profile = std::env::temp_dir().join(format!("lianfang-chromium-{}", std::process::id()));
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--hide-scrollbars".to_owned(),
        "--window-size=1000,800".to_owned(),
        "--virtual-time-budget=10000".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(url.to_owned());
    Command::new(browser)
        .args(&args)
        .output()
        .expect("run chromium")
}

/// Pixels of the PNG within a small distance of the colour.
fn pixels_of(png_path: &std::path::Path, rgb: (u8, u8, u8)) -> usize {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).expect("screenshot"));
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
async fn the_dashboard_draws_the_city_by_district_in_a_real_browser() {
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
    let script = app
        .client
        .get(format!("{}/assets/dashboard.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);

    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but chromium is not installed"
        );
        eprintln!("chromium not found: the browser part of the dashboard test is skipped");
        return;
    };
    let token = app.token(Agency::Command, Role::Operator, "DEMO");
    let url = format!("{}/dashboard#token={token}&unit=DEMO", app.base);

    // The DOM after the script ran: four district lines and the city's cards.
    let dom = {
        let browser = browser.clone();
        let url = url.clone();
        tokio::task::spawn_blocking(move || headless(&browser, &["--dump-dom"], &url))
            .await
            .unwrap()
    };
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    assert!(
        dom.contains("data-state=\"ready\""),
        "the chart did not render:\n{dom}"
    );
    for district in ["江北区", "江南区", "高新区", "临湖县"] {
        assert!(
            dom.contains(&format!("data-unit=\"{district}\"")),
            "no line for {district}"
        );
    }
    assert!(dom.contains("云州市"), "the status names the city");
    assert!(
        !dom.contains(&token),
        "the token is not left in the page's address"
    );

    // A screenshot: the first district's line, in its colour, is really drawn.
    let shot = std::env::temp_dir().join(format!("lianfang-dashboard-{}.png", std::process::id()));
    let flag = format!("--screenshot={}", shot.display());
    let output = tokio::task::spawn_blocking(move || headless(&browser, &[&flag], &url))
        .await
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let red = pixels_of(&shot, (0xe6, 0x39, 0x46));
    let teal = pixels_of(&shot, (0x2a, 0x9d, 0x8f));
    assert!(
        red > 200 && teal > 200,
        "lines not drawn: {red} red, {teal} teal pixels"
    );
    if std::env::var_os("KEEP_SCREENSHOT").is_none() {
        let _ = std::fs::remove_file(&shot);
    }
}
