//! The page frame shared by every HTML page: title, the role's menu (see [`crate::menu`]), language
//! toggle, signed-in user.

use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::{CurrentUser, Role};
use crate::lang::Lang;
use crate::menu;

/// What the base template needs from any page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    /// Signed-in user's name and role label, if any.
    pub user: Option<(String, String)>,
    /// The session's CSRF token, for forms (logout and others).
    pub csrf: String,
    /// Current path and query, for the language toggle.
    pub path: String,
    /// The signed-in user's role, whose menu the frame shows.
    pub role: Option<Role>,
}

/// One entry of the menu as the frame shows it.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
    /// The entry the current page belongs to (`aria-current="page"`).
    pub current: bool,
}

impl Chrome {
    /// Builds the frame for a page; `title` is (Vietnamese, English).
    pub fn new(lang: Lang, title: (&str, &str), user: Option<&CurrentUser>, path: &str) -> Chrome {
        Chrome {
            lang,
            title: lang.pick(title.0, title.1).to_string(),
            user: user.map(|u| {
                let (vi, en) = u.role.label();
                (u.display_name.clone(), lang.pick(vi, en).to_string())
            }),
            csrf: user.and_then(|u| u.csrf.clone()).unwrap_or_default(),
            path: path.to_string(),
            role: user.map(|u| u.role),
        }
    }

    /// The signed-in user's menu, in the page's language; empty for visitors.
    pub fn menu(&self) -> Vec<MenuItem> {
        let Some(role) = self.role else { return Vec::new() };
        let current = menu::current(role, &self.path);
        menu::links(role)
            .iter()
            .map(|l| MenuItem { href: l.href, label: self.lang.pick(l.vi, l.en), current: Some(l.href) == current })
            .collect()
    }

    /// Where the logo and "back" links lead: the role's start page, or the sign-in page.
    pub fn home_href(&self) -> &'static str {
        self.role.map_or("/login", menu::start_page)
    }

    /// Same as [`Chrome::new`], taking the path from the request URI.
    pub fn for_uri(lang: Lang, uri: &Uri, title: (&str, &str), user: Option<&CurrentUser>) -> Chrome {
        Chrome::new(lang, title, user, uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
    }

    /// Link that switches language and comes back to the same page.
    pub fn toggle_href(&self) -> String {
        let other = self.lang.other().code();
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let kept: Vec<&str> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("lang=")).collect();
        if kept.is_empty() {
            format!("{path}?lang={other}")
        } else {
            format!("{path}?{}&lang={other}", kept.join("&"))
        }
    }

    pub fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(vi, en)
    }
}

/// Renders an askama template into a response, setting the `lang` cookie so the choice sticks.
pub fn render<T: askama::Template>(t: &T, lang: Lang) -> Response {
    match t.render() {
        Ok(body) => (
            [(header::SET_COOKIE, format!("lang={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code()))],
            Html(body),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggle_keeps_other_query_parameters() {
        let c = Chrome::new(Lang::Vi, ("Tìm kiếm", "Search"), None, "/persons?q=an&lang=vi&page=2");
        assert_eq!(c.toggle_href(), "/persons?q=an&page=2&lang=en");
        assert_eq!(c.title, "Tìm kiếm");
        let c = Chrome::new(Lang::En, ("Tìm kiếm", "Search"), None, "/");
        assert_eq!(c.toggle_href(), "/?lang=vi");
        assert_eq!(c.title, "Search");
        assert!(c.menu().is_empty());
        assert_eq!(c.home_href(), "/login");
    }

    #[test]
    fn menu_follows_the_role_and_marks_the_current_page() {
        let actor = kernel::Actor::new("a1", "lanhdao", Role::Leader, kernel::Jurisdiction::Province("08".into()));
        let user = CurrentUser { actor, csrf: Some("t".into()) };
        let c = Chrome::new(Lang::Vi, ("Điều hành", "Dashboards"), Some(&user), "/analytics/population");
        let menu = c.menu();
        assert_eq!(menu.iter().map(|m| m.href).collect::<Vec<_>>(), ["/analytics", "/programs"]);
        assert_eq!(menu.iter().filter(|m| m.current).map(|m| m.label).collect::<Vec<_>>(), ["Điều hành"]);
        assert_eq!(c.home_href(), "/analytics");
    }
}
