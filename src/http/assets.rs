//! Files the pages load, served from the binary, so that they work on a network without the
//! internet: third-party ones under `/assets/vendor/<package>@<version>/…` (cached for a
//! year: a new version is a new path), and the pages' own script and style under
//! `/assets/…` (checked again on each use, since they change with the server).

use std::io::Read;

use actix_web::{
    http::header::{self, HeaderValue},
    web, HttpRequest, HttpResponse,
};

/// A third-party file (`assets/vendor`), as `build.rs` stored it.
pub struct VendorFile {
    /// Below `/assets/vendor/`, e.g. `react@18.3.1/react.production.min.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// Stored gzipped (JavaScript and CSS); fonts are compressed already.
    pub gzipped: bool,
    pub bytes: &'static [u8],
}

pub const VENDOR: &[VendorFile] = include!(concat!(env!("OUT_DIR"), "/vendor_files.rs"));

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The pages' own files, by name below `/assets/`.
pub const OWN: &[(&str, &str, &str)] = &[
    ("graphiql.js", JS, include_str!("graphiql.js")),
    ("dashboard.js", JS, include_str!("dashboard.js")),
    ("pages.css", CSS, include_str!("pages.css")),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET /assets/vendor/{path}`: gzipped as stored to browsers that take gzip (all do), else
/// unpacked here.
pub async fn vendor(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(file) = VENDOR.iter().find(|f| f.path == path.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(file.content_type)
        .insert_header((header::CACHE_CONTROL, IMMUTABLE));
    if !file.gzipped {
        return response.body(file.bytes);
    }
    response.insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip(&req) {
        return response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(file.bytes);
    }
    let mut unpacked = Vec::with_capacity(file.bytes.len() * 4);
    match flate2::read::GzDecoder::new(file.bytes).read_to_end(&mut unpacked) {
        Ok(_) => response.body(unpacked),
        Err(err) => {
            tracing::error!(path = file.path, error = %err, "a stored asset does not unpack");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `GET /assets/{name}`: the pages' own script and style.
pub async fn own(name: web::Path<String>) -> HttpResponse {
    match OWN.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, content_type, text)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(*text),
        None => HttpResponse::NotFound().finish(),
    }
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}
