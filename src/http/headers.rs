//! Headers every response carries: CORS closed unless configured, and the usual security
//! headers. The API serves JSON; the pages are HTML and get a policy of their own.

use actix_cors::Cors;
use actix_web::{http::header, middleware::DefaultHeaders};

/// Content-Security-Policy of JSON responses: nothing may load, nothing may frame them.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Browsers may call the API only from the configured origins; with none configured, the
/// middleware answers no cross-origin request with permission.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers(["X-Request-Id", "Retry-After"])
        .max_age(600);
    for origin in allowed_origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
    {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Security headers, set where a handler has not set its own.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CONTENT_SECURITY_POLICY, API_CSP))
        .add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Content-Security-Policy of the server's pages (home, GraphiQL, the dashboard): scripts,
/// styles and fonts come from this server only (agency networks are often offline, and
/// nothing else should run there), no inline script, and they talk only to this server.
/// `data:` is for the images and fonts GraphiQL's stylesheet carries inline.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
