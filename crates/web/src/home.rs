//! `/`, the start of every visit: visitors go to sign in, signed-in people to their role's start
//! page ([`crate::menu::start_page`]); and `/me`, the citizen's home page, whose cards are the
//! citizen's menu (services, applications, identity QR, lodging, who read their data, account).

use askama::Template;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kernel::Role;

use crate::auth::{CurrentUser, PageUser};
use crate::lang::Lang;
use crate::layout::{render, Chrome};
use crate::menu;

/// The routes of this module (stateless).
pub fn router() -> Router {
    Router::new().route("/", get(start)).route(menu::CITIZEN_HOME, get(citizen_home))
}

async fn start(user: Option<CurrentUser>) -> Response {
    Redirect::to(user.map_or("/login", |u| menu::start_page(u.role))).into_response()
}

/// A card of the home page.
struct Card {
    href: &'static str,
    title: &'static str,
    about: &'static str,
}

#[derive(Template)]
#[template(path = "home_citizen.html")]
struct HomePage {
    chrome: Chrome,
    name: String,
    level: u8,
    cards: Vec<Card>,
}

async fn citizen_home(PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    if user.role != Role::Citizen {
        return Redirect::to(menu::start_page(user.role)).into_response();
    }
    let cards = menu::links(Role::Citizen)
        .iter()
        .map(|l| Card { href: l.href, title: lang.pick(l.vi, l.en), about: lang.pick(l.about_vi, l.about_en) })
        .collect();
    let chrome = Chrome::for_uri(lang, &uri, ("Trang của tôi", "My page"), Some(&user));
    render(&HomePage { chrome, name: user.display_name.clone(), level: user.eid_level, cards }, lang)
}
