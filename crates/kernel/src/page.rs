//! Pagination shared by every list endpoint.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

/// Largest page size any endpoint serves; larger requests are refused, not silently truncated.
pub const MAX_PAGE_SIZE: u32 = 200;

/// Largest page number: the API documents page numbers as 32-bit signed integers.
pub const MAX_PAGE: u32 = i32::MAX as u32;

/// A validated page request (1-based page number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub size: u32,
}

impl PageRequest {
    /// Validates raw query values; missing values take defaults (page 1, 20 items).
    pub fn new(page: Option<u32>, size: Option<u32>) -> Result<Self, AppError> {
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(20);
        if page == 0 || page > MAX_PAGE {
            return Err(AppError::new(ErrorCode::BadPagination, format!("page must be between 1 and {MAX_PAGE}")));
        }
        if size == 0 || size > MAX_PAGE_SIZE {
            return Err(AppError::new(ErrorCode::BadPagination, format!("size must be between 1 and {MAX_PAGE_SIZE}")));
        }
        Ok(Self { page, size })
    }

    /// SQL `OFFSET` for this page.
    pub fn offset(&self) -> i64 {
        (self.page as i64 - 1) * self.size as i64
    }

    /// SQL `LIMIT`, one more than the page so the caller learns whether a next page exists.
    pub fn limit_probe(&self) -> i64 {
        self.size as i64 + 1
    }
}

/// One page of results. `has_next` comes from fetching one extra row, so no `COUNT(*)` over millions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub size: u32,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with [`PageRequest::limit_probe`].
    pub fn from_probe(mut rows: Vec<T>, req: PageRequest) -> Self {
        let has_next = rows.len() > req.size as usize;
        rows.truncate(req.size as usize);
        Page { items: rows, page: req.page, size: req.size, has_next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_and_oversized_pages() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(MAX_PAGE + 1), None).is_err());
        assert!(PageRequest::new(Some(MAX_PAGE), None).is_ok());
        assert!(PageRequest::new(None, Some(MAX_PAGE_SIZE + 1)).is_err());
        let ok = PageRequest::new(Some(3), Some(10)).unwrap();
        assert_eq!(ok.offset(), 20);
    }

    #[test]
    fn probe_row_sets_has_next() {
        let req = PageRequest::new(Some(1), Some(2)).unwrap();
        let p = Page::from_probe(vec![1, 2, 3], req);
        assert!(p.has_next);
        assert_eq!(p.items, vec![1, 2]);
        let p = Page::from_probe(vec![1], req);
        assert!(!p.has_next);
    }
}
