//! Cross-site request forgery: every state-changing request that a browser session makes must
//! echo the session's token, checked here for all routes at once so that no handler can forget it.
//!
//! The token travels in the `X-CSRF-Token` header (scripts) or in a form field named `csrf`
//! (HTML forms, URL-encoded or multipart). Bearer-token callers send no cookies, so a forged
//! cross-site request cannot carry their credential, and they pass. Forms posted before a session
//! exists (sign-in, registration, password recovery) protect themselves with a double-submit
//! cookie and are listed as exempt by the crate that serves them.
//!
//! A check in the extractors would not see form bodies; this middleware buffers the body of a
//! session's unsafe request (at most [`MAX_BUFFERED`]) and hands it on unchanged.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use kernel::{AppError, ErrorCode};

use crate::auth::CurrentUser;
use crate::error::refusal;

/// Header carrying the session's CSRF token on requests made by scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Form field carrying the session's CSRF token in HTML forms.
pub const CSRF_FIELD: &str = "csrf";

/// The largest body buffered to find the form field (uploads of evidence and attachments).
pub const MAX_BUFFERED: usize = 32 * 1024 * 1024;

/// Path templates (`/org/invite/{token}`) whose forms carry their own protection.
#[derive(Clone, Default)]
pub struct Exempt(Arc<Vec<&'static str>>);

impl Exempt {
    pub fn new(paths: impl IntoIterator<Item = &'static str>) -> Exempt {
        Exempt(Arc::new(paths.into_iter().collect()))
    }

    fn covers(&self, path: &str) -> bool {
        self.0.iter().any(|t| template_matches(t, path))
    }
}

/// Whether `path` fits `template`, where a `{name}` segment matches any one segment.
fn template_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts == ps || (ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty()) => {}
            _ => return false,
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Middleware: refuses a session's unsafe request whose token is missing or wrong (403
/// `csrf_failed`, as JSON under `/api/` and as a page elsewhere). Runs after the caller is
/// resolved.
pub async fn guard(State(exempt): State<Exempt>, req: Request, next: Next) -> Response {
    let expected = match req.extensions().get::<Option<CurrentUser>>() {
        Some(Some(CurrentUser { csrf: Some(t), .. })) => t.clone(),
        _ => return next.run(req).await,
    };
    if is_safe(req.method()) || exempt.covers(req.uri().path()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let refuse = |detail: &str| refusal(&parts, AppError::new(ErrorCode::CsrfFailed, detail));
    if let Some(sent) = parts.headers.get(CSRF_HEADER) {
        if kernel::secret::ct_eq(sent.as_bytes(), &expected) {
            return next.run(Request::from_parts(parts, body)).await;
        }
        return refuse("wrong X-CSRF-Token header");
    }
    let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(b) => b,
        Err(_) => return refuse("request body too large to check its form token"),
    };
    let sent = form_field(&content_type, &bytes, CSRF_FIELD).await;
    if sent.as_deref().is_some_and(|s| kernel::secret::ct_eq(s, &expected)) {
        next.run(Request::from_parts(parts, Body::from(bytes))).await
    } else {
        refuse("missing or wrong form token (send X-CSRF-Token or a csrf field)")
    }
}

/// Whether a body of `content_type` is a form (URL-encoded or multipart), the bodies
/// [`form_field`] reads.
pub(crate) fn is_form(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") || mime.eq_ignore_ascii_case("multipart/form-data")
}

/// The field `name` of a URL-encoded or multipart form body.
pub(crate) async fn form_field(content_type: &str, body: &Bytes, name: &str) -> Option<String> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    }
    if mime.eq_ignore_ascii_case("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let stream = futures::stream::once(std::future::ready(Ok::<_, std::io::Error>(body.clone())));
        let mut form = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some(name) {
                return field.text().await.ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(template_matches("/login", "/login"));
        assert!(!template_matches("/login", "/login/second-factor"));
        assert!(template_matches("/org/invite/{token}", "/org/invite/abc"));
        assert!(!template_matches("/org/invite/{token}", "/org/invite/"));
        assert!(!template_matches("/org/invite/{token}", "/org/invite/a/b"));
    }

    #[tokio::test]
    async fn finds_the_field_in_both_form_encodings() {
        let url = Bytes::from_static(b"a=1&csrf=t%2Bk&b=2");
        assert_eq!(form_field("application/x-www-form-urlencoded", &url, CSRF_FIELD).await.as_deref(), Some("t+k"));
        let multipart = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n\
              --XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XyZ--\r\n",
        );
        assert_eq!(
            form_field("multipart/form-data; boundary=XyZ", &multipart, CSRF_FIELD).await.as_deref(),
            Some("tok")
        );
        assert_eq!(form_field("application/json", &url, CSRF_FIELD).await, None);
    }
}
