//! Stable error codes with localized messages.
//!
//! API clients switch on `code`; people read `message`. The HTTP status lives here as a number so the
//! `web` crate can map errors without knowing every domain.

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use serde::Serialize;

/// Every error the platform reports to a client. The string form is part of the public API: never
/// rename a variant's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidPersonalId,
    InvalidDate,
    InvalidInput,
    UnknownCommune,
    UnknownProvince,
    BadPagination,
    NotFound,
    Unauthenticated,
    Forbidden,
    OutOfJurisdiction,
    Conflict,
    /// An optimistic update named a version that is no longer current: reload and retry.
    StaleVersion,
    /// A lodging facility or venue that is not approved (pending, suspended) takes no guests.
    LodgingFacilityNotApproved,
    /// The guest has checked out already: the stay can no longer change.
    LodgingAlreadyCheckedOut,
    /// An application cannot be approved before its result document has content (a judicial
    /// record, a confirmation): the officer enters it first.
    ServicesResultMissing,
    /// The application has been rated already: one rating per application.
    ServicesAlreadyRated,
    /// The fine decision is paid, or another open application is paying it.
    ServicesFineNotPayable,
    /// The authenticator's answer to a passkey ceremony was not accepted.
    PasskeyRefused,
    /// The account exists but cannot be used now (locked, suspended, deceased).
    AccountUnavailable,
    RateLimited,
    CsrfFailed,
    /// The request was not received or answered within the server's time limits.
    RequestTimeout,
    /// The server holds as many connections as it is configured to: retry shortly.
    ServerBusy,
    /// A request with the same `Idempotency-Key` is still being carried out: retry shortly.
    RequestInProgress,
    /// An `Idempotency-Key` was sent again with a different request.
    IdempotencyKeyReused,
    /// The request's URL is longer than the server reads.
    UriTooLong,
    /// The request's header fields are more or larger than the server reads.
    HeadersTooLarge,
    /// A data-exchange message is not a compact JWS signed by a current key of the subsystem it
    /// names (unsigned, badly signed, unknown or retired key).
    ExchangeBadSignature,
    /// A data-exchange message has expired, is not valid yet, or claims to live longer than allowed.
    ExchangeExpired,
    /// A data-exchange message was addressed to another receiver (`aud`).
    ExchangeWrongAudience,
    /// A data-exchange request for a purpose that needs the citizen's consent came without a valid
    /// consent: none named, unknown, withdrawn, expired, or given to another member, purpose,
    /// person or fields.
    ExchangeConsentRefused,
    /// A data-exchange request id (`jti`) was used before: each request is accepted once.
    ExchangeReplayed,
    /// A data-exchange message is larger than the receiver accepts.
    ExchangeTooLarge,
    /// The calling member or subsystem is not approved (pending or suspended).
    ExchangeMemberNotApproved,
    /// The subsystem has no current right to this service for this purpose and these fields.
    ExchangeNotGranted,
    /// The right's daily quota is used up.
    ExchangeQuotaExceeded,
    /// No such service in the exchange catalogue.
    ExchangeUnknownService,
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation checks.
    pub const ALL: [ErrorCode; 38] = [
        ErrorCode::InvalidPersonalId,
        ErrorCode::InvalidDate,
        ErrorCode::InvalidInput,
        ErrorCode::UnknownCommune,
        ErrorCode::UnknownProvince,
        ErrorCode::BadPagination,
        ErrorCode::NotFound,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::OutOfJurisdiction,
        ErrorCode::Conflict,
        ErrorCode::StaleVersion,
        ErrorCode::LodgingFacilityNotApproved,
        ErrorCode::LodgingAlreadyCheckedOut,
        ErrorCode::ServicesResultMissing,
        ErrorCode::ServicesAlreadyRated,
        ErrorCode::ServicesFineNotPayable,
        ErrorCode::PasskeyRefused,
        ErrorCode::AccountUnavailable,
        ErrorCode::RateLimited,
        ErrorCode::CsrfFailed,
        ErrorCode::RequestTimeout,
        ErrorCode::ServerBusy,
        ErrorCode::RequestInProgress,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::UriTooLong,
        ErrorCode::HeadersTooLarge,
        ErrorCode::ExchangeBadSignature,
        ErrorCode::ExchangeExpired,
        ErrorCode::ExchangeWrongAudience,
        ErrorCode::ExchangeReplayed,
        ErrorCode::ExchangeConsentRefused,
        ErrorCode::ExchangeTooLarge,
        ErrorCode::ExchangeMemberNotApproved,
        ErrorCode::ExchangeNotGranted,
        ErrorCode::ExchangeQuotaExceeded,
        ErrorCode::ExchangeUnknownService,
        ErrorCode::Internal,
    ];

    /// The stable machine-readable code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPersonalId => "invalid_personal_id",
            ErrorCode::InvalidDate => "invalid_date",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::UnknownCommune => "unknown_commune",
            ErrorCode::UnknownProvince => "unknown_province",
            ErrorCode::BadPagination => "bad_pagination",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::OutOfJurisdiction => "out_of_jurisdiction",
            ErrorCode::Conflict => "conflict",
            ErrorCode::StaleVersion => "stale_version",
            ErrorCode::LodgingFacilityNotApproved => "lodging.facility_not_approved",
            ErrorCode::LodgingAlreadyCheckedOut => "lodging.already_checked_out",
            ErrorCode::ServicesResultMissing => "services.result_missing",
            ErrorCode::ServicesAlreadyRated => "services.already_rated",
            ErrorCode::ServicesFineNotPayable => "services.fine_not_payable",
            ErrorCode::PasskeyRefused => "passkey_refused",
            ErrorCode::AccountUnavailable => "account_unavailable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::RequestInProgress => "request_in_progress",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::UriTooLong => "uri_too_long",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::ExchangeBadSignature => "exchange.bad_signature",
            ErrorCode::ExchangeExpired => "exchange.expired",
            ErrorCode::ExchangeWrongAudience => "exchange.wrong_audience",
            ErrorCode::ExchangeReplayed => "exchange.replayed",
            ErrorCode::ExchangeConsentRefused => "exchange.consent_refused",
            ErrorCode::ExchangeTooLarge => "exchange.too_large",
            ErrorCode::ExchangeMemberNotApproved => "exchange.member_not_approved",
            ErrorCode::ExchangeNotGranted => "exchange.not_granted",
            ErrorCode::ExchangeQuotaExceeded => "exchange.quota_exceeded",
            ErrorCode::ExchangeUnknownService => "exchange.unknown_service",
            ErrorCode::Internal => "internal",
        }
    }

    /// HTTP status for this error.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidPersonalId
            | ErrorCode::InvalidDate
            | ErrorCode::InvalidInput
            | ErrorCode::UnknownCommune
            | ErrorCode::UnknownProvince
            | ErrorCode::BadPagination
            | ErrorCode::PasskeyRefused => 400,
            ErrorCode::Unauthenticated
            | ErrorCode::ExchangeBadSignature
            | ErrorCode::ExchangeExpired
            | ErrorCode::ExchangeWrongAudience => 401,
            ErrorCode::Forbidden
            | ErrorCode::OutOfJurisdiction
            | ErrorCode::CsrfFailed
            | ErrorCode::AccountUnavailable
            | ErrorCode::ExchangeMemberNotApproved
            | ErrorCode::ExchangeNotGranted
            | ErrorCode::ExchangeConsentRefused => 403,
            ErrorCode::NotFound | ErrorCode::ExchangeUnknownService => 404,
            ErrorCode::ExchangeTooLarge => 413,
            ErrorCode::Conflict
            | ErrorCode::StaleVersion
            | ErrorCode::LodgingFacilityNotApproved
            | ErrorCode::LodgingAlreadyCheckedOut
            | ErrorCode::ServicesResultMissing
            | ErrorCode::ServicesAlreadyRated
            | ErrorCode::ServicesFineNotPayable
            | ErrorCode::RequestInProgress
            | ErrorCode::ExchangeReplayed => 409,
            ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::UriTooLong => 414,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::RateLimited | ErrorCode::ExchangeQuotaExceeded => 429,
            ErrorCode::Internal => 500,
            ErrorCode::ServerBusy => 503,
        }
    }

    /// Vietnamese message shown by default.
    pub fn message_vi(self) -> &'static str {
        match self {
            ErrorCode::InvalidPersonalId => "Số định danh cá nhân không hợp lệ (phải gồm đúng 12 chữ số)",
            ErrorCode::InvalidDate => "Ngày không hợp lệ",
            ErrorCode::InvalidInput => "Dữ liệu nhập không hợp lệ",
            ErrorCode::UnknownCommune => "Không tìm thấy đơn vị hành chính cấp xã",
            ErrorCode::UnknownProvince => "Không tìm thấy tỉnh, thành phố",
            ErrorCode::BadPagination => "Tham số phân trang không hợp lệ",
            ErrorCode::NotFound => "Không tìm thấy dữ liệu",
            ErrorCode::Unauthenticated => "Vui lòng đăng nhập",
            ErrorCode::Forbidden => "Bạn không có quyền thực hiện thao tác này",
            ErrorCode::OutOfJurisdiction => "Dữ liệu nằm ngoài phạm vi quản lý của bạn",
            ErrorCode::Conflict => "Dữ liệu đã thay đổi hoặc đã tồn tại",
            ErrorCode::StaleVersion => "Bản ghi đã được người khác cập nhật, vui lòng tải lại rồi thử lại",
            ErrorCode::LodgingFacilityNotApproved => {
                "Cơ sở lưu trú chưa được Công an xã phê duyệt hoặc đang bị tạm dừng"
            }
            ErrorCode::LodgingAlreadyCheckedOut => "Khách đã trả phòng, không thể thay đổi lượt lưu trú",
            ErrorCode::ServicesResultMissing => {
                "Chưa có nội dung kết quả: nhập nội dung văn bản trả kết quả trước khi phê duyệt"
            }
            ErrorCode::ServicesAlreadyRated => "Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần",
            ErrorCode::ServicesFineNotPayable => {
                "Quyết định xử phạt này đã được nộp tiền hoặc đang được nộp trong một hồ sơ khác"
            }
            ErrorCode::PasskeyRefused => "Khóa truy cập không được chấp nhận",
            ErrorCode::AccountUnavailable => "Tài khoản hiện không sử dụng được",
            ErrorCode::RateLimited => "Quá nhiều yêu cầu, vui lòng thử lại sau",
            ErrorCode::CsrfFailed => "Phiên biểu mẫu đã hết hạn, vui lòng tải lại trang",
            ErrorCode::RequestTimeout => "Yêu cầu quá thời gian cho phép, vui lòng thử lại",
            ErrorCode::ServerBusy => "Hệ thống đang quá tải, vui lòng thử lại sau ít phút",
            ErrorCode::RequestInProgress => "Yêu cầu này đang được xử lý, vui lòng chờ trong giây lát",
            ErrorCode::IdempotencyKeyReused => "Mã chống gửi trùng (Idempotency-Key) đã được dùng cho một yêu cầu khác",
            ErrorCode::UriTooLong => "Địa chỉ yêu cầu quá dài",
            ErrorCode::HeadersTooLarge => "Phần đầu yêu cầu (header) quá lớn",
            ErrorCode::ExchangeBadSignature => "Thông điệp trao đổi dữ liệu không có chữ ký hợp lệ của hệ thống gửi",
            ErrorCode::ExchangeExpired => "Thông điệp trao đổi dữ liệu đã hết hạn hoặc chưa có hiệu lực",
            ErrorCode::ExchangeWrongAudience => "Thông điệp trao đổi dữ liệu không gửi tới hệ thống này",
            ErrorCode::ExchangeReplayed => "Mã yêu cầu đã được sử dụng; mỗi yêu cầu chỉ được chấp nhận một lần",
            ErrorCode::ExchangeConsentRefused => {
                "Mục đích này cần sự đồng ý của công dân; sự đồng ý không có, đã bị rút, đã hết hạn hoặc không khớp yêu cầu"
            }
            ErrorCode::ExchangeTooLarge => "Thông điệp trao đổi dữ liệu quá lớn",
            ErrorCode::ExchangeMemberNotApproved => {
                "Thành viên hoặc hệ thống thông tin chưa được phê duyệt hoặc đang bị tạm dừng"
            }
            ErrorCode::ExchangeNotGranted => {
                "Không có quyền khai thác dịch vụ này cho mục đích và các trường dữ liệu đã nêu"
            }
            ErrorCode::ExchangeQuotaExceeded => "Đã dùng hết hạn mức yêu cầu trong ngày",
            ErrorCode::ExchangeUnknownService => "Không có dịch vụ này trong danh mục trao đổi dữ liệu",
            ErrorCode::Internal => "Lỗi hệ thống, vui lòng thử lại sau",
        }
    }

    /// English translation of [`ErrorCode::message_vi`].
    pub fn message_en(self) -> &'static str {
        match self {
            ErrorCode::InvalidPersonalId => "Invalid personal identification number (must be exactly 12 digits)",
            ErrorCode::InvalidDate => "Invalid date",
            ErrorCode::InvalidInput => "Invalid input",
            ErrorCode::UnknownCommune => "Unknown commune",
            ErrorCode::UnknownProvince => "Unknown province",
            ErrorCode::BadPagination => "Invalid pagination parameters",
            ErrorCode::NotFound => "Not found",
            ErrorCode::Unauthenticated => "Please sign in",
            ErrorCode::Forbidden => "You are not allowed to do this",
            ErrorCode::OutOfJurisdiction => "This record is outside your jurisdiction",
            ErrorCode::Conflict => "The data changed or already exists",
            ErrorCode::StaleVersion => "Someone else updated this record; reload and try again",
            ErrorCode::LodgingFacilityNotApproved => {
                "The facility is not approved by the commune police, or is suspended"
            }
            ErrorCode::LodgingAlreadyCheckedOut => "The guest has checked out; the stay can no longer change",
            ErrorCode::ServicesResultMissing => "The result has no content yet: enter it before approving",
            ErrorCode::ServicesAlreadyRated => "This application has been rated already; one rating per application",
            ErrorCode::ServicesFineNotPayable => {
                "This fine decision is paid already, or another application is paying it"
            }
            ErrorCode::PasskeyRefused => "The passkey was not accepted",
            ErrorCode::AccountUnavailable => "This account cannot be used now",
            ErrorCode::RateLimited => "Too many requests, try again later",
            ErrorCode::CsrfFailed => "The form expired, reload the page",
            ErrorCode::RequestTimeout => "The request took too long; try again",
            ErrorCode::ServerBusy => "The server is busy; try again in a moment",
            ErrorCode::RequestInProgress => "This request is still being processed; wait a moment",
            ErrorCode::IdempotencyKeyReused => "This Idempotency-Key was already used for a different request",
            ErrorCode::UriTooLong => "The request URL is too long",
            ErrorCode::HeadersTooLarge => "The request headers are too large",
            ErrorCode::ExchangeBadSignature => "The exchange message is not validly signed by the sending system",
            ErrorCode::ExchangeExpired => "The exchange message has expired or is not valid yet",
            ErrorCode::ExchangeWrongAudience => "The exchange message is not addressed to this system",
            ErrorCode::ExchangeReplayed => "This request id was used before; each request is accepted once",
            ErrorCode::ExchangeConsentRefused => {
                "This purpose needs the citizen's consent; the consent is missing, withdrawn, expired or does not match the request"
            }
            ErrorCode::ExchangeTooLarge => "The exchange message is too large",
            ErrorCode::ExchangeMemberNotApproved => "The member or information system is not approved, or is suspended",
            ErrorCode::ExchangeNotGranted => "No right to this service for the stated purpose and fields",
            ErrorCode::ExchangeQuotaExceeded => "The daily quota of requests is used up",
            ErrorCode::ExchangeUnknownService => "No such service in the exchange catalogue",
            ErrorCode::Internal => "Internal error, try again later",
        }
    }
}

/// Serialized as its stable code (`lodging.facility_not_approved`).
impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable code and a detail that names what was wrong (never personal data).
///
/// It keeps the error that caused it (`source`) and where it was raised (`location`), so a failure
/// that reaches a client as a bare `internal` still names its file, line and cause in the server
/// log. Every constructor and conversion is `#[track_caller]`: `?` on a storage error records the
/// line of the `?`.
#[derive(Clone)]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: String,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
    location: &'static Location<'static>,
    /// Vietnamese and English wording more precise than the code's own, shown to the person.
    message: Option<(String, String)>,
}

impl AppError {
    #[track_caller]
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), source: None, location: Location::caller(), message: None }
    }

    #[track_caller]
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    #[track_caller]
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, detail)
    }

    #[track_caller]
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    #[track_caller]
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, detail)
    }

    /// An internal failure caused by `source`: the client sees `detail`, the log sees the cause.
    #[track_caller]
    pub fn internal_from(detail: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self::new(ErrorCode::Internal, detail).with_source(source)
    }

    /// Attaches the error that caused this one.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Replaces the code's generic message with a more precise one, in both languages.
    pub fn with_message(mut self, vi: impl Into<String>, en: impl Into<String>) -> Self {
        self.message = Some((vi.into(), en.into()));
        self
    }

    /// The message shown to people: the precise one if set, else the code's.
    pub fn message(&self) -> (&str, &str) {
        match &self.message {
            Some((vi, en)) => (vi, en),
            None => (self.code.message_vi(), self.code.message_en()),
        }
    }

    /// The message shown to a person reading `lang`: one language, never the English detail.
    pub fn message_in(&self, lang: crate::Lang) -> &str {
        let (vi, en) = self.message();
        lang.pick(vi, en)
    }

    /// Where the error was raised (file and line of the constructor call or of the `?`).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The code, detail, location and the whole chain of causes on one line, for logs. Causes are
    /// storage, I/O and library errors: they name what failed, not whose data.
    pub fn report(&self) -> String {
        let mut out = format!("{}: {} (at {}:{})", self.code, self.detail, self.location.file(), self.location.line());
        let mut cause: Option<&(dyn StdError + 'static)> =
            self.source.as_deref().map(|e| e as &(dyn StdError + 'static));
        while let Some(e) = cause {
            out.push_str(": ");
            out.push_str(&e.to_string());
            cause = e.source();
        }
        out
    }
}

/// Two errors are the same error when code and detail match; where they were raised is diagnostics.
impl PartialEq for AppError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.detail == other.detail
    }
}

impl Eq for AppError {}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl StdError for AppError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Conversions of library errors that mean "the platform failed", not "the request was wrong":
/// `?` turns them into `internal` with the cause kept and the `?`'s line as the location.
macro_rules! internal_from {
    ($($(#[$cfg:meta])* $ty:ty => $detail:literal;)*) => {$(
        $(#[$cfg])*
        impl From<$ty> for AppError {
            #[track_caller]
            fn from(e: $ty) -> Self {
                AppError::internal_from($detail, e)
            }
        }
    )*};
}

internal_from! {
    #[cfg(feature = "sqlx")] sqlx::Error => "storage error";
    #[cfg(feature = "rusqlite")] rusqlite::Error => "storage error";
    std::io::Error => "input/output error";
    serde_json::Error => "serialization error";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails() -> Result<(), AppError> {
        Err(std::io::Error::other("disk on fire"))?;
        Ok(())
    }

    #[test]
    fn question_mark_keeps_cause_and_line() {
        let e = fails().unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(e.location().file(), file!());
        let marker = "Err(std::io::Error::other(\"disk on fire\"))?";
        let line = include_str!("error.rs").lines().position(|l| l.trim_start().starts_with(marker)).unwrap() + 1;
        assert_eq!(e.location().line() as usize, line);
        assert!(e.report().ends_with(": disk on fire"), "{}", e.report());
        assert_eq!(e.source().map(|s| s.to_string()).as_deref(), Some("disk on fire"));
    }

    #[test]
    fn constructors_record_their_caller() {
        let line = line!() + 1;
        let e = AppError::invalid("bad");
        assert_eq!((e.location().file(), e.location().line()), (file!(), line));
        assert_eq!(e, AppError::new(ErrorCode::InvalidInput, "bad"));
        assert!(e.source().is_none());
    }
}
