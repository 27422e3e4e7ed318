//! Organization pages: administrators create organizations and the owner's invitation
//! (`/admin/organizations`) and read the demo outbox (`/admin/sms-outbox`); invitees accept a
//! link (`/org/invite/{token}`); staff see their organization and the owner manages members
//! (`/org`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kernel::{AppError, PageRequest};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::{check_form_csrf, issue_form_csrf, message_with_code, page_err, when, IdentityState};
use crate::accounts::Account;
use crate::invitations::{self, org_role_label, Invitation};
use crate::organizations::{self, NewOrganization, OrgKind, Organization};
use crate::secrets::random_secret;

#[derive(Template)]
#[template(path = "admin_orgs.html")]
struct AdminOrgsPage {
    chrome: Chrome,
    orgs: Vec<(Organization, String)>,
    kinds: Vec<(&'static str, String)>,
    error: Option<String>,
}

async fn admin_orgs(
    st: &IdentityState,
    lang: Lang,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(page_err(lang))?;
    let page = PageRequest::new(None, Some(200)).map_err(page_err(lang))?;
    let orgs = organizations::list_organizations(&st.ctx.db, None, page).await.map_err(page_err(lang))?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let p = AdminOrgsPage {
        chrome: Chrome::new(lang, ("Tổ chức, cơ sở", "Organizations"), Some(user), "/admin/organizations"),
        orgs: orgs
            .items
            .into_iter()
            .map(|o| {
                let k = lang.pick(o.kind.label().0, o.kind.label().1).to_string();
                (o, k)
            })
            .collect(),
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), lang.pick(k.label().0, k.label().1).to_string())).collect(),
        error,
    };
    let mut r = render(&p, lang);
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn admin_orgs_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    admin_orgs(&st, lang, &user, None).await
}

#[derive(Deserialize)]
pub(super) struct NewOrgForm {
    tax_code: String,
    name: String,
    kind: String,
    address: String,
    commune_code: String,
    owner_contact: String,
}

pub(super) async fn admin_orgs_create(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<NewOrgForm>,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(page_err(lang))?;
    let Some(kind) = OrgKind::parse(&f.kind) else {
        return admin_orgs(&st, lang, &user, Some(lang.pick("Loại hình không hợp lệ.", "Unknown kind.").into())).await;
    };
    let new = NewOrganization {
        tax_code: f.tax_code,
        name: f.name,
        kind,
        address: f.address,
        commune_code: f.commune_code.trim().to_string(),
    };
    let org = match organizations::create_organization(&st.ctx.db, new, kernel::clock::now_ms()).await {
        Ok(o) => o,
        Err(e) => return admin_orgs(&st, lang, &user, Some(e.message_in(lang).to_string())).await,
    };
    let link = invitations::invite(
        &st.ctx.db,
        st.sms.as_ref(),
        &st.config.public_url,
        &org.id,
        &f.owner_contact,
        "owner",
        &user.account_id,
        kernel::clock::now_ms(),
    )
    .await
    .map_err(page_err(lang))?;
    Ok(message_with_code(
        lang,
        Some(&user),
        ("Đã tạo tổ chức", "Organization created"),
        vec![
            format!("{} · {}", org.name, org.tax_code),
            lang.pick("Liên kết mời chủ cơ sở đã được gửi:", "The owner's invitation link was sent:").to_string(),
        ],
        Some(link),
        Some(("/admin/organizations", lang.pick("Danh sách tổ chức", "Organizations"))),
    ))
}

#[derive(Template)]
#[template(path = "sms_outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    messages: Vec<(crate::sms::OutboxMessage, String)>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<u32>,
}

pub(super) async fn outbox(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(page_err(lang))?;
    let req = PageRequest::new(q.page, Some(50)).map_err(page_err(lang))?;
    let found = crate::sms::list_outbox(&st.ctx.db, req).await.map_err(page_err(lang))?;
    let p = OutboxPage {
        chrome: Chrome::new(
            lang,
            ("Hộp thư đi (SMS, e-mail mô phỏng)", "Outbox (simulated SMS and e-mail)"),
            Some(&user),
            "/admin/sms-outbox",
        ),
        messages: found
            .items
            .into_iter()
            .map(|m| {
                let w = when(m.created_at);
                (m, w)
            })
            .collect(),
        page: found.page,
        prev_href: (found.page > 1).then(|| format!("/admin/sms-outbox?page={}", found.page - 1)),
        next_href: found.has_next.then(|| format!("/admin/sms-outbox?page={}", found.page + 1)),
    };
    Ok(render(&p, lang))
}

#[derive(Template)]
#[template(path = "invite_accept.html")]
struct AcceptPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    org_name: String,
    role: String,
    error: Option<String>,
}

async fn accept_form(
    st: &IdentityState,
    lang: Lang,
    token: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let gone = || PageError::new(AppError::not_found("invitation expired or used"), lang);
    let inv = invitations::find_invitation(&st.ctx.db, token, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?
        .ok_or_else(gone)?;
    let org = organizations::get_organization(&st.ctx.db, &inv.organization_id)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(gone)?;
    let (rv, re) = org_role_label(&inv.org_role);
    let p = AcceptPage {
        chrome: Chrome::new(lang, ("Nhận lời mời", "Accept the invitation"), None, "/org/invite"),
        csrf: random_secret(),
        token: token.to_string(),
        org_name: org.name,
        role: lang.pick(rv, re).to_string(),
        error,
    };
    let mut r = render(&p, lang);
    if p.error.is_some() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    issue_form_csrf(&mut r, &p.csrf);
    Ok(r)
}

pub(super) async fn accept_page(
    State(st): State<IdentityState>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    accept_form(&st, lang, &token, None).await
}

#[derive(Deserialize)]
pub(super) struct AcceptForm {
    csrf: String,
    full_name: String,
    login: String,
    password: String,
    password2: String,
}

pub(super) async fn accept_submit(
    State(st): State<IdentityState>,
    lang: Lang,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&headers, &f.csrf, lang)?;
    let login = crate::accounts::normalize_login(&f.login);
    let login_ok = login.len() >= 3
        && login.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !login.bytes().all(|b| b.is_ascii_digit());
    let problem = if !login_ok {
        Some(lang.pick(
            "Tên đăng nhập gồm ít nhất 3 ký tự a-z, 0-9, '.', '_', '-' (không chỉ gồm chữ số).",
            "The login needs 3+ characters a-z, 0-9, '.', '_', '-' (not only digits).",
        ))
    } else if f.password != f.password2 {
        Some(lang.pick("Hai mật khẩu không giống nhau.", "The two passwords differ."))
    } else if crate::password::check_new_password(&f.password, &[&login]).is_err() {
        Some(lang.pick(
            "Mật khẩu cần ít nhất 10 ký tự và không chứa tên đăng nhập.",
            "The password needs 10+ characters and must not contain the login.",
        ))
    } else {
        None
    };
    if let Some(msg) = problem {
        return accept_form(&st, lang, &token, Some(msg.to_string())).await;
    }
    let hash = st.hasher.hash(&f.password).await.map_err(page_err(lang))?;
    match invitations::accept(&st.ctx.db, &token, &login, &f.full_name, &hash, kernel::clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to("/login?welcome=1&next=/org").into_response()),
        Err(e) if e.code == kernel::ErrorCode::Conflict => {
            accept_form(
                &st,
                lang,
                &token,
                Some(lang.pick("Tên đăng nhập đã có người dùng.", "That login is taken.").to_string()),
            )
            .await
        }
        Err(e) => Err(PageError::new(e, lang)),
    }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    org: Organization,
    kind: String,
    me: Account,
    members: Vec<(Account, String)>,
    pending: Vec<(Invitation, String)>,
    roles: Vec<(&'static str, String)>,
    invite_link: Option<String>,
}

async fn staff(st: &IdentityState, user: &CurrentUser, lang: Lang) -> Result<(Account, Organization), PageError> {
    user.require(&[Role::OrgStaff]).map_err(page_err(lang))?;
    let me = crate::accounts::account_by_id(&st.ctx.db, &user.account_id).await.map_err(page_err(lang))?;
    // A member by invitation has the organization on the account; staff created with the
    // organization as their jurisdiction (as lodging and verification read it) belong to it too.
    let org_id = me.as_ref().and_then(|a| a.organization_id.clone()).or_else(|| match &user.jurisdiction {
        web::Jurisdiction::Own(org) => Some(org.clone()),
        _ => None,
    });
    let (Some(me), Some(org_id)) = (me, org_id) else {
        return Err(PageError::new(AppError::forbidden("not organization staff"), lang));
    };
    let org = organizations::get_organization(&st.ctx.db, &org_id)
        .await
        .map_err(page_err(lang))?
        .ok_or_else(|| PageError::new(AppError::not_found("organization"), lang))?;
    Ok((me, org))
}

async fn org_page_with(
    st: &IdentityState,
    lang: Lang,
    user: &CurrentUser,
    invite_link: Option<String>,
) -> Result<Response, PageError> {
    let (me, org) = staff(st, user, lang).await?;
    let label = |r: &str| {
        let (v, e) = org_role_label(r);
        lang.pick(v, e).to_string()
    };
    let members = invitations::members(&st.ctx.db, &org.id).await.map_err(page_err(lang))?;
    let pending = invitations::pending(&st.ctx.db, &org.id, kernel::clock::now_ms()).await.map_err(page_err(lang))?;
    let p = OrgPage {
        chrome: Chrome::new(lang, ("Tổ chức của tôi", "My organization"), Some(user), "/org"),
        kind: lang.pick(org.kind.label().0, org.kind.label().1).to_string(),
        members: members
            .into_iter()
            .map(|m| {
                let l = label(m.org_role.as_deref().unwrap_or("staff"));
                (m, l)
            })
            .collect(),
        pending: pending
            .into_iter()
            .map(|i| {
                let l = label(&i.org_role);
                (i, l)
            })
            .collect(),
        roles: invitations::ORG_ROLES.iter().map(|r| (*r, label(r))).collect(),
        org,
        me,
        invite_link,
    };
    Ok(render(&p, lang))
}

pub(super) async fn org_page(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    org_page_with(&st, lang, &user, None).await
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    contact: String,
    org_role: String,
}

pub(super) async fn org_invite(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<InviteForm>,
) -> Result<Response, PageError> {
    let (me, org) = staff(&st, &user, lang).await?;
    // The owner invites anyone; a manager invites staff only.
    let allowed = match me.org_role.as_deref() {
        Some("owner") => true,
        Some("manager") => f.org_role == "staff",
        _ => false,
    };
    if !allowed {
        return Err(PageError::new(AppError::forbidden("not allowed to invite with this role"), lang));
    }
    let link = invitations::invite(
        &st.ctx.db,
        st.sms.as_ref(),
        &st.config.public_url,
        &org.id,
        &f.contact,
        &f.org_role,
        &me.id,
        kernel::clock::now_ms(),
    )
    .await
    .map_err(page_err(lang))?;
    org_page_with(&st, lang, &user, Some(link)).await
}

#[derive(Deserialize)]
pub(super) struct MemberForm {
    account_id: String,
    /// A new role, or `remove`.
    action: String,
}

pub(super) async fn org_member(
    State(st): State<IdentityState>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<MemberForm>,
) -> Result<Response, PageError> {
    let (me, _) = staff(&st, &user, lang).await?;
    let role = (f.action != "remove").then_some(f.action.as_str());
    invitations::manage_member(&st.ctx.db, &me, &f.account_id, role, kernel::clock::now_ms())
        .await
        .map_err(page_err(lang))?;
    Ok(Redirect::to("/org").into_response())
}
