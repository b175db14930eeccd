//! The panel's static files (its stylesheet, vendored htmx), embedded in the binary so
//! that the binary stays the whole product. Third-party files are pinned, with their
//! SHA-256 in `assets/CHECKSUMS` (a test keeps them equal).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The files of `host/web/assets`.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// The vendored htmx, as pages name it.
pub const HTMX: &str = "/assets/htmx-2.0.11.min.js";

/// `GET /assets/{file}`: an embedded file, cached for a day (names change with
/// versions).
pub async fn asset(Path(file): Path<String>) -> Response {
    let Some(content) = Assets::get(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let kind = match file.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        content.data.into_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_files_match_their_checksums() {
        use sha2::Digest as _;
        let sums = Assets::get("CHECKSUMS").unwrap();
        let sums = std::str::from_utf8(&sums.data).unwrap();
        let mut checked = 0;
        for line in sums
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (sum, name) = line.split_once("  ").unwrap();
            let file = Assets::get(name).unwrap_or_else(|| panic!("{name} is not embedded"));
            let actual: String = sha2::Sha256::digest(&file.data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(actual, sum, "{name}");
            checked += 1;
        }
        assert!(checked > 0);
        assert!(HTMX.ends_with(sums.lines().last().unwrap().split_once("  ").unwrap().1));
    }
}
