//! Stable error codes with localized messages.
//!
//! API clients switch on `code`; people read `message`. The HTTP status lives here as a number so the
//! `web` crate can map errors without knowing every domain.

use std::fmt;

use serde::Serialize;

/// Every error the platform reports to a client. The string form is part of the public API: never
/// rename a variant's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    RateLimited,
    CsrfFailed,
    Internal,
}

impl ErrorCode {
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
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::CsrfFailed => "csrf_failed",
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
            | ErrorCode::BadPagination => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::OutOfJurisdiction | ErrorCode::CsrfFailed => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
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
            ErrorCode::RateLimited => "Quá nhiều yêu cầu, vui lòng thử lại sau",
            ErrorCode::CsrfFailed => "Phiên biểu mẫu đã hết hạn, vui lòng tải lại trang",
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
            ErrorCode::RateLimited => "Too many requests, try again later",
            ErrorCode::CsrfFailed => "The form expired, reload the page",
            ErrorCode::Internal => "Internal error, try again later",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable code and a detail that names what was wrong (never personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: String,
}

impl AppError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, detail)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for AppError {}
