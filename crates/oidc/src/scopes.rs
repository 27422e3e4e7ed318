//! The scopes a client may ask for, what each releases, and how the consent screen describes it.

/// One scope with its consent-screen wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeDef {
    pub name: &'static str,
    /// What the citizen is told the service will receive.
    pub vi: &'static str,
    pub en: &'static str,
    /// Claims the scope releases (empty for API scopes).
    pub claims: &'static [&'static str],
    /// Whether the scope is about a person (user flows), an API permission for an organization's
    /// system (client credentials), or an API permission a citizen gives an app.
    pub kind: ScopeKind,
}

/// Who a scope is granted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// Released by a citizen through sign-in and consent.
    User,
    /// Granted to an organization's system by an administrator.
    Api,
    /// An API that a citizen lets an app (an e-ID app, a registered relying party) use on their
    /// behalf, through sign-in and consent (authorization code with PKCE). The access token acts
    /// as that citizen on that API only, and is never issued by client credentials: an
    /// organization's system never holds a citizen's permission.
    Delegated,
}

impl ScopeKind {
    /// Scopes of this kind, in catalogue order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        SCOPES.iter().filter(move |s| s.kind == self).map(|s| s.name)
    }
}

/// Whether `name` is a scope of `kind`.
pub fn is(name: &str, kind: ScopeKind) -> bool {
    find(name).is_some_and(|d| d.kind == kind)
}

/// Every scope the provider knows.
pub const SCOPES: &[ScopeDef] = &[
    ScopeDef {
        name: "openid",
        vi: "Mã định danh riêng của bạn tại dịch vụ này",
        en: "An identifier for you that is specific to this service",
        claims: &["sub"],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "profile",
        vi: "Họ và tên, giới tính, ngày sinh",
        en: "Full name, gender, date of birth",
        claims: &["name", "family_name", "middle_name", "given_name", "gender", "birthdate", "birthdate_precision"],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "address",
        vi: "Nơi cư trú hiện tại",
        en: "Current place of residence",
        claims: &["address"],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "phone",
        vi: "Số điện thoại đã xác nhận",
        en: "Confirmed phone number",
        claims: &["phone_number", "phone_number_verified"],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "personal_id",
        vi: "Số định danh cá nhân (số CCCD)",
        en: "Personal identification number",
        claims: &["personal_id"],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "offline_access",
        vi: "Duy trì truy cập khi bạn không trực tuyến",
        en: "Keep access while you are offline",
        claims: &[],
        kind: ScopeKind::User,
    },
    ScopeDef {
        name: "verify",
        vi: "Xác minh danh tính khách hàng",
        en: "Verify customers' identity",
        claims: &[],
        kind: ScopeKind::Api,
    },
    ScopeDef {
        name: "lodging",
        vi: "Khai báo lưu trú",
        en: "Lodging notifications",
        claims: &[],
        kind: ScopeKind::Api,
    },
    ScopeDef {
        name: "services",
        vi: "Nộp, theo dõi và bổ sung hồ sơ dịch vụ công trực tuyến của bạn thay bạn",
        en: "File, follow and complete your online public-service applications for you",
        claims: &[],
        kind: ScopeKind::Delegated,
    },
];

/// The scope that asks for refresh tokens (OpenID Connect Core 1.0 §11): without it a grant has
/// no refresh token, so a client's access ends with the access token's ten minutes.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Whether a grant of `scope` (space-separated) may hold a refresh token: only with
/// [`OFFLINE_ACCESS`], and only for a client registered for the `refresh_token` grant.
pub fn refresh_allowed(client_may_refresh: bool, scope: &str) -> bool {
    client_may_refresh && split(scope).iter().any(|s| s == OFFLINE_ACCESS)
}

/// Finds a scope by name.
pub fn find(name: &str) -> Option<&'static ScopeDef> {
    SCOPES.iter().find(|s| s.name == name)
}

/// Splits a space-separated scope string, dropping duplicates and keeping first-seen order.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// Checks that every requested scope is known and allowed for the client; returns the list.
pub fn check(requested: &str, allowed: &[String]) -> Result<Vec<String>, String> {
    let list = split(requested);
    for s in &list {
        if find(s).is_none() {
            return Err(format!("unknown scope {s}"));
        }
        if !allowed.iter().any(|a| a == s) {
            return Err(format!("scope {s} is not allowed for this client"));
        }
    }
    Ok(list)
}

/// True when `granted` (space-separated) covers every scope in `wanted`.
pub fn covers(granted: &str, wanted: &[String]) -> bool {
    let g = split(granted);
    wanted.iter().all(|w| g.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_known_and_allowed() {
        let allowed = vec!["openid".to_string(), "profile".to_string()];
        assert_eq!(check("openid  profile openid", &allowed).unwrap(), vec!["openid", "profile"]);
        assert!(check("openid address", &allowed).unwrap_err().contains("not allowed"));
        assert!(check("openid bogus", &allowed).unwrap_err().contains("unknown"));
    }

    #[test]
    fn refresh_needs_offline_access_and_the_grant_type() {
        assert!(refresh_allowed(true, "openid offline_access"));
        assert!(!refresh_allowed(true, "openid profile"));
        assert!(!refresh_allowed(false, "openid offline_access"));
        assert!(!refresh_allowed(true, "openid offline_accessx"));
    }

    #[test]
    fn services_is_delegated_and_organization_scopes_are_not() {
        assert!(is("services", ScopeKind::Delegated));
        assert!(is("verify", ScopeKind::Api) && is("lodging", ScopeKind::Api));
        assert_eq!(ScopeKind::Delegated.names().collect::<Vec<_>>(), ["services"]);
    }

    #[test]
    fn coverage() {
        assert!(covers("openid profile phone", &["profile".into(), "openid".into()]));
        assert!(!covers("openid", &["profile".into()]));
    }
}
