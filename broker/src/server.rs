//! Starting the broker: store, audit writer, Vault client, HTTP(S) listener.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

use crate::audit::AuditLog;
use crate::config::{Config, TlsConfig, secret_from_env};
use crate::state::AppState;
use crate::vault::VaultClient;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("Vault: {0}")]
    Vault(#[from] crate::vault::VaultError),
    #[error("master key: {0}")]
    Keyring(#[from] crate::secrets::keyring::KeyringError),
    #[error("cannot reconcile grants left by the previous run: {0}")]
    Reconcile(crate::access::AccessError),
}

/// A broker serving in the background of this process.
pub struct RunningBroker {
    pub addr: SocketAddr,
    pub state: AppState,
    handle: Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    lease_manager: tokio::task::JoinHandle<()>,
}

impl RunningBroker {
    /// Stops accepting, lets requests in flight finish (up to 10 s), returns.
    /// Then revokes every live credential: none outlives the process.
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(10)));
        let _ = self.task.await;
        self.lease_manager.abort();
        crate::vault::leases::drop_all_live(&self.state).await;
    }

    /// Stops serving at once, like a killed process: nothing is revoked.
    pub fn crash(self) {
        self.handle.shutdown();
        self.task.abort();
        self.lease_manager.abort();
    }
}

/// Builds the application state from config and environment.
pub async fn build_state(
    config: Config,
    env: &HashMap<String, String>,
) -> Result<AppState, StartError> {
    let pool = crate::store::open(&config.store.path).await?;
    let vault = match config.vault.addr.as_str() {
        "" => None,
        addr => {
            let token = secret_from_env(env, "VAULT_TOKEN")?.unwrap_or_default();
            Some(VaultClient::new(addr, &token)?)
        }
    };
    let approle = match (
        secret_from_env(env, "VAULT_ROLE_ID")?,
        secret_from_env(env, "VAULT_SECRET_ID")?,
    ) {
        (Some(role), Some(secret)) => Some((role, secret)),
        (None, None) => None,
        _ => {
            return Err(StartError::Config(crate::config::ConfigError::Invalid(
                "AppRole needs both VAULT_ROLE_ID and VAULT_SECRET_ID (or their _FILE forms)"
                    .into(),
            )));
        }
    };
    if let (Some(vault), Some((role, secret))) = (&vault, &approle) {
        vault.login_approle(role, secret).await?;
    }
    // Refuse to start without a working master key: clear message, no half start.
    let keyring = crate::secrets::Keyring::open(env, &pool).await?;
    let settings = crate::secrets::Settings::load(&config, &pool)
        .await
        .map_err(crate::store::StoreError::from)?;
    Ok(AppState {
        keyring: Arc::new(keyring),
        settings,
        config: Arc::new(config),
        audit: AuditLog::start(pool.clone()),
        pool,
        vault,
        approle,
        live: Default::default(),
        reissue_lock: Default::default(),
        queries: Default::default(),
    })
}

/// Binds the configured address and serves until shut down.
pub async fn start(
    config: Config,
    env: &HashMap<String, String>,
) -> Result<RunningBroker, StartError> {
    let tls = match (config.tls.cert(), config.tls.key()) {
        (Some(_), Some(_)) => Some(rustls_config(&config.tls)?),
        _ => None,
    };
    let listen = config.listen.clone();
    let listener = TcpListener::bind(&listen).map_err(|source| StartError::Bind {
        addr: listen.clone(),
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartError::Bind {
            addr: listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: listen,
        source,
    })?;
    let state = build_state(config, env).await?;
    crate::vault::leases::reconcile(&state)
        .await
        .map_err(StartError::Reconcile)?;
    let lease_manager = crate::vault::leases::spawn(state.clone());
    let app =
        crate::http::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let handle = Handle::new();
    let task = match tls {
        Some(tls) => {
            let server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
        None => {
            let server = axum_server::from_tcp(listener).handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
    };
    tracing::info!(%addr, tls = state.config.tls.cert().is_some(), "broker listening");
    Ok(RunningBroker {
        addr,
        state,
        handle,
        task,
        lease_manager,
    })
}

fn rustls_config(tls: &TlsConfig) -> Result<RustlsConfig, StartError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let err = |m: String| StartError::Tls(m);
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))
    };
    let cert_path = tls.cert().expect("checked by the caller");
    let key_path = tls.key().expect("checked by the caller");
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut read(cert_path)?.as_slice())
            .collect::<Result<_, _>>()
            .map_err(|e| err(format!("{}: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(err(format!("{} holds no certificate", cert_path.display())));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut read(key_path)?.as_slice())
        .map_err(|e| err(format!("{}: {e}", key_path.display())))?
        .ok_or_else(|| err(format!("{} holds no private key", key_path.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?;
    let builder = match tls.client_ca() {
        None => builder.with_no_client_auth(),
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_pemfile::certs(&mut read(ca_path)?.as_slice()) {
                let cert = cert.map_err(|e| err(format!("{}: {e}", ca_path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| err(format!("{}: {e}", ca_path.display())))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| err(format!("client CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut server = builder
        .with_single_cert(certs, key)
        .map_err(|e| err(format!("certificate and key do not match: {e}")))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(server)))
}
