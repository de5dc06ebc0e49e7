//! Password hashing with argon2id (the argon2 crate's defaults: m=19 MiB, t=2, p=1).

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// A hash no password matches, verified in place of a missing user's so that
/// an unknown name costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash("drawbridge-dummy-password").expect("hashing a constant"));

/// Checks `password` against `stored`, or against a dummy hash when there is
/// no stored hash — always doing one full argon2 computation. CPU-heavy: call
/// from a blocking thread.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let (phc, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let ok = PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify(Some(&a), "correct horse"));
        assert!(!verify(Some(&a), "correct horse "));
        assert!(
            !verify(None, "drawbridge-dummy-password"),
            "the dummy never logs anyone in"
        );
        assert!(!verify(Some("not a phc string"), "x"));
    }
}
