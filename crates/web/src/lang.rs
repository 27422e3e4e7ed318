//! The visitor's language: Vietnamese by default, English on request (`?lang=en` or the `lang`
//! cookie set by the toggle). The type and its extractor live in `kernel` (see `kernel::lang`).

pub use kernel::Lang;
