//! Who is calling: the [`CurrentUser`] resolved once per request by a pluggable [`Authenticator`],
//! and extractors that require it (JSON 401 for the API, a redirect to the login page for pages).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use futures::future::BoxFuture;
use kernel::{AppError, ErrorCode};
use serde::Serialize;

use crate::error::ApiError;

/// Name of the session cookie. The `__Host-` prefix pins it to this host, path `/`, Secure.
pub const SESSION_COOKIE: &str = "__Host-dancu_session";

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages units, accounts, clients and settings; sees the whole province.
    Admin,
    /// Provincial department or police staff; sees the whole province.
    ProvincialOfficer,
    /// Commune police; sees only residents of their commune.
    CommunePolice,
    /// One-stop desk officer (cán bộ một cửa) of a commune or province: receives and processes
    /// public-service applications of their jurisdiction.
    DeskOfficer,
    /// Provincial or commune leadership: reads dashboards and aggregated figures, never individuals.
    Leader,
    /// The provincial Project 06 working group: approves registrations and reports of every unit.
    WorkingGroup,
    /// Focal point of one unit (department, agency, commune) for Project 06 registrations and reports.
    UnitFocal,
    /// A resident with an e-ID account; sees only their own data.
    Citizen,
    /// Staff of an organization (hotel, pawn shop, hospital…); acts for that organization only.
    OrgStaff,
}

impl Role {
    /// Every role, for pickers and round-trip tests.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::ProvincialOfficer,
        Role::CommunePolice,
        Role::DeskOfficer,
        Role::Leader,
        Role::WorkingGroup,
        Role::UnitFocal,
        Role::Citizen,
        Role::OrgStaff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProvincialOfficer => "provincial_officer",
            Role::CommunePolice => "commune_police",
            Role::DeskOfficer => "desk_officer",
            Role::Leader => "leader",
            Role::WorkingGroup => "working_group",
            Role::UnitFocal => "unit_focal",
            Role::Citizen => "citizen",
            Role::OrgStaff => "org_staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "provincial_officer" => Some(Role::ProvincialOfficer),
            "commune_police" => Some(Role::CommunePolice),
            "desk_officer" => Some(Role::DeskOfficer),
            "leader" => Some(Role::Leader),
            "working_group" => Some(Role::WorkingGroup),
            "unit_focal" => Some(Role::UnitFocal),
            "citizen" => Some(Role::Citizen),
            "org_staff" => Some(Role::OrgStaff),
            _ => None,
        }
    }

    /// Vietnamese and English labels.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Role::Admin => ("Quản trị hệ thống", "Administrator"),
            Role::ProvincialOfficer => ("Cán bộ cấp tỉnh", "Provincial officer"),
            Role::CommunePolice => ("Công an cấp xã", "Commune police"),
            Role::DeskOfficer => ("Cán bộ một cửa", "One-stop desk officer"),
            Role::Leader => ("Lãnh đạo", "Leader"),
            Role::WorkingGroup => ("Tổ công tác Đề án 06", "Project 06 working group"),
            Role::UnitFocal => ("Đầu mối đơn vị", "Unit focal point"),
            Role::Citizen => ("Công dân", "Citizen"),
            Role::OrgStaff => ("Nhân viên tổ chức", "Organization staff"),
        }
    }
}

/// The area whose residents an account may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Jurisdiction {
    /// A 2025 province code.
    Province(String),
    /// A 2025 commune code.
    Commune(String),
    /// No area at all: citizens and organization staff see only their own records. The code is the
    /// owner (person id or organization id) so queries can still be pinned to it.
    Own(String),
}

impl Jurisdiction {
    pub fn kind(&self) -> &'static str {
        match self {
            Jurisdiction::Province(_) => "province",
            Jurisdiction::Commune(_) => "commune",
            Jurisdiction::Own(_) => "own",
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Jurisdiction::Province(c) | Jurisdiction::Commune(c) | Jurisdiction::Own(c) => c,
        }
    }

    pub fn parse(kind: &str, code: &str) -> Option<Jurisdiction> {
        match kind {
            "province" => Some(Jurisdiction::Province(code.to_string())),
            "commune" => Some(Jurisdiction::Commune(code.to_string())),
            "own" => Some(Jurisdiction::Own(code.to_string())),
            _ => None,
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub account_id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    /// The session's anti-CSRF token (absent for bearer-token callers, who send no cookies).
    #[serde(skip)]
    pub csrf: Option<String>,
    /// OAuth scopes the credential was limited to (an access token issued to a client); `None` for
    /// sessions and personal tokens, which carry the account's full rights.
    pub scopes: Option<Vec<String>>,
}

impl CurrentUser {
    /// Label written to access logs and shown to citizens: who acted, in which capacity.
    pub fn actor_label(&self) -> String {
        format!("{} ({})", self.display_name, self.role.label().0)
    }

    /// Requires an OAuth scope when the credential is scope-limited; sessions and personal tokens pass.
    pub fn require_scope(&self, scope: &str) -> Result<(), AppError> {
        match &self.scopes {
            Some(granted) if !granted.iter().any(|s| s == scope) => {
                Err(AppError::new(ErrorCode::Forbidden, format!("token lacks scope {scope}")))
            }
            _ => Ok(()),
        }
    }

    /// Checks the anti-CSRF token a session's HTML form sent back (constant-time compare).
    pub fn check_form_csrf(&self, sent: &str) -> Result<(), AppError> {
        let ok = self.csrf.as_deref().is_some_and(|t| {
            t.len() == sent.len() && t.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        });
        if ok {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::CsrfFailed, "form token mismatch"))
        }
    }

    /// Requires one of the given roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::Forbidden, format!("role {} not allowed", self.role.code())))
        }
    }
}

/// What a request presented to prove who it is.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The value of the session cookie.
    Session(&'a str),
    /// A personal API token from `Authorization: Bearer …`.
    Bearer(&'a str),
}

/// Resolves credentials to users; implemented by the `identity` crate.
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(&'a self, credential: Credential<'a>) -> BoxFuture<'a, Option<CurrentUser>>;
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Middleware: resolves the caller once and stores `Option<CurrentUser>` in the request extensions.
pub async fn resolve_user(State(auth): State<Arc<dyn Authenticator>>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let session = cookie(headers, SESSION_COOKIE).map(str::to_owned);
    let user = match (bearer, session) {
        (Some(t), _) => auth.authenticate(Credential::Bearer(&t)).await,
        (None, Some(s)) => auth.authenticate(Credential::Session(&s)).await,
        (None, None) => None,
    };
    req.extensions_mut().insert(user);
    next.run(req).await
}

fn user_from(parts: &Parts) -> Option<CurrentUser> {
    parts.extensions.get::<Option<CurrentUser>>().cloned().flatten()
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        user_from(parts)
            .ok_or_else(|| ApiError(AppError::new(ErrorCode::Unauthenticated, "sign in or send a bearer token")))
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(user_from(parts))
    }
}

/// A signed-in user on an HTML route; anonymous visitors are sent to the login page.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

/// Redirect to `/login?next=…`.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/login?next={}", urlencode(&self.0))).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
        user_from(parts).map(PageUser).ok_or(LoginRedirect(path))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; __Host-dancu_session=abc; lang=en".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn encodes_next_parameter() {
        assert_eq!(urlencode("/persons?q=Nguyễn a"), "/persons%3Fq%3DNguy%E1%BB%85n%20a");
    }

    #[test]
    fn roles_round_trip_and_guard() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        let u = CurrentUser {
            account_id: "a".into(),
            login: "l".into(),
            display_name: "d".into(),
            role: Role::CommunePolice,
            jurisdiction: Jurisdiction::Commune("00691".into()),
            csrf: None,
            scopes: Some(vec!["verify".into()]),
        };
        assert!(u.require_scope("verify").is_ok());
        assert_eq!(u.require_scope("lodging").unwrap_err().code, ErrorCode::Forbidden);
        assert!(u.require(&[Role::CommunePolice]).is_ok());
        assert_eq!(u.require(&[Role::Admin]).unwrap_err().code, ErrorCode::Forbidden);
    }
}
