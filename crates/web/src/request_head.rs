//! Limits on a request's head, and error answers in the platform's form whoever made them.
//!
//! hyper answers a URL or header block beyond its own limits with a bare status line (414, 431),
//! and axum's extractors and router answer bad forms, unknown methods and missing routes with
//! plain text or nothing. Programs then get no `code` to switch on and people get a blank page. So
//! the head is limited here, below hyper's limits (which `serve` raises), with the JSON error body
//! or error page; and any error answer without a body of ours is given one, its status kept.

use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use kernel::{AppError, ErrorCode};

use crate::error::refusal;

/// The longest URL (path and query) read: the longest page or API link is far below.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most header fields read.
pub const MAX_HEADERS: usize = 100;

/// The most bytes of header names and values read.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Header fields hyper itself reads before answering 431 with no body: above [`MAX_HEADERS`], so
/// that this module answers first.
pub const HYPER_MAX_HEADERS: usize = 4 * MAX_HEADERS;

/// Middleware: refuses a request whose URL or headers are beyond the limits (414 `uri_too_long`,
/// 431 `headers_too_large`), and gives error answers without a body of the platform's the JSON
/// error body (programs) or an error page (people).
pub async fn limit_and_explain(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let uri = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        let detail = format!("the URL has {uri} bytes; at most {MAX_URI_BYTES} are read");
        return refusal(&parts, AppError::new(ErrorCode::UriTooLong, detail));
    }
    let header_bytes: usize = parts.headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if parts.headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        let detail = format!(
            "{} header fields of {header_bytes} bytes; at most {MAX_HEADERS} fields and {MAX_HEADER_BYTES} bytes are read",
            parts.headers.len()
        );
        return refusal(&parts, AppError::new(ErrorCode::HeadersTooLarge, detail));
    }
    let head = what_an_error_answer_reads(&parts);
    let answer = next.run(Request::from_parts(parts, body)).await;
    if !needs_our_body(&answer) {
        return answer;
    }
    let status = answer.status();
    let detail = plain_detail(answer).await;
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::URI_TOO_LONG => ErrorCode::UriTooLong,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ErrorCode::HeadersTooLarge,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidInput,
    };
    let mut explained = refusal(&head, AppError::new(code, detail));
    // The status stays what the router or extractor said (405, 413, 415, 422…): only the body is
    // made readable.
    *explained.status_mut() = status;
    explained
}

/// The parts of a request that [`refusal`] reads (who is asking, in which language), kept before
/// the request is handed on; the header values are reference-counted, so this copies little.
fn what_an_error_answer_reads(parts: &axum::http::request::Parts) -> axum::http::request::Parts {
    let mut probe = Request::new(());
    *probe.uri_mut() = parts.uri.clone();
    for name in [CONTENT_TYPE, ACCEPT, COOKIE] {
        for value in parts.headers.get_all(&name) {
            probe.headers_mut().append(name.clone(), value.clone());
        }
    }
    probe.into_parts().0
}

/// An error answer whose body is not JSON or HTML: axum's plain-text rejections, empty bodies.
fn needs_our_body(answer: &Response) -> bool {
    if !(answer.status().is_client_error() || answer.status().is_server_error()) {
        return false;
    }
    let kind = answer.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    !(kind.contains("json") || kind.starts_with("text/html") || kind.starts_with("text/event-stream"))
}

/// The plain-text body of such an answer (axum says what was wrong), or the status's reason.
async fn plain_detail(answer: Response) -> String {
    let status = answer.status();
    let text = axum::body::to_bytes(answer.into_body(), 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_lowercase()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn only_error_answers_without_our_body_are_rewritten() {
        let plain = (StatusCode::UNPROCESSABLE_ENTITY, "Failed to deserialize form body").into_response();
        assert!(needs_our_body(&plain));
        assert!(needs_our_body(&StatusCode::METHOD_NOT_ALLOWED.into_response()));
        let json = crate::error::ApiError(AppError::invalid("x")).into_response();
        assert!(!needs_our_body(&json));
        assert!(!needs_our_body(&(StatusCode::OK, "fine").into_response()));
    }
}
