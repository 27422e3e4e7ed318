//! The error page people see (403, 404, 405, 500 and the other refusals): the platform's frame with
//! the visitor's menu, a heading and an explanation in their language, and a way back to their
//! start page. Never the error's code or detail, which are for programs and the logs.
//!
//! [`crate::PageError`] renders it without knowing who is signed in (handlers and middleware hold
//! no user there); [`with_menu`], which runs where the caller is known, renders it again with the
//! caller's menu and start page.

use askama::Template;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use kernel::ErrorCode;

use crate::auth::CurrentUser;
use crate::error::{ErrorBody, ErrorDetail};
use crate::lang::Lang;
use crate::layout::Chrome;

/// What an error page says, kept in the response's extensions so that [`with_menu`] can render it
/// again for the signed-in caller.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// The error's message (Vietnamese, English): for people, never the code or the detail.
    pub message: (String, String),
    /// The error's detail, for a program that asked for JSON (never shown on the page).
    pub detail: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct Page<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
    hint: &'a str,
    back: &'static str,
    back_label: &'a str,
}

/// Heading and advice for a status, (Vietnamese, English) each.
fn wording(status: StatusCode) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match status.as_u16() {
        401 => (
            ("Bạn cần đăng nhập", "Please sign in"),
            ("Trang này chỉ mở được sau khi đăng nhập.", "This page opens only after you sign in."),
        ),
        403 => (
            ("Bạn không có quyền mở trang này", "You may not open this page"),
            (
                "Trang này dành cho người có vai trò hoặc phạm vi khác. Nếu công việc của bạn cần đến trang này, hãy liên hệ quản trị viên.",
                "This page is for another role or area. If your work needs it, ask your administrator.",
            ),
        ),
        404 => (
            ("Không tìm thấy trang", "Page not found"),
            (
                "Địa chỉ có thể bị gõ sai, hoặc nội dung đã được chuyển đi hay không còn nữa.",
                "The address may be mistyped, or what was here has moved or no longer exists.",
            ),
        ),
        405 => (
            ("Không thể làm thao tác này theo cách đó", "This action cannot be done that way"),
            (
                "Hãy quay lại trang trước và dùng nút hoặc biểu mẫu trên trang.",
                "Go back to the previous page and use its button or form.",
            ),
        ),
        s if s >= 500 => (
            ("Hệ thống đang gặp sự cố", "Something went wrong on our side"),
            (
                "Yêu cầu của bạn chưa được thực hiện. Xin thử lại sau ít phút; nếu vẫn lỗi, hãy báo cho bộ phận hỗ trợ.",
                "Your request was not carried out. Please try again in a few minutes; if it keeps failing, tell the help desk.",
            ),
        ),
        _ => (
            ("Không thể thực hiện yêu cầu", "The request could not be carried out"),
            ("Hãy kiểm tra lại thông tin rồi thử lại.", "Please check what you entered and try again."),
        ),
    }
}

/// The error page as a response with `status`, rendered for `user` (or a visitor) at `path`.
pub fn render(page: &ErrorPage, lang: Lang, user: Option<&CurrentUser>, path: &str) -> Response {
    let ((h_vi, h_en), (a_vi, a_en)) = wording(page.status);
    let chrome = Chrome::new(lang, (h_vi, h_en), user, path);
    let (back, back_label) = match (page.status.as_u16(), user) {
        (401, _) | (_, None) => ("/login", lang.pick("Đến trang đăng nhập", "Go to sign-in")),
        (_, Some(_)) => (chrome.home_href(), lang.pick("Về trang chính của bạn", "Back to your start page")),
    };
    // A code's generic message ("Không tìm thấy") only repeats the heading of these statuses; a
    // message of the error's own (or any message of a 400) is said.
    let generic = page.message.0 == page.code.message_vi() && page.message.1 == page.code.message_en();
    let repeats = generic && (matches!(page.status.as_u16(), 401 | 403 | 404 | 405) || page.status.is_server_error());
    let message = if repeats { "" } else { lang.pick(&page.message.0, &page.message.1) };
    let heading = lang.pick(h_vi, h_en);
    let body = Page {
        status: page.status.as_u16(),
        heading,
        message,
        hint: lang.pick(a_vi, a_en),
        back,
        back_label,
        chrome,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "error page rendering failed");
        format!("<!doctype html><title>{heading}</title><h1>{heading}</h1><p><a href=\"{back}\">{back_label}</a></p>")
    });
    let mut resp = (page.status, Html(body)).into_response();
    resp.extensions_mut().insert(page.code);
    resp.extensions_mut().insert(page.clone());
    resp
}

/// Middleware: renders error pages again with the caller's menu and start page and the status the
/// answer carries, or as the JSON error body for a program (see [`crate::error::from_program`])
/// that reached a page.
/// Runs inside [`crate::auth::resolve_user`] and outside every layer that may refuse a request.
pub async fn with_menu(req: Request, next: Next) -> Response {
    let user = req.extensions().get::<Option<CurrentUser>>().cloned().flatten();
    let (parts, body) = req.into_parts();
    let lang = Lang::from_parts(&parts);
    let program = crate::error::from_program(&parts);
    // The language toggle of a page answering a form leads to the start page, not to a GET of
    // the form's address.
    let path = if parts.method == Method::GET {
        parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
    } else {
        "/".to_string()
    };
    let resp = next.run(Request::from_parts(parts, body)).await;
    let Some(mut page) = resp.extensions().get::<ErrorPage>().cloned() else { return resp };
    // The status the answer carries wins over the code's: axum's 405 and 415 are refused as
    // `invalid_input` with their own status kept (`crate::request_head`).
    page.status = resp.status();
    if program {
        // The error was logged where it became a response; this only changes its form.
        let (message, message_en) = page.message;
        let detail = ErrorDetail { code: page.code.as_str(), message, message_en, detail: page.detail };
        let mut json = (page.status, Json(ErrorBody { error: detail })).into_response();
        json.extensions_mut().insert(page.code);
        return json;
    }
    let (mut head, _) = resp.into_parts();
    let fresh = render(&page, lang, user.as_ref(), &path);
    let (fresh_head, fresh_body) = fresh.into_parts();
    head.headers.remove(header::CONTENT_LENGTH);
    head.headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    head.extensions.extend(fresh_head.extensions);
    Response::from_parts(head, fresh_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(resp: Response) -> String {
        let bytes = futures::executor::block_on(axum::body::to_bytes(resp.into_body(), 1 << 20)).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn page(status: StatusCode, code: ErrorCode) -> ErrorPage {
        ErrorPage { status, code, message: (code.message_vi().into(), code.message_en().into()), detail: String::new() }
    }

    #[test]
    fn a_refusal_reads_as_a_sentence_with_a_way_back_and_no_code() {
        let actor = kernel::Actor::new("a1", "dan", kernel::Role::Citizen, kernel::Jurisdiction::Own("0".into()));
        let user = CurrentUser { actor, csrf: Some("t".into()) };
        let resp = render(&page(StatusCode::FORBIDDEN, ErrorCode::Forbidden), Lang::Vi, Some(&user), "/analytics");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(resp.extensions().get::<ErrorCode>(), Some(&ErrorCode::Forbidden));
        let html = text(resp);
        assert!(html.contains("Bạn không có quyền mở trang này"), "{html}");
        assert!(html.contains("href=\"/me\""), "no way back to the citizen's start page: {html}");
        assert!(!html.contains(">forbidden<") && !html.contains("forbidden"), "the raw code is shown: {html}");
    }

    #[test]
    fn visitors_are_led_to_sign_in_and_english_is_english() {
        let html = text(render(&page(StatusCode::NOT_FOUND, ErrorCode::NotFound), Lang::En, None, "/nowhere"));
        assert!(html.contains("Page not found") && html.contains("href=\"/login\""), "{html}");
        assert!(!html.contains("Không tìm thấy trang"), "Vietnamese on an English page: {html}");
        let html = text(render(&page(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal), Lang::Vi, None, "/"));
        assert!(html.contains("Hệ thống đang gặp sự cố") && !html.contains("internal"), "{html}");
    }
}
