//! The pages' static files (stylesheet, logo), embedded in the binary and served under names
//! that carry a hash of their content, so a browser may keep each for a year and still gets a
//! new one the moment it changes. Nothing is fetched from anywhere else.

use std::sync::OnceLock;

use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{handler, IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        stem: "peertrack",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/peertrack.css"),
    },
    Asset {
        stem: "peertrack",
        extension: "svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/peertrack.svg"),
    },
];

/// Where each file is served, with its content hash in the name.
#[derive(Debug, Clone)]
pub struct AssetPaths {
    /// The stylesheet.
    pub css: String,
    /// The logo.
    pub logo: String,
}

fn hashed_name(asset: &Asset) -> String {
    let digest = Sha256::digest(asset.bytes);
    let short: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("{}.{short}.{}", asset.stem, asset.extension)
}

fn names() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| ASSETS.iter().map(hashed_name).collect())
}

/// The paths pages link to.
pub fn paths() -> &'static AssetPaths {
    static PATHS: OnceLock<AssetPaths> = OnceLock::new();
    PATHS.get_or_init(|| {
        let names = names();
        AssetPaths {
            css: format!("/assets/{}", names[0]),
            logo: format!("/assets/{}", names[1]),
        }
    })
}

/// `GET /assets/{name}`: a file by its hashed name; anything else is 404.
#[handler]
pub fn serve(Path(name): Path<String>) -> Response {
    match names().iter().position(|n| *n == name) {
        Some(index) => {
            let asset = &ASSETS[index];
            Response::builder()
                .content_type(asset.content_type)
                .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
                .body(asset.bytes)
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_change_with_the_content() {
        let paths = paths();
        assert!(paths.css.starts_with("/assets/peertrack.") && paths.css.ends_with(".css"));
        assert_ne!(hashed_name(&ASSETS[0]), hashed_name(&ASSETS[1]));
        let changed = Asset {
            bytes: b"body{}",
            ..Asset { ..ASSETS[0] }
        };
        assert_ne!(hashed_name(&changed), hashed_name(&ASSETS[0]));
    }
}
