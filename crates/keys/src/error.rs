//! Why signing or verification failed.

use kernel::{AppError, ErrorCode};

/// A signing or verification failure. The messages name the check that failed and never contain
/// token contents.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("token is not a compact JWS")]
    Malformed,
    #[error("algorithm {0:?} is not accepted")]
    AlgorithmRejected(String),
    #[error("unknown signing key {0:?}")]
    UnknownKey(String),
    #[error("token algorithm does not match its key")]
    WrongAlgorithm,
    #[error("signature does not verify")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("claim check failed: {0}")]
    Claims(String),
    #[error("no active signing key")]
    NoActiveKey,
    #[error("key material: {0}")]
    KeyMaterial(String),
    #[error("storage: {0}")]
    Storage(String),
}

impl KeyError {
    /// A short stable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Malformed => "malformed",
            KeyError::AlgorithmRejected(_) => "algorithm_rejected",
            KeyError::UnknownKey(_) => "unknown_key",
            KeyError::WrongAlgorithm => "wrong_algorithm",
            KeyError::BadSignature => "bad_signature",
            KeyError::Expired => "expired",
            KeyError::NotYetValid => "not_yet_valid",
            KeyError::Claims(_) => "claims",
            KeyError::NoActiveKey => "no_active_key",
            KeyError::KeyMaterial(_) => "key_material",
            KeyError::Storage(_) => "storage",
        }
    }
}

impl From<KeyError> for AppError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::NoActiveKey | KeyError::KeyMaterial(_) | KeyError::Storage(_) => {
                tracing::error!(error = %e, "signing keys");
                AppError::internal("signing keys unavailable")
            }
            other => AppError::new(ErrorCode::InvalidInput, format!("token rejected: {other}")),
        }
    }
}
