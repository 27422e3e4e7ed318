//! The UI language: Vietnamese by default, English on request. How a request chooses it (`?lang=en`,
//! the `lang` cookie) is the `web` crate's business.

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

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The request extractor lives here rather than in `web` because the orphan rule allows an
/// `axum` trait on this type only in this crate. The feature is enabled by `web` alone; domain
/// crates never name axum.
#[cfg(feature = "axum")]
mod extract {
    use std::convert::Infallible;

    use axum::extract::FromRequestParts;
    use axum::http::header::COOKIE;
    use axum::http::request::Parts;

    use super::Lang;

    impl Lang {
        /// Reads the language from the query string, then the `lang` cookie.
        pub fn from_parts(parts: &Parts) -> Lang {
            let from_query = parts.uri.query().and_then(|q| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == "lang")
                    .and_then(|(_, v)| Lang::parse(v))
            });
            let from_cookie = || {
                parts
                    .headers
                    .get_all(COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .filter_map(|kv| kv.trim().split_once('='))
                    .find(|(k, _)| *k == "lang")
                    .and_then(|(_, v)| Lang::parse(v))
            };
            from_query.or_else(from_cookie).unwrap_or_default()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for Lang {
        type Rejection = Infallible;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            Ok(Lang::from_parts(parts))
        }
    }
}
