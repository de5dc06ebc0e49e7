//! The master keyring: Fernet keys from the environment only (never the store
//! or the config file). The first key encrypts; all of them decrypt, so keys
//! can be rotated (`drawbridge-broker secrets rotate-key`).

use std::collections::HashMap;

use fernet::{Fernet, MultiFernet};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::secret_from_env;
use crate::store::Pool;

pub const MASTER_KEYS_VAR: &str = "DRAWBRIDGE_MASTER_KEYS";

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "no master key: set {MASTER_KEYS_VAR} (or {MASTER_KEYS_VAR}_FILE) to one or more Fernet keys, newest first \
         (make one with `drawbridge-broker secrets generate-key`)"
    )]
    Missing,
    #[error("master key #{0} in {MASTER_KEYS_VAR} is not a Fernet key (32 bytes, url-safe base64)")]
    Malformed(usize),
    #[error(
        "the stored key material does not decrypt with any configured master key: wrong {MASTER_KEYS_VAR}?"
    )]
    WrongKey,
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

pub struct Keyring {
    all: MultiFernet,
    newest: Fernet,
    digest_key: Vec<u8>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(<redacted>)")
    }
}

/// Parses keys separated by commas or newlines, newest first.
pub fn parse_keys(text: &str) -> Result<Vec<Fernet>, KeyringError> {
    let keys: Vec<&str> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return Err(KeyringError::Missing);
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| Fernet::new(k).ok_or(KeyringError::Malformed(i + 1)))
        .collect()
}

pub fn generate_key() -> String {
    Fernet::generate_key()
}

const DIGEST_KEY: &str = "digest_key";

impl Keyring {
    /// Loads the keys from the environment and the digest key from the store
    /// (creating it on first use). Fails when the keys do not open the store.
    pub async fn open(env: &HashMap<String, String>, pool: &Pool) -> Result<Self, KeyringError> {
        let text = secret_from_env(env, MASTER_KEYS_VAR)?.ok_or(KeyringError::Missing)?;
        let keys = parse_keys(&text)?;
        let newest = keys[0].clone();
        let all = MultiFernet::new(keys);
        let stored: Option<String> =
            sqlx::query_scalar("SELECT ciphertext FROM key_material WHERE name = ?")
                .bind(DIGEST_KEY)
                .fetch_optional(pool)
                .await?;
        let digest_key = match stored {
            Some(c) => all.decrypt(&c).map_err(|_| KeyringError::WrongKey)?,
            None => {
                let mut key = vec![0_u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
                sqlx::query("INSERT INTO key_material (name, ciphertext) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
                    .bind(DIGEST_KEY)
                    .bind(newest.encrypt(&key))
                    .execute(pool)
                    .await?;
                // Another process may have won the race: use what is stored.
                let c: String =
                    sqlx::query_scalar("SELECT ciphertext FROM key_material WHERE name = ?")
                        .bind(DIGEST_KEY)
                        .fetch_one(pool)
                        .await?;
                all.decrypt(&c).map_err(|_| KeyringError::WrongKey)?
            }
        };
        Ok(Self {
            all,
            newest,
            digest_key,
        })
    }

    pub fn encrypt(&self, value: &str) -> String {
        self.newest.encrypt(value.as_bytes())
    }

    pub fn decrypt(&self, token: &str) -> Result<String, KeyringError> {
        let bytes = self
            .all
            .decrypt(token)
            .map_err(|_| KeyringError::WrongKey)?;
        String::from_utf8(bytes).map_err(|_| KeyringError::WrongKey)
    }

    /// Re-encrypts a token under the newest key.
    pub fn reencrypt(&self, token: &str) -> Result<String, KeyringError> {
        let bytes = self
            .all
            .decrypt(token)
            .map_err(|_| KeyringError::WrongKey)?;
        Ok(self.newest.encrypt(&bytes))
    }

    /// HMAC-SHA256 of a value, hex: lets history show that a value changed
    /// (or came back) without keeping it.
    pub fn digest(&self, value: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.digest_key).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Re-encrypts every value and the key material under the newest key, in one
/// transaction: a crash midway leaves everything as it was.
pub async fn rotate(keyring: &Keyring, pool: &Pool) -> Result<usize, KeyringError> {
    let mut tx = crate::store::write_tx(pool).await?;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, ciphertext FROM secrets")
        .fetch_all(&mut *tx)
        .await?;
    for (id, c) in &rows {
        sqlx::query("UPDATE secrets SET ciphertext = ? WHERE id = ?")
            .bind(keyring.reencrypt(c)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let material: Vec<(String, String)> =
        sqlx::query_as("SELECT name, ciphertext FROM key_material")
            .fetch_all(&mut *tx)
            .await?;
    for (name, c) in material {
        sqlx::query("UPDATE key_material SET ciphertext = ? WHERE name = ?")
            .bind(keyring.reencrypt(&c)?)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_newest_first_and_reject_garbage() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(parse_keys(&format!("{a}, {b}\n")).unwrap().len(), 2);
        assert!(matches!(parse_keys(" , "), Err(KeyringError::Missing)));
        assert!(matches!(
            parse_keys(&format!("{a},not-a-key")),
            Err(KeyringError::Malformed(2))
        ));
    }
}
