//! The platform's signing keys (khóa ký của hệ thống): one place that creates, stores, rotates
//! and uses the asymmetric keys behind every signed token dancu issues — OpenID Connect ID tokens,
//! signed verification receipts and dynamic identity QR codes.
//!
//! Keys live in the `signing_keys` table so every replica signs with the same key and a rotation in
//! one process reaches the others on their next [`KeyRing::refresh`]. A [`KeyRing`] keeps the live
//! keys in memory: signing and verifying never touch the database. Tokens are compact JWS (RFC 7515)
//! produced and checked by the `jsonwebtoken` crate on the `aws-lc-rs` backend; only the algorithms
//! of [`KeyAlg`] exist, so `alg: none` and HMAC confusion cannot be expressed.
//!
//! Verification needs only public keys: [`JwksVerifier`] checks tokens against a published JWKS,
//! offline, exactly as the key ring does.

mod alg;
mod error;
mod ring;
mod store;
mod verifier;

pub use alg::KeyAlg;
pub use error::KeyError;
pub use ring::KeyRing;
pub use store::{ensure_key, list, rotate, KeyInfo, KeyState, DEFAULT_OVERLAP_MS};
pub use verifier::{Expect, JwksVerifier};

/// Migrations of the `signing_keys` table.
pub const MIGRATIONS: &[db::Migration] = db::migrations!("keys", [(1, "signing_keys")]);

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "the tests sign and verify against the wall clock")]
mod tests;
