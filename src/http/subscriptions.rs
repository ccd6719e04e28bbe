//! Subscriptions over WebSocket at `/graphql`, protocol graphql-transport-ws.
//!
//! The token comes in the `connection_init` payload (`{"token": "<JWT>"}` or
//! `{"Authorization": "Bearer <JWT>"}`) and is checked there like a request's header; a
//! missing, bad or expired token closes the connection with the protocol's 4403 Forbidden.
//! Messages are in the language of the upgrade request's `Accept-Language`, or of an
//! `acceptLanguage` in the `connection_init` payload (browsers cannot set headers here).
//! Every subscription then runs as that principal: its policy filters and masks each event.

use std::sync::Arc;

use actix_web::{
    http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL},
    web, HttpRequest, HttpResponse,
};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::{
    http::{WebSocket, WebSocketProtocols as Protocols, WsMessage},
    Data,
};
use futures_util::StreamExt;

use super::Endpoint;
use crate::{audit::Actor, auth, graphql::loaders::Loaders, i18n::Locale};

const PROTOCOL: &str = "graphql-transport-ws";
/// What the init callback answers for a refused token; turned into close code 4403.
const FORBIDDEN: &str = "Forbidden";
/// graphql-transport-ws: the server refuses the connection's credentials.
const CLOSE_FORBIDDEN: u16 = 4403;
/// How often an open connection's token is checked again: once it expires or is revoked,
/// the connection closes with 4403 within this time.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether a GET to `/graphql` asks to become a WebSocket.
pub fn is_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

pub async fn websocket(
    req: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint>,
    request_id: String,
) -> HttpResponse {
    let offers_protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if !offers_protocol {
        return HttpResponse::BadRequest()
            .content_type("text/plain")
            .body("subscriptions speak graphql-transport-ws: offer it in Sec-WebSocket-Protocol");
    }
    let (mut response, session, messages) = match actix_ws::handle(&req, payload) {
        Ok(parts) => parts,
        Err(err) => return err.error_response(),
    };
    response
        .headers_mut()
        .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    let locale = super::graphql::locale_of(&req);
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.tag()),
    );
    actix_web::rt::spawn(serve(
        endpoint.into_inner(),
        session,
        messages,
        request_id,
        locale,
    ));
    response
}

async fn serve(
    endpoint: Arc<Endpoint>,
    session: actix_ws::Session,
    messages: actix_ws::MessageStream,
    request_id: String,
    locale: Locale,
) {
    let pong = session.clone();
    // Client frames, as text for the protocol; pings answered here; a close ends it.
    let incoming = Box::pin(
        messages
            .max_frame_size(64 * 1024)
            .aggregate_continuations()
            .take_while(|message| {
                std::future::ready(!matches!(message, Ok(AggregatedMessage::Close(_)) | Err(_)))
            })
            .filter_map(move |message| {
                let mut pong = pong.clone();
                async move {
                    match message {
                        Ok(AggregatedMessage::Text(text)) => Some(text.to_string()),
                        Ok(AggregatedMessage::Binary(bytes)) => {
                            Some(String::from_utf8_lossy(&bytes).into_owned())
                        }
                        Ok(AggregatedMessage::Ping(bytes)) => {
                            let _ = pong.pong(&bytes).await;
                            None
                        }
                        _ => None,
                    }
                }
            }),
    );
    let init_endpoint = Arc::clone(&endpoint);
    // The accepted token, checked again while the connection lasts.
    let credential: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let accepted = Arc::clone(&credential);
    let mut protocol = WebSocket::new(endpoint.schema.clone(), incoming, Protocols::GraphQLWS)
        .on_connection_init(move |payload: serde_json::Value| {
            let endpoint = Arc::clone(&init_endpoint);
            let request_id = request_id.clone();
            let accepted = Arc::clone(&accepted);
            async move {
                let token = payload
                    .get("token")
                    .and_then(|t| t.as_str())
                    .map(|t| format!("Bearer {t}"))
                    .or_else(|| {
                        ["Authorization", "authorization"]
                            .iter()
                            .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
                            .map(str::to_owned)
                    });
                let state = &endpoint.state;
                let principal = auth::authenticate(
                    token.as_deref(),
                    &endpoint.verifier,
                    &state.orgs,
                    &state.db,
                )
                .await
                .map_err(|err| {
                    tracing::info!(request_id = %request_id, reason = %err, "subscription refused");
                    async_graphql::Error::new(FORBIDDEN)
                })?;
                if let (Ok(mut slot), Some(token)) = (accepted.lock(), token) {
                    *slot = token
                        .strip_prefix("Bearer ")
                        .or_else(|| token.strip_prefix("bearer "))
                        .map(|t| t.trim().to_owned());
                }
                // A browser cannot set headers on a WebSocket: connection_init may say it.
                let locale = ["acceptLanguage", "Accept-Language", "accept-language"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
                    .map_or(locale, |header| Locale::from_accept_language(Some(header)));
                let mut data = Data::default();
                data.insert(locale);
                data.insert(Arc::new(Actor::new(principal, request_id)));
                data.insert(Loaders::new(state));
                Ok(data)
            }
        });
    let mut session = session;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    let mut stopping = endpoint.stopping.clone();
    loop {
        let message = tokio::select! {
            message = protocol.next() => message,
            _ = stopping.wait_for(|stop| *stop) => {
                // The server is stopping: say so, as WebSocket's "going away".
                let _ = session
                    .close(Some(CloseReason {
                        code: CloseCode::Away,
                        description: Some("the server is restarting; reconnect and catch up with `alerts(since:)`".into()),
                    }))
                    .await;
                return;
            }
            _ = recheck.tick() => {
                let token = credential.lock().ok().and_then(|slot| slot.clone());
                if token.is_some_and(|t| endpoint.verifier.verify(&t).is_err()) {
                    let _ = session
                        .close(Some(CloseReason {
                            code: CloseCode::Other(CLOSE_FORBIDDEN),
                            description: Some("Forbidden: the token expired or was revoked".into()),
                        }))
                        .await;
                    return;
                }
                continue;
            }
        };
        match message {
            None => break,
            Some(WsMessage::Text(text)) => {
                if session.text(text).await.is_err() {
                    return;
                }
            }
            Some(WsMessage::Close(code, reason)) => {
                let code = if reason == FORBIDDEN {
                    CLOSE_FORBIDDEN
                } else {
                    code
                };
                let _ = session
                    .close(Some(CloseReason {
                        code: CloseCode::Other(code),
                        description: Some(reason),
                    }))
                    .await;
                return;
            }
        }
    }
    let _ = session.close(None).await;
}
