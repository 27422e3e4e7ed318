//! The visitor's language: Vietnamese by default, English on request (`?lang=en` or the `lang`
//! cookie set by the toggle).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Picks the text for this language; templates write both side by side.
    pub fn pick<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// BCP 47 code for `<html lang>`.
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language, for the toggle link.
    pub fn other(&self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Reads the language from the query string, then the `lang` cookie.
    pub fn from_parts(parts: &Parts) -> Lang {
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Lang::parse(v))
        });
        from_query.or_else(|| crate::auth::cookie(&parts.headers, "lang").and_then(Lang::parse)).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_parts(parts))
    }
}
