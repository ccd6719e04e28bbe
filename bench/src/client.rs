//! GraphQL over HTTP: one keep-alive client for every virtual user.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

use crate::runner::Outcome;

#[derive(Debug, Clone)]
pub struct Gql {
    client: reqwest::Client,
    url: String,
}

/// Builds the one HTTP/1.1 client of a run, with an idle pool large enough for every
/// concurrent user so connections are kept alive and reused. A connection idle for 4 s is
/// dropped by the client first: the server closes one idle for 5 s (actix-web's default
/// keep-alive), and a request sent on a connection the server is closing that moment fails as
/// "error sending request", an error of the load tool, not of the server (seen in the mix,
/// whose users think for up to 2 s, when slower answers left connections idle longer).
pub fn http_client(pool: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(pool)
        .pool_idle_timeout(Duration::from_secs(4))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")
}

impl Gql {
    pub fn new(client: reqwest::Client, base_url: &str) -> Self {
        Self {
            client,
            url: format!("{}/graphql", base_url.trim_end_matches('/')),
        }
    }

    /// Posts one operation; `Ok(data)` only for HTTP 200 without a GraphQL `errors` array.
    pub async fn post(&self, token: &str, query: &str, variables: Value) -> Result<Value, String> {
        let mut request = self.client.post(&self.url);
        // The peer takes no token.
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| format!("transport: {}", without_url(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the body: {}", without_url(&e)))?;
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        if let Some(error) = parsed.as_ref().and_then(first_error) {
            return Err(format!("HTTP {}: {error}", status.as_u16()));
        }
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            return Err(format!(
                "HTTP {}: {}",
                status.as_u16(),
                text.chars().take(200).collect::<String>()
            ));
        }
        let mut parsed =
            parsed.ok_or_else(|| "HTTP 200 with a body that is not JSON".to_owned())?;
        Ok(parsed
            .get_mut("data")
            .map(Value::take)
            .unwrap_or(Value::Null))
    }

    /// Posts and counts the response as one request.
    pub async fn request(&self, token: &str, query: &str, variables: Value) -> Outcome {
        match self.post(token, query, variables).await {
            Ok(_) => Outcome::ok(),
            Err(error) => Outcome::error(error),
        }
    }
}

/// The first GraphQL error as `CODE: message`, if the response has any.
fn first_error(body: &Value) -> Option<String> {
    let first = body.get("errors")?.as_array()?.first()?;
    let code = first
        .pointer("/extensions/code")
        .and_then(Value::as_str)
        .unwrap_or("NO_CODE");
    let message = first.get("message").and_then(Value::as_str).unwrap_or("");
    Some(format!("{code}: {message}"))
}

fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if err.is_timeout() {
        text = "timed out".into();
    } else if err.is_connect() {
        text = "cannot connect".into();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_names_its_code() {
        let body =
            json!({ "errors": [{ "message": "no", "extensions": { "code": "NOT_FOUND" } }] });
        assert_eq!(first_error(&body).as_deref(), Some("NOT_FOUND: no"));
        assert_eq!(first_error(&json!({ "data": {} })), None);
        assert_eq!(first_error(&json!({ "errors": [] })), None);
    }
}
