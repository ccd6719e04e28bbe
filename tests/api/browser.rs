//! A real browser for the pages: Debian's chromium, headless, driven over the DevTools
//! protocol, with every host but this machine's loopback unreachable (no name resolves but
//! 127.0.0.1, and the proxy for everything else points at a port where nothing listens), as
//! on an agency network without the internet.
//!
//! Without chromium on the machine the browser tests skip with a message, unless
//! REQUIRE_BROWSER is set (`.ci/run` sets it, after installing chromium).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".to_owned()),
        Some("/usr/bin/chromium-browser".to_owned()),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|path| Path::new(path).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but chromium is not installed"
        );
        eprintln!("chromium not found: the browser part of this test is skipped");
    }
    found
}

/// Whether the system has a Chinese font of its own (then pages need not use the served one).
pub fn system_has_chinese_font() -> bool {
    Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false)
}

pub struct Browser {
    child: Child,
    profile: PathBuf,
    port: u16,
}

impl Browser {
    /// Starts chromium with the network cut off but for 127.0.0.1.
    pub fn offline(binary: &str) -> Self {
        let profile = std::env::temp_dir().join(format!(
            "lianfang-chromium-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1200,900",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-port=0",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1",
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("stderr");
        let (found, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("DevTools listening on ws://127.0.0.1:").nth(1) {
                    let _ = found.send(rest.split('/').next().unwrap_or_default().to_owned());
                }
            }
        });
        let port = port
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium's DevTools port")
            .parse()
            .expect("a port");
        Self {
            child,
            profile,
            port,
        }
    }

    /// The first tab, ready to be driven.
    pub async fn page(&self) -> Page {
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{}/json/list", self.port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut page = Page {
            socket,
            next_id: 0,
            events: Vec::new(),
        };
        for domain in ["Page", "Runtime", "Network", "DOM", "CSS"] {
            page.call(&format!("{domain}.enable"), json!({})).await;
        }
        // Every violation of the page's Content-Security-Policy, kept for the test to read.
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
        )
        .await;
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub struct Page {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events received so far (`Network.requestWillBeSent`, ...).
    events: Vec<Value>,
}

impl Page {
    /// Sends a DevTools command and returns its result; events arriving meanwhile are kept.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            let Some(Ok(Message::Text(text))) = next else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            if value.get("method").is_some() {
                self.events.push(value);
            }
        }
    }

    pub async fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url })).await;
    }

    /// Evaluates JavaScript in the page (awaiting a promise) and returns its value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until the expression is truthy (a page still loading may throw: not yet);
    /// returns its value, or `true` for an element.
    pub async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        let guarded = format!(
            "(() => {{ try {{ const v = ({expression}); return v instanceof Node ? true : v; }} \
             catch (e) {{ return null; }} }})()"
        );
        loop {
            let value = self.eval(&guarded).await;
            if !(value.is_null() || value == false || value == "" || value == 0) {
                return value;
            }
            if Instant::now() > deadline {
                let text = self
                    .eval("document.body ? document.body.innerText : ''")
                    .await;
                panic!("{what}: not within 30 s; the page says:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the page (what a person reads), as rendered.
    pub async fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves a PNG of the page (kept with KEEP_SCREENSHOT, to look at) and returns its bytes.
    pub async fn screenshot(&mut self, name: &str) -> Vec<u8> {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        if std::env::var_os("KEEP_SCREENSHOT").is_some() {
            let path = std::env::temp_dir().join(format!("lianfang-{name}.png"));
            std::fs::write(&path, &png).unwrap();
            eprintln!("screenshot: {}", path.display());
        }
        png
    }

    /// Names of the fonts the browser drew the first match's text with.
    pub async fn fonts_of(&mut self, selector: &str) -> Vec<(String, bool)> {
        let root = self.call("DOM.getDocument", json!({ "depth": 0 })).await;
        let node = self
            .call(
                "DOM.querySelector",
                json!({ "nodeId": root["root"]["nodeId"], "selector": selector }),
            )
            .await;
        let fonts = self
            .call(
                "CSS.getPlatformFontsForNode",
                json!({ "nodeId": node["nodeId"] }),
            )
            .await;
        fonts["fonts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["familyName"].as_str().unwrap_or_default().to_owned(),
                    f["isCustomFont"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }

    /// Asserts that every element showing Chinese text of its own draws it in a font that
    /// has Chinese: the served Noto Sans SC (this check is for a machine without a Chinese
    /// font of its own). An element drawn only in another font shows empty boxes.
    pub async fn assert_chinese_drawn_in_a_chinese_font(&mut self) {
        let count = self
            .eval(
                "(() => { let n = 0; for (const e of document.querySelectorAll('body *')) { \
                 const own = [...e.childNodes].filter(c => c.nodeType === 3).map(c => c.textContent).join(''); \
                 if (/[\\u3400-\\u9fff]/.test(own) && e.getClientRects().length) { e.setAttribute('data-chinese-text', n++); } } \
                 return n; })()",
            )
            .await
            .as_u64()
            .unwrap();
        assert!(count > 0, "no Chinese text on the page");
        for n in 0..count {
            let selector = format!("[data-chinese-text=\"{n}\"]");
            let fonts = self.fonts_of(&selector).await;
            if fonts.is_empty() {
                continue;
            }
            let text = self
                .eval(&format!("document.querySelector('{selector}').textContent"))
                .await;
            assert!(
                fonts
                    .iter()
                    .any(|(name, custom)| name.starts_with("Noto Sans SC") && *custom),
                "{text} is drawn in {fonts:?}: empty boxes"
            );
        }
    }

    /// Every URL the page asked for since it was opened.
    pub fn requested_urls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str())
            .map(str::to_owned)
            .collect()
    }

    /// Content-Security-Policy violations the current document reported.
    pub async fn violations(&mut self) -> Value {
        self.eval("window.__violations").await
    }
}

/// Asserts that every request went to the server (or stayed in the page: data, blob).
pub fn assert_only_local(urls: &[String], base: &str) {
    assert!(!urls.is_empty(), "no request was seen");
    for url in urls {
        let local = url.starts_with(&format!("{base}/"))
            || url.starts_with(&base.replace("http://", "ws://"))
            || url.starts_with("data:")
            || url.starts_with("blob:")
            || url.starts_with("about:");
        assert!(local, "the page asked another host: {url}");
    }
}
