//! Passkeys (W3C WebAuthn, through `webauthn-rs`): an account registers one or more from its
//! security page and then signs in with one instead of a password. A passkey always requires user
//! verification (the device's PIN or biometrics), so it is a complete multi-factor sign-in and no
//! TOTP code follows it.
//!
//! Each ceremony has two requests. The first stores the ceremony's state server-side (a
//! `login_challenges` row, five minutes, single use) and hands the browser a ticket with the
//! options; the second sends the ticket with the authenticator's answer. Sign-in names the account
//! first: for an unknown login, or one without passkeys, the options carry credential ids derived
//! from the login with a server key (`webauthn-rs`' fake-credential generator), so the answer looks
//! the same whether or not the account exists.
//!
//! The relying party is the host of `DANCU_PUBLIC_URL`. Browsers refuse WebAuthn on IP addresses:
//! a loopback address (`http://127.0.0.1:8080`, the demo's) is served to passkeys as
//! `http://localhost:8080`, where the pages send a visitor who wants one; with any other IP address
//! passkeys are off and the pages say why.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use webauthn_rs::fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::accounts::Account;

/// Kind of the `login_challenges` row of a registration.
const REGISTER_KIND: &str = "passkey_register";
/// Kind of the `login_challenges` row of a sign-in.
const SIGN_IN_KIND: &str = "passkey_sign_in";
/// Name of the key behind the fake credential ids in `identity_secrets`.
const FAKE_KEY_NAME: &str = "webauthn_fake_credentials";
/// Passkeys one account may hold.
pub const MAX_PER_ACCOUNT: i64 = 10;
/// Longest name of a passkey, in characters.
const MAX_NAME_CHARS: usize = 60;
/// The authenticator's time limit shown to the browser (WebAuthn's recommended five minutes,
/// the same as the ceremony's row).
const CEREMONY_TIMEOUT: Duration = Duration::from_millis(crate::challenges::CHALLENGE_TTL_MS as u64);

/// The relying party, when the public address allows one.
#[derive(Clone)]
pub struct Passkeys {
    rp: Result<Arc<Webauthn>, &'static str>,
    origin: String,
    /// The decoy generator, keyed from `identity_secrets` on first use.
    decoys: Arc<tokio::sync::OnceCell<Decoys>>,
}

type Decoys = WebauthnFakeCredentialGenerator<FakePasskeyDistribution>;

/// A registered passkey as the account page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredPasskey {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub removed_at: Option<i64>,
}

/// Why a ceremony's second request was refused; the browser shows the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No live ticket: expired, already used, or never issued.
    Expired,
    /// The authenticator's answer does not verify (wrong origin, challenge, signature, key).
    Rejected,
    /// This credential is already registered (to this or another account).
    Duplicate,
    /// The account already holds [`MAX_PER_ACCOUNT`] passkeys.
    TooMany,
}

impl Refusal {
    /// Vietnamese and English explanation.
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            Refusal::Expired => (
                "Phiên thao tác đã hết hạn hoặc đã dùng. Vui lòng thử lại.",
                "This attempt has expired or was already used. Please try again.",
            ),
            Refusal::Rejected => ("Không xác minh được khóa truy cập.", "The passkey could not be verified."),
            Refusal::Duplicate => ("Khóa truy cập này đã được đăng ký.", "This passkey is already registered."),
            Refusal::TooMany => (
                "Tài khoản đã có tối đa 10 khóa truy cập. Hãy xóa bớt trước khi thêm.",
                "The account already has 10 passkeys. Remove one first.",
            ),
        }
    }
}

impl Passkeys {
    /// The relying party of `public_url`: its host is the RP id, the URL's origin the only origin
    /// accepted.
    pub fn new(public_url: &str) -> Passkeys {
        let origin = passkey_origin(public_url);
        Passkeys {
            rp: relying_party(&origin).map(Arc::new),
            origin: origin.trim_end_matches('/').to_string(),
            decoys: Arc::default(),
        }
    }

    /// The origin passkeys work at (the public address, with a loopback IP written `localhost`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether passkeys can be used at this address, or why not (Vietnamese, English).
    pub fn availability(&self) -> Result<(), (&'static str, &'static str)> {
        match &self.rp {
            Ok(_) => Ok(()),
            Err(_) => Err((
                "Khóa truy cập cần địa chỉ máy chủ là tên miền (DANCU_PUBLIC_URL), không dùng được với địa chỉ IP.",
                "Passkeys need the server's address (DANCU_PUBLIC_URL) to be a domain name; browsers refuse them on an IP address.",
            )),
        }
    }

    fn rp(&self) -> Result<&Webauthn, AppError> {
        self.rp.as_deref().map_err(|why| AppError::new(ErrorCode::Forbidden, *why))
    }

    /// Starts registering a passkey for `account` at `now` (UTC milliseconds); returns the ticket
    /// and the browser's options.
    pub async fn start_registration(
        &self,
        db: &Db,
        account: &Account,
        now: i64,
    ) -> Result<(String, CreationChallengeResponse), AppError> {
        let rp = self.rp()?;
        let existing = credentials(db, &account.id).await?;
        if existing.len() as i64 >= MAX_PER_ACCOUNT {
            return Err(AppError::new(ErrorCode::Conflict, "too many passkeys"));
        }
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (options, state) = rp
            .start_passkey_registration(user_handle(&account.id), &account.login, &account.display_name, Some(exclude))
            .map_err(|e| AppError::internal(format!("passkey registration options: {e}")))?;
        let state = serde_json::to_string(&state).map_err(json_err)?;
        let ticket = crate::challenges::create_with_state(db, Some(&account.id), REGISTER_KIND, &state, now).await?;
        Ok((ticket, options))
    }

    /// Verifies the authenticator's answer and stores the new passkey under `name`, at `now` (UTC
    /// milliseconds).
    pub async fn finish_registration(
        &self,
        db: &Db,
        account_id: &str,
        ticket: &str,
        name: &str,
        answer: &RegisterPublicKeyCredential,
        now: i64,
    ) -> Result<Result<StoredPasskey, Refusal>, AppError> {
        let rp = self.rp()?;
        let name = clean_name(name)?;
        let Some((Some(owner), state)) = crate::challenges::take(db, ticket, REGISTER_KIND, now).await? else {
            return Ok(Err(Refusal::Expired));
        };
        if owner != account_id {
            return Ok(Err(Refusal::Expired));
        }
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(json_err)?;
        let Ok(passkey) = rp.finish_passkey_registration(answer, &state) else {
            return Ok(Err(Refusal::Rejected));
        };
        store(db, account_id, &name, &passkey, now).await
    }

    /// Starts a sign-in with a passkey of the account called `login`. The answer has the same
    /// shape for an unknown login. `now` is UTC milliseconds.
    pub async fn start_sign_in(
        &self,
        db: &Db,
        login: &str,
        now: i64,
    ) -> Result<(String, RequestChallengeResponse), AppError> {
        let rp = self.rp()?;
        let account = crate::accounts::find_by_login(db, login).await?.map(|(a, _, _)| a);
        let passkeys = match &account {
            Some(a) => credentials(db, &a.id).await?,
            None => Vec::new(),
        };
        if passkeys.is_empty() {
            let options = self.decoy_options(db, rp, login, now).await?;
            let ticket = crate::challenges::create_with_state(db, None, SIGN_IN_KIND, "", now).await?;
            return Ok((ticket, options));
        }
        let (options, state) = rp
            .start_passkey_authentication(&passkeys)
            .map_err(|e| AppError::internal(format!("passkey sign-in options: {e}")))?;
        let state = serde_json::to_string(&state).map_err(json_err)?;
        let account_id = account.as_ref().map(|a| a.id.as_str());
        let ticket = crate::challenges::create_with_state(db, account_id, SIGN_IN_KIND, &state, now).await?;
        Ok((ticket, options))
    }

    /// Options indistinguishable from a real sign-in's, for a login without passkeys: a fresh
    /// challenge and the credential ids this login would always be shown.
    async fn decoy_options(
        &self,
        db: &Db,
        rp: &Webauthn,
        login: &str,
        now: i64,
    ) -> Result<RequestChallengeResponse, AppError> {
        let decoys = self
            .decoys
            .get_or_try_init(|| async {
                let key = crate::secrets::server_key(db, FAKE_KEY_NAME, now).await?;
                Decoys::new(&key).map_err(|e| AppError::internal(format!("decoy credentials: {e}")))
            })
            .await?;
        let fake = decoys
            .generate(crate::accounts::normalize_login(login).as_bytes())
            .map_err(|e| AppError::internal(format!("decoy credentials: {e}")))?;
        let mut challenge = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut challenge);
        let options = serde_json::json!({
            "publicKey": {
                "challenge": URL_SAFE_NO_PAD.encode(&challenge),
                "timeout": CEREMONY_TIMEOUT.as_millis() as u64,
                "rpId": rp_id(rp),
                "allowCredentials": fake.iter().map(|id| serde_json::json!({"type": "public-key", "id": URL_SAFE_NO_PAD.encode(id)})).collect::<Vec<_>>(),
                "userVerification": "required",
            }
        });
        serde_json::from_value(options).map_err(json_err)
    }

    /// Verifies a sign-in; returns the account that signed in, or why not. The passkey's counter
    /// and last use (`now`, UTC milliseconds) are updated.
    pub async fn finish_sign_in(
        &self,
        db: &Db,
        ticket: &str,
        answer: &PublicKeyCredential,
        now: i64,
    ) -> Result<Result<Account, Refusal>, AppError> {
        let rp = self.rp()?;
        let Some((owner, state)) = crate::challenges::take(db, ticket, SIGN_IN_KIND, now).await? else {
            return Ok(Err(Refusal::Expired));
        };
        let Some(owner) = owner else { return Ok(Err(Refusal::Rejected)) };
        let state: PasskeyAuthentication = serde_json::from_str(&state).map_err(json_err)?;
        let Ok(result) = rp.finish_passkey_authentication(answer, &state) else {
            return Ok(Err(Refusal::Rejected));
        };
        let cred_id = URL_SAFE_NO_PAD.encode(result.cred_id());
        let row = sqlx::query(
            "SELECT id, passkey FROM webauthn_credentials WHERE account_id = $1 AND credential_id = $2 AND removed_at IS NULL",
        )
        .bind(&owner)
        .bind(&cred_id)
        .fetch_optional(db.write())
        .await?;
        let Some(row) = row else { return Ok(Err(Refusal::Rejected)) };
        let mut passkey: Passkey = serde_json::from_str(&row.get::<String, _>(1)).map_err(json_err)?;
        passkey.update_credential(&result);
        sqlx::query("UPDATE webauthn_credentials SET passkey = $1, last_used_at = $2 WHERE id = $3")
            .bind(serde_json::to_string(&passkey).map_err(json_err)?)
            .bind(now)
            .bind(row.get::<String, _>(0))
            .execute(db.write())
            .await?;
        let account = crate::accounts::account_by_id(db, &owner).await?;
        Ok(account.ok_or(Refusal::Rejected))
    }
}

/// A stored state or passkey that does not (de)serialize: a bug or a damaged row, never the user's
/// input.
fn json_err(e: serde_json::Error) -> AppError {
    AppError::internal(format!("passkey data: {e}"))
}

/// The public URL with a loopback IP replaced by `localhost`, the one loopback name browsers
/// accept as a relying party.
fn passkey_origin(public_url: &str) -> String {
    let Ok(mut url) = Url::parse(public_url) else { return public_url.to_string() };
    let loopback = url
        .host_str()
        .and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if loopback && url.set_host(Some("localhost")).is_ok() {
        return url.to_string();
    }
    public_url.to_string()
}

/// The relying party of a public URL, or why there is none.
fn relying_party(public_url: &str) -> Result<Webauthn, &'static str> {
    let origin = Url::parse(public_url).map_err(|_| "DANCU_PUBLIC_URL is not a URL")?;
    let host = origin.domain().ok_or("DANCU_PUBLIC_URL has no domain name")?.to_string();
    WebauthnBuilder::new(&host, &origin)
        .map(|b| b.rp_name("dancu").timeout(CEREMONY_TIMEOUT))
        .and_then(|b| b.build())
        .map_err(|_| "DANCU_PUBLIC_URL cannot be a WebAuthn relying party")
}

fn rp_id(rp: &Webauthn) -> String {
    rp.get_allowed_origins().first().and_then(|o| o.domain()).unwrap_or_default().to_string()
}

/// The WebAuthn user handle of an account: derived from its id, stable, and revealing nothing
/// about the person (no personal id, no login).
fn user_handle(account_id: &str) -> Uuid {
    let digest = Sha256::digest(format!("dancu-webauthn-user|{account_id}").as_bytes());
    // The first 16 of the digest's 32 bytes.
    let mut bytes = [0u8; 16];
    bytes.iter_mut().zip(digest).for_each(|(b, d)| *b = d);
    Uuid::from_bytes(bytes)
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name = kernel::text::normalize_name(name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::invalid(format!("a passkey name has 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name)
}

/// The account's passkeys in use.
async fn credentials(db: &Db, account_id: &str) -> Result<Vec<Passkey>, AppError> {
    let rows = sqlx::query(
        "SELECT passkey FROM webauthn_credentials WHERE account_id = $1 AND removed_at IS NULL ORDER BY created_at",
    )
    .bind(account_id)
    .fetch_all(db.write())
    .await?;
    rows.iter().map(|r| serde_json::from_str(&r.get::<String, _>(0)).map_err(json_err)).collect()
}

/// Stores a verified passkey; a credential id registered before is refused, and so is an 11th
/// passkey (counted in the same statement, so two registrations at once cannot both slip past).
async fn store(
    db: &Db,
    account_id: &str,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> Result<Result<StoredPasskey, Refusal>, AppError> {
    let stored = StoredPasskey {
        id: kernel::ids::new_id(),
        name: name.to_string(),
        created_at: now,
        last_used_at: None,
        removed_at: None,
    };
    let res = sqlx::query(
        "INSERT INTO webauthn_credentials (id, account_id, credential_id, name, passkey, created_at) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM webauthn_credentials \
         WHERE account_id = $2 AND removed_at IS NULL) < $7",
    )
    .bind(&stored.id)
    .bind(account_id)
    .bind(URL_SAFE_NO_PAD.encode(passkey.cred_id()))
    .bind(&stored.name)
    .bind(serde_json::to_string(passkey).map_err(json_err)?)
    .bind(stored.created_at)
    .bind(MAX_PER_ACCOUNT)
    .execute(db.write())
    .await;
    match res {
        Ok(done) if done.rows_affected() == 0 => Ok(Err(Refusal::TooMany)),
        Ok(_) => {
            tracing::info!(account = %account_id, passkey = %stored.id, "passkey registered");
            Ok(Ok(stored))
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Err(Refusal::Duplicate)),
        Err(e) => Err(kernel::AppError::from(e)),
    }
}

/// Every passkey of an account, removed ones included (newest first), for its security page.
pub async fn list(db: &Db, account_id: &str) -> Result<Vec<StoredPasskey>, AppError> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, removed_at FROM webauthn_credentials \
         WHERE account_id = $1 ORDER BY created_at DESC",
    )
    .bind(account_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| StoredPasskey {
            id: r.get(0),
            name: r.get(1),
            created_at: r.get(2),
            last_used_at: r.get(3),
            removed_at: r.get(4),
        })
        .collect())
}

/// Removes one of the account's passkeys at `now` (UTC milliseconds); `false` when it is not
/// theirs or already removed.
pub async fn remove(db: &Db, account_id: &str, id: &str, now: i64) -> Result<bool, AppError> {
    let res = sqlx::query(
        "UPDATE webauthn_credentials SET removed_at = $1 WHERE id = $2 AND account_id = $3 AND removed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(account_id)
    .execute(db.write())
    .await?;
    if res.rows_affected() == 1 {
        tracing::info!(account = %account_id, passkey = %id, "passkey removed");
    }
    Ok(res.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_party_needs_a_domain() {
        assert!(Passkeys::new("http://localhost:8080").availability().is_ok());
        assert!(Passkeys::new("https://dinhdanh.example.gov.vn").availability().is_ok());
        assert!(Passkeys::new("http://10.0.0.5:8080").availability().is_err());
        let loopback = Passkeys::new("http://127.0.0.1:8080");
        assert!(loopback.availability().is_ok());
        assert_eq!(loopback.origin(), "http://localhost:8080");
        assert_eq!(Passkeys::new("http://[::1]:9000/").origin(), "http://localhost:9000");
        assert_eq!(Passkeys::new("https://eid.example.vn").origin(), "https://eid.example.vn");
        assert!(Passkeys::new("not a url").availability().is_err());
    }

    #[test]
    fn user_handles_are_stable_and_distinct() {
        assert_eq!(user_handle("a1"), user_handle("a1"));
        assert_ne!(user_handle("a1"), user_handle("a2"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(clean_name("  Điện thoại  ").unwrap(), "Điện thoại");
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"x".repeat(61)).is_err());
        assert!(clean_name("a\u{7}b").is_err());
    }
}
