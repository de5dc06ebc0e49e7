//! External secrets (Fernet-encrypted under the master keyring, versioned,
//! with an access trail) and live settings.

pub mod keyring;
pub mod settings;
pub mod store;
mod tester;

pub use keyring::Keyring;
pub use settings::Settings;

use crate::audit::AuditError;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("a secret named {0:?} exists already")]
    Exists(String),
    #[error("no secret named {0:?}")]
    NotFound(String),
    #[error("the secret {0:?} is {1} and is not served")]
    Unavailable(String, &'static str),
    #[error("your roles do not allow this")]
    Forbidden,
    #[error("the secret cannot be decrypted with the configured master keys")]
    Undecryptable,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Audit(#[from] AuditError),
}
