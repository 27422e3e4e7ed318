//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane).
//!
//! Hashing costs ~19 MiB and tens of milliseconds, so it runs on blocking threads behind a
//! semaphore: a flood of logins queues instead of exhausting memory.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kernel::AppError;
use tokio::sync::Semaphore;

/// A bounded pool for argon2id hashing and verification. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

/// argon2id cost: 19 MiB, two passes, one lane; checked when the crate is compiled.
const PARAMS: Params = match Params::new(19 * 1024, 2, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("valid argon2 parameters"),
};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// A hash that verifies no password, used so unknown logins cost as much as known ones.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0aUW2Rk+Qdd8zPGJ2bL2Ea4xgsNx4UwUx5oW7HI6X0A";

impl PasswordHasher {
    /// At most `concurrency` hashes run at once (default: number of cores).
    pub fn new(concurrency: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|_| AppError::internal("password hashing failed"))
        })
        .await
    }

    /// Checks a password against a stored hash; `None` checks against a dummy hash so that
    /// responses for unknown accounts take as long as for known ones.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let password = password.to_owned();
        let stored = stored.unwrap_or(DUMMY_HASH).to_owned();
        let known = stored != DUMMY_HASH;
        self.run(move || {
            let ok = PasswordHash::new(&stored)
                .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false);
            Ok(ok && known)
        })
        .await
        .unwrap_or(false)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(|_| AppError::internal("hasher closed"))?;
        tokio::task::spawn_blocking(f).await.map_err(|_| AppError::internal("hashing task failed"))?
    }
}

/// Minimum length of a new password (NIST SP 800-63B asks for at least 8; we ask for 10).
pub(crate) const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password: long enough, and not one of the account's own identifiers (login,
/// personal id, phone), which an attacker would try first.
pub fn check_new_password(password: &str, identifiers: &[&str]) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(format!("password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    let folded = password.trim().to_lowercase();
    if identifiers.iter().any(|i| !i.is_empty() && folded.contains(&i.trim().to_lowercase())) {
        return Err(AppError::invalid("password must not contain your login or personal id"));
    }
    Ok(())
}

/// Why a new password, typed twice on a form, is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewPasswordProblem {
    /// The two copies differ.
    Differ,
    /// Too short, or contains one of the account's identifiers ([`check_new_password`]).
    Weak,
}

impl NewPasswordProblem {
    /// Vietnamese and English explanation.
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            NewPasswordProblem::Differ => ("Hai mật khẩu không giống nhau.", "The two passwords differ."),
            NewPasswordProblem::Weak => (
                "Mật khẩu cần ít nhất 10 ký tự và không chứa tên đăng nhập, số định danh hoặc số điện thoại.",
                "The password needs at least 10 characters and must not contain your login, personal id or phone number.",
            ),
        }
    }
}

/// Checks a new password typed twice (`again`) against the rules of [`check_new_password`].
pub fn check_new_pair(password: &str, again: &str, identifiers: &[&str]) -> Result<(), NewPasswordProblem> {
    if password != again {
        return Err(NewPasswordProblem::Differ);
    }
    check_new_password(password, identifiers).map_err(|_| NewPasswordProblem::Weak)
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies() {
        let h = PasswordHasher::new(2);
        let stored = h.hash("đúng-mật-khẩu").await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("đúng-mật-khẩu", Some(&stored)).await);
        assert!(!h.verify("sai", Some(&stored)).await);
        assert!(!h.verify("anything", None).await);
        assert!(!h.verify("x", Some("not a hash")).await);
    }

    #[test]
    fn new_password_pairs() {
        let ids = ["079123456789", "0912345678"];
        assert_eq!(check_new_pair("mật-khẩu-dài-đủ", "mật-khẩu-dài-đủ", &ids), Ok(()));
        assert_eq!(check_new_pair("mật-khẩu-dài-đủ", "mật-khẩu-dài-khác", &ids), Err(NewPasswordProblem::Differ));
        assert_eq!(check_new_pair("ngắn", "ngắn", &ids), Err(NewPasswordProblem::Weak));
        assert_eq!(check_new_pair("x079123456789x", "x079123456789x", &ids), Err(NewPasswordProblem::Weak));
    }

    #[test]
    fn new_passwords_are_long_and_not_the_login() {
        assert!(check_new_password("ngắn", &[]).is_err());
        assert!(check_new_password("x001203004567y", &["001203004567"]).is_err());
        assert!(check_new_password("Tuyen.Quang", &["tuyen.quang"]).is_err());
        assert!(check_new_password("một câu dài dễ nhớ", &["001203004567"]).is_ok());
    }
}
