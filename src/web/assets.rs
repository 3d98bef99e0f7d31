//! The console's stylesheet and script, compiled into the binary: no CDN, nothing
//! fetched at run time. Their URLs carry a digest of their content, so browsers may
//! keep them for a year and still never see a stale copy.
use std::sync::OnceLock;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/console.js"),
    },
];

/// `console.css` -> `console.3f2a9c1e.css`, computed once.
fn versioned(name: &str) -> Option<&'static str> {
    static NAMES: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.body.as_bytes());
                let short = &format!("{digest:x}")[..8];
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                (format!("{stem}.{short}.{ext}"), a.name)
            })
            .collect()
    });
    names
        .iter()
        .find(|(_, plain)| *plain == name)
        .map(|(v, _)| v.as_str())
}

/// The URL of an asset, as pages link it.
pub fn url(name: &str) -> String {
    format!("/console/assets/{}", versioned(name).unwrap_or(name))
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let found = ASSETS
        .iter()
        .find(|a| versioned(a.name) == Some(file.as_str()) || a.name == file);
    match found {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
