//! `/admin/accounts`: administrators find an account by login or name, see its state, suspend it
//! with a reason or lift the suspension. Citizens' accounts shown on a page are access-logged (the
//! login is the personal id), and every change is recorded by [`crate::suspension`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use kernel::{AppError, ErrorCode, PageRequest};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::{message_with_code, page_err, when, IdentityState};
use crate::accounts::{Account, AccountStatus};
use crate::levels::LevelActor;

/// Accounts per page.
const PAGE_SIZE: u32 = 50;

/// One account as the administrator sees it.
struct Row {
    account: Account,
    role: String,
    state: String,
    suspended: bool,
    /// Why and by whom the account was suspended (the last recorded change).
    suspension: Option<String>,
    /// Active or locked accounts other than the administrator's own may be suspended.
    can_suspend: bool,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AdminAccountsPage {
    chrome: Chrome,
    q: String,
    rows: Vec<Row>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct AccountsQuery {
    q: Option<String>,
    page: Option<u32>,
}

/// The state in an administrator's words.
fn state_label(status: AccountStatus) -> (&'static str, &'static str) {
    match status {
        AccountStatus::Locked => ("Đã khóa (do chủ tài khoản khóa)", "Locked (by the holder)"),
        other => other.label(),
    }
}

fn href(q: &str, page: u32) -> String {
    let query = serde_urlencoded::to_string([("q", q), ("page", &page.to_string())]).unwrap_or_default();
    format!("/admin/accounts?{query}")
}

pub(super) async fn list(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(query): Query<AccountsQuery>,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(page_err(lang))?;
    let q = query.q.unwrap_or_default();
    let req = PageRequest::new(query.page, Some(PAGE_SIZE)).map_err(page_err(lang))?;
    let found = crate::accounts::search_accounts(&st.ctx.db, &q, req).await.map_err(page_err(lang))?;
    log_citizens_shown(&st, &user, &found.items).await.map_err(page_err(lang))?;
    let mut rows = Vec::with_capacity(found.items.len());
    for account in found.items {
        let (rvi, ren) = account.role.label();
        let (svi, sen) = state_label(account.status);
        let suspended = account.status == AccountStatus::Suspended;
        let suspension = if suspended {
            let last = crate::suspension::history(&st.ctx.db, &account.id).await.map_err(page_err(lang))?;
            last.into_iter().next().map(|c| format!("{} · {} · {}", when(c.created_at), c.actor_label, c.reason))
        } else {
            None
        };
        rows.push(Row {
            role: lang.pick(rvi, ren).to_string(),
            state: lang.pick(svi, sen).to_string(),
            suspended,
            suspension,
            can_suspend: matches!(account.status, AccountStatus::Active | AccountStatus::Locked)
                && account.id != user.account_id,
            account,
        });
    }
    let p = AdminAccountsPage {
        chrome: Chrome::new(lang, ("Quản lý tài khoản", "Accounts"), Some(&user), "/admin/accounts"),
        prev_href: (found.page > 1).then(|| href(&q, found.page - 1)),
        next_href: found.has_next.then(|| href(&q, found.page + 1)),
        page: found.page,
        rows,
        q,
    };
    Ok(render(&p, lang))
}

/// A citizen's login is their personal id: listing it is a read of their data.
async fn log_citizens_shown(st: &IdentityState, user: &CurrentUser, accounts: &[Account]) -> Result<(), AppError> {
    let entries = accounts
        .iter()
        .filter_map(|a| a.person_id.as_ref())
        .map(|person_id| audit::AccessEntry {
            at: kernel::clock::now_ms(),
            actor_id: user.account_id.clone(),
            actor_label: user.actor_label(),
            subject_id: person_id.clone(),
            action: "account.listed".into(),
            purpose: "administration".into(),
            released: "login,display_name,status".into(),
            channel: "web".into(),
        })
        .collect();
    st.ctx.access_log.record_all(entries).await
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    reason: Option<String>,
}

/// `POST /admin/accounts/{id}/suspend` and `/reactivate`.
async fn change(
    st: &IdentityState,
    lang: Lang,
    user: &CurrentUser,
    account_id: &str,
    f: &ChangeForm,
    suspend: bool,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(page_err(lang))?;
    if suspend && account_id == user.account_id {
        return Err(PageError::new(AppError::invalid("administrators cannot suspend their own account"), lang));
    }
    let db = &st.ctx.db;
    let account = crate::accounts::account_by_id(db, account_id)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(|| PageError::new(AppError::not_found("no such account"), lang))?;
    let actor = LevelActor { id: Some(user.account_id.clone()), label: user.actor_label() };
    let reason = f.reason.as_deref().unwrap_or_default();
    let changed = if suspend {
        crate::suspension::suspend(db, account_id, reason, &actor, kernel::clock::now_ms()).await
    } else {
        crate::suspension::reactivate(db, account_id, reason, &actor, kernel::clock::now_ms()).await
    }
    .map_err(page_err(lang))?;
    if !changed {
        let e = AppError::new(ErrorCode::Conflict, format!("the account is {}", account.status.code()));
        return Err(PageError::new(e, lang));
    }
    tracing::info!(account = %account.id, admin = %user.account_id, suspend, "account status changed");
    let (title, text) = if suspend {
        (
            ("Đã tạm ngừng tài khoản", "Account suspended"),
            (
                "Tài khoản đã bị tạm ngừng và mọi phiên đăng nhập đã kết thúc.",
                "The account is suspended and every session has ended.",
            ),
        )
    } else {
        (
            ("Đã mở lại tài khoản", "Account reactivated"),
            ("Tài khoản có thể đăng nhập lại.", "The account can sign in again."),
        )
    };
    Ok(message_with_code(
        lang,
        Some(user),
        title,
        vec![format!("{} · {}", account.login, account.display_name), lang.pick(text.0, text.1).to_string()],
        None,
        Some(("/admin/accounts", lang.pick("Quản lý tài khoản", "Accounts"))),
    ))
}

pub(super) async fn suspend(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Result<Response, PageError> {
    change(&st, lang, &user, &id, &f, true).await
}

pub(super) async fn reactivate(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Result<Response, PageError> {
    change(&st, lang, &user, &id, &f, false).await
}
