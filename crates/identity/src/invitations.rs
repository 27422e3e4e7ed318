//! Organization staff: invitations by a link sent to an e-mail address or phone, acceptance (the
//! invitee chooses a login and password), and the members list the owner manages.

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use kernel::{Jurisdiction, Role};
use serde::Serialize;

use crate::accounts::{insert_account, Account, AccountExtras, NewAccount, ACCOUNT_COLUMNS};
use crate::secrets::{hash_secret, random_secret};
use crate::sms::{Channel, SmsSender};

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// Roles inside an organization: the owner manages members, a manager invites staff.
pub const ORG_ROLES: [&str; 3] = ["owner", "manager", "staff"];

/// Vietnamese and English labels of an organization role.
pub fn org_role_label(role: &str) -> (&'static str, &'static str) {
    match role {
        "owner" => ("Chủ cơ sở", "Owner"),
        "manager" => ("Quản lý", "Manager"),
        _ => ("Nhân viên", "Staff"),
    }
}

/// An invitation waiting to be accepted (the link's token is never stored).
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: String,
    pub organization_id: String,
    pub contact: String,
    pub org_role: String,
    pub expires_at: i64,
}

/// Invites `contact` (e-mail or phone) as `org_role`; sends the link and returns it (the demo
/// shows it on the page too). `now` is UTC milliseconds, passed so tests can fix time.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    db: &Db,
    sender: &dyn SmsSender,
    public_url: &str,
    organization_id: &str,
    contact: &str,
    org_role: &str,
    invited_by: &str,
    now: i64,
) -> Result<String, AppError> {
    let contact = contact.trim();
    let channel = Channel::for_contact(contact);
    let contact = match channel {
        Channel::Email if contact.len() >= 3 && !contact.contains(char::is_whitespace) => contact.to_lowercase(),
        Channel::Sms => crate::registration::normalize_phone(contact)
            .ok_or_else(|| AppError::invalid("contact must be an e-mail address or a Vietnamese phone number"))?,
        Channel::Email => return Err(AppError::invalid("invalid e-mail address")),
    };
    if !ORG_ROLES.contains(&org_role) {
        return Err(AppError::invalid("unknown organization role"));
    }
    let org = crate::organizations::get_organization(db, organization_id)
        .await?
        .ok_or_else(|| AppError::not_found("organization"))?;
    let token = random_secret();
    sqlx::query(
        "INSERT INTO org_invitations (id, organization_id, token_hash, contact, org_role, invited_by, created_at, \
         expires_at, accepted_account_id, accepted_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL)",
    )
    .bind(kernel::ids::new_id())
    .bind(organization_id)
    .bind(hash_secret(&token))
    .bind(&contact)
    .bind(org_role)
    .bind(invited_by)
    .bind(now)
    .bind(now + INVITATION_TTL_MS)
    .execute(db.write())
    .await?;
    let link = format!("{public_url}/org/invite/{token}");
    let body = format!(
        "dancu: ban duoc moi lam {} cua {}. Mo lien ket (7 ngay): {link}",
        org_role,
        kernel::text::fold(&org.name)
    );
    sender.send(channel, &contact, &body).await?;
    Ok(link)
}

/// The invitation behind a link token, live at `now` (UTC milliseconds).
pub async fn find_invitation(db: &Db, token: &str, now: i64) -> Result<Option<Invitation>, AppError> {
    let row = sqlx::query(
        "SELECT id, organization_id, contact, org_role, expires_at FROM org_invitations \
         WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(hash_secret(token))
    .bind(now)
    .fetch_optional(db.read())
    .await?;
    Ok(row.map(|r| Invitation {
        id: r.get(0),
        organization_id: r.get(1),
        contact: r.get(2),
        org_role: r.get(3),
        expires_at: r.get(4),
    }))
}

/// Accepts an invitation: creates the staff account (role `org_staff`, jurisdiction the
/// organization) and spends the link, in one transaction, at `now` (UTC milliseconds).
pub async fn accept(
    db: &Db,
    token: &str,
    login: &str,
    display_name: &str,
    password_hash: &str,
    now: i64,
) -> Result<Account, AppError> {
    let inv =
        find_invitation(db, token, now).await?.ok_or_else(|| AppError::not_found("invitation expired or used"))?;
    let mut tx = db.begin().await?;
    let spent = sqlx::query("UPDATE org_invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL")
        .bind(now)
        .bind(&inv.id)
        .execute(&mut *tx)
        .await?;
    if spent.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::Conflict, "invitation already used"));
    }
    let new = NewAccount {
        login: login.to_string(),
        display_name: display_name.to_string(),
        role: Role::OrgStaff,
        jurisdiction: Jurisdiction::Own(inv.organization_id.clone()),
        password: String::new(),
    };
    let extras = AccountExtras {
        organization_id: Some(inv.organization_id.clone()),
        org_role: Some(inv.org_role.clone()),
        phone: Channel::for_contact(&inv.contact).eq(&Channel::Sms).then(|| inv.contact.clone()),
        ..Default::default()
    };
    let account = insert_account(&mut tx, &new, password_hash, extras, now).await?;
    sqlx::query("UPDATE org_invitations SET accepted_account_id = $1 WHERE id = $2")
        .bind(&account.id)
        .bind(&inv.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(account)
}

/// Staff accounts of an organization, by name.
pub async fn members(db: &Db, organization_id: &str) -> Result<Vec<Account>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.organization_id = $1 ORDER BY a.display_name, a.id"
    ))
    .bind(organization_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().filter_map(crate::accounts::account_from_row).collect())
}

/// Invitations not yet accepted and still live at `now` (UTC milliseconds).
pub async fn pending(db: &Db, organization_id: &str, now: i64) -> Result<Vec<Invitation>, AppError> {
    let rows = sqlx::query(
        "SELECT id, organization_id, contact, org_role, expires_at FROM org_invitations \
         WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC",
    )
    .bind(organization_id)
    .bind(now)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Invitation {
            id: r.get(0),
            organization_id: r.get(1),
            contact: r.get(2),
            org_role: r.get(3),
            expires_at: r.get(4),
        })
        .collect())
}

/// The owner changes a member's role or removes them (the account is suspended and signed out).
/// The owner cannot demote or remove themself, so an organization always keeps an owner. `now` is
/// UTC milliseconds.
pub async fn manage_member(
    db: &Db,
    owner: &Account,
    member_id: &str,
    new_role: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    let org = owner.organization_id.as_deref().filter(|_| owner.org_role.as_deref() == Some("owner"));
    let Some(org) = org else { return Err(AppError::forbidden("only the owner manages members")) };
    if member_id == owner.id {
        return Err(AppError::invalid("the owner cannot change their own membership"));
    }
    let member = crate::accounts::account_by_id(db, member_id)
        .await?
        .filter(|m| m.organization_id.as_deref() == Some(org))
        .ok_or_else(|| AppError::not_found("no such member"))?;
    match new_role {
        Some(role) if ORG_ROLES.contains(&role) => {
            sqlx::query("UPDATE accounts SET org_role = $1 WHERE id = $2 AND organization_id = $3")
                .bind(role)
                .bind(&member.id)
                .bind(org)
                .execute(db.write())
                .await?;
        }
        Some(_) => return Err(AppError::invalid("unknown organization role")),
        None => {
            let actor = crate::levels::LevelActor { id: Some(owner.id.clone()), label: owner.display_name.clone() };
            crate::suspension::suspend(
                db,
                &member.id,
                "Chủ cơ sở gỡ khỏi tổ chức / Removed from the organization by its owner",
                &actor,
                now,
            )
            .await?;
        }
    }
    Ok(())
}
