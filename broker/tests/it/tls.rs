//! HTTPS with rustls, and mTLS refusing clients without a certificate.

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use reqwest::StatusCode;

use crate::support::{Services, TestBroker};

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_identity: String,
}

fn make_pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["drawbridge-tui".into()])
        .unwrap()
        .signed_by(&client_key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client_identity: format!("{}{}", client.pem(), client_key.serialize_pem()),
    }
}

#[tokio::test]
async fn mtls_refuses_a_client_without_a_certificate() {
    let pki = make_pki();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (cert, key, ca) = (
        write("server.pem", &pki.server_cert),
        write("server.key", &pki.server_key),
        write("ca.pem", &pki.ca_pem),
    );
    let b = TestBroker::start_with(
        &Services::from_state(),
        &[
            ("DRAWBRIDGE_TLS_CERT", &cert),
            ("DRAWBRIDGE_TLS_KEY", &key),
            ("DRAWBRIDGE_TLS_CLIENT_CA", &ca),
            ("DRAWBRIDGE_TLS_ALLOW_PLAINTEXT", "false"),
        ],
    )
    .await;
    assert!(b.url.starts_with("https://"));
    let ca_cert = reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap();

    let anonymous = reqwest::Client::builder()
        .add_root_certificate(ca_cert.clone())
        .build()
        .unwrap();
    let refused = anonymous.get(format!("{}/health", b.url)).send().await;
    assert!(
        refused.is_err(),
        "a client without a certificate must be refused: {refused:?}"
    );

    let with_cert = reqwest::Client::builder()
        .add_root_certificate(ca_cert)
        .identity(reqwest::Identity::from_pem(pki.client_identity.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = with_cert
        .get(format!("{}/health", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let plain = reqwest::get(format!("{}/health", b.url.replace("https://", "http://"))).await;
    assert!(
        plain.map(|r| r.status() != StatusCode::OK).unwrap_or(true),
        "no plain HTTP on a TLS listener"
    );
}
