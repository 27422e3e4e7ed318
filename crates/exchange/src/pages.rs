//! `/admin/exchange`: the administrator's overview of the exchange — members with their
//! subsystems and current keys, the rights granted by purpose, and the transparency log's size
//! and latest signed tree head. Changes go through the API (`docs/EXCHANGE.md`), each one a
//! security event.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use web::layout::render;
use web::{Chrome, Lang, PageError, PageUser, Role};

use crate::catalogue::{Purpose, Service};
use crate::members::{self, MemberClass, Status};
use crate::rights;
use crate::Gateway;

struct MemberRow {
    code: String,
    name: String,
    class: &'static str,
    status: &'static str,
    subsystems: Vec<SubsystemRow>,
}

struct SubsystemRow {
    code: String,
    name: String,
    status: &'static str,
    keys: usize,
}

struct RightRow {
    member: String,
    subsystem: String,
    service: String,
    purpose: String,
    fields: String,
    valid: String,
    quota: i64,
    /// Requests counted today.
    used: i64,
    status: &'static str,
}

/// A subscription with its delivery state.
struct SubscriptionRow {
    member: String,
    subsystem: String,
    kinds: String,
    target: String,
    delivered: i64,
    last: String,
    state: String,
    ok: bool,
}

struct HeadRow {
    size: u64,
    when: String,
    root: String,
}

/// Consents per member and purpose.
struct ConsentRow {
    member: String,
    purpose: String,
    in_force: i64,
    withdrawn: i64,
    expired: i64,
}

#[derive(Template)]
#[template(path = "admin_exchange.html")]
struct ExchangePage {
    chrome: Chrome,
    consents: Vec<ConsentRow>,
    subscriptions: Vec<SubscriptionRow>,
    log_size: u64,
    sealed: u64,
    head: Option<HeadRow>,
    members: Vec<MemberRow>,
    rights: Vec<RightRow>,
}

fn class_label(c: MemberClass, lang: Lang) -> &'static str {
    match c {
        MemberClass::Government => lang.pick("Cơ quan nhà nước", "Government"),
        MemberClass::Business => lang.pick("Doanh nghiệp", "Business"),
        MemberClass::Bank => lang.pick("Ngân hàng", "Bank"),
    }
}

fn status_label(s: Status, lang: Lang) -> &'static str {
    match s {
        Status::Pending => lang.pick("Chờ duyệt", "Pending"),
        Status::Approved => lang.pick("Đã duyệt", "Approved"),
        Status::Suspended => lang.pick("Tạm dừng", "Suspended"),
    }
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

pub(crate) async fn admin(
    State(g): State<Gateway>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    user.require(&[Role::Admin]).map_err(err)?;
    let now = kernel::clock::now_ms();
    let db = &g.stores.db;
    let members = members::list(db, &user).await.map_err(err)?;
    let rights = rights::list(db, &user, None).await.map_err(err)?;
    let used = rights::used_on(db, kernel::clock::date_vn(now)).await.map_err(err)?;
    let subscriptions = crate::subscriptions::list(db, &user)
        .await
        .map_err(err)?
        .into_iter()
        .map(|s| {
            let (state, ok) = match (s.cancelled_at, &s.last_error, s.failing_since) {
                (Some(at), _, _) => {
                    (format!("{} {}", lang.pick("Đã huỷ", "Cancelled"), kernel::clock::format_ms_vn(at)), true)
                }
                (None, Some(e), Some(since)) => (
                    format!(
                        "{} {}: {e}",
                        lang.pick("Đang lỗi từ", "Failing since"),
                        kernel::clock::format_ms_vn(since)
                    ),
                    false,
                ),
                _ => (lang.pick("Bình thường", "Healthy").to_string(), true),
            };
            SubscriptionRow {
                member: s.member,
                subsystem: s.subsystem,
                kinds: s.kinds.join(", "),
                target: format!(
                    "{} {}",
                    if s.transport == crate::subscriptions::Transport::Http { "HTTP" } else { "NATS" },
                    s.target
                ),
                delivered: s.delivered,
                last: s.last_delivered_at.map_or_else(|| "—".to_string(), kernel::clock::format_ms_vn),
                state,
                ok,
            }
        })
        .collect();
    let log_size = translog::store::size(db).await.map_err(err)?;
    let sealed = audit::seal::sealed_count(db).await.map_err(err)?;
    let consents = crate::consent::overview(db, now)
        .await
        .map_err(err)?
        .into_iter()
        .map(|(member, purpose, in_force, withdrawn, expired)| ConsentRow {
            member,
            purpose: Purpose::find(&purpose).map_or(purpose.clone(), |p| lang.pick(p.vi, p.en).to_string()),
            in_force,
            withdrawn,
            expired,
        })
        .collect();
    let head = translog::head::latest_head(db).await.map_err(err)?.map(|h| HeadRow {
        size: h.tree_size,
        when: kernel::clock::format_ms_vn(h.timestamp),
        root: h.root_hash.iter().map(|b| format!("{b:02x}")).collect(),
    });
    let members = members
        .into_iter()
        .map(|m| MemberRow {
            class: class_label(m.class, lang),
            status: status_label(m.status, lang),
            subsystems: m
                .subsystems
                .into_iter()
                .map(|s| SubsystemRow {
                    status: status_label(s.status, lang),
                    keys: s.keys.iter().filter(|k| k.valid_from <= now && k.valid_to.is_none_or(|t| t > now)).count(),
                    code: s.code,
                    name: s.name,
                })
                .collect(),
            code: m.code,
            name: m.name,
        })
        .collect();
    let rights = rights
        .into_iter()
        .map(|r| {
            let g = r.grant;
            let service = Service::find(&g.service).map_or(g.service.clone(), |s| lang.pick(s.vi, s.en).to_string());
            let purpose = Purpose::find(&g.purpose).map_or(g.purpose.clone(), |p| lang.pick(p.vi, p.en).to_string());
            let until = g.valid_to.map_or_else(|| lang.pick("không thời hạn", "open-ended").to_string(), day);
            RightRow {
                member: g.member,
                subsystem: g.subsystem,
                service,
                purpose,
                fields: g.fields.join(", "),
                valid: format!("{} – {until}", day(g.valid_from)),
                quota: g.daily_quota,
                used: used.get(&r.id).copied().unwrap_or(0),
                status: if r.revoked_at.is_some() {
                    lang.pick("Đã thu hồi", "Revoked")
                } else {
                    lang.pick("Còn hiệu lực", "In force")
                },
            }
        })
        .collect();
    let page = ExchangePage {
        chrome: Chrome::new(lang, ("Trao đổi dữ liệu", "Data exchange"), Some(&user), "/admin/exchange"),
        consents,
        subscriptions,
        log_size,
        sealed,
        head,
        members,
        rights,
    };
    Ok(render(&page, lang))
}
