//! The chain the product rests on: Vault issues a MariaDB user that can SELECT
//! in its own database and nothing else, and revoking the lease removes it.

use sqlx::Connection;
use sqlx::mysql::MySqlConnection;

use crate::support::{Services, TestDatabase, TestVault, mariadb::connect_options};

/// MariaDB's "command denied" errors: ER_TABLEACCESS_DENIED_ERROR (1142),
/// ER_DBACCESS_DENIED_ERROR (1044).
fn is_access_denied(err: &sqlx::Error) -> bool {
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    matches!(code.as_deref(), Some("42000"))
        && err
            .as_database_error()
            .map(|e| e.message().contains("denied"))
            .unwrap_or(false)
}

#[tokio::test]
async fn vault_user_selects_only_its_database_and_dies_with_its_lease() {
    let services = Services::from_state();
    let db = TestDatabase::create(&services).await;
    let other = TestDatabase::create(&services).await;
    let vault = TestVault::mount_for(&services, &db).await;

    let creds = vault
        .root
        .database_credentials(&vault.mount, &vault.role)
        .await
        .expect("issue credentials");
    assert!(
        creds
            .lease
            .id
            .starts_with(&format!("{}/creds/{}/", vault.mount, vault.role))
    );
    assert_eq!(creds.lease.duration.as_secs(), 3600);
    assert!(
        !format!("{creds:?}").contains(&creds.password),
        "Debug must redact"
    );
    assert!(db.user_exists(&creds.username).await);

    let mut conn = MySqlConnection::connect_with(
        &connect_options(&services, &creds.username, &creds.password).database(&db.name),
    )
    .await
    .expect("the issued user can log in");

    let labels: Vec<String> = sqlx::query_scalar("SELECT label FROM items ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("SELECT is allowed");
    assert_eq!(labels, ["kettle", "mug", "café crème"]);

    for write in [
        "INSERT INTO items VALUES (9, 'x', 1)",
        "UPDATE items SET label = 'y'",
        "DELETE FROM items",
        "DROP TABLE items",
        "CREATE TABLE t (id INT)",
    ] {
        let err = sqlx::query(write)
            .execute(&mut conn)
            .await
            .expect_err(write);
        assert!(is_access_denied(&err), "{write}: {err}");
    }
    let other_read = format!("SELECT COUNT(*) FROM `{}`.items", other.name);
    let err = sqlx::query(&other_read)
        .fetch_one(&mut conn)
        .await
        .expect_err("other database");
    assert!(is_access_denied(&err), "{err}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 3, "nothing was written");
    conn.close().await.ok();

    vault
        .root
        .revoke_lease(&creds.lease.id)
        .await
        .expect("revoke");
    assert!(
        !db.user_exists(&creds.username).await,
        "the MariaDB user must be gone once its lease is revoked"
    );
    let login = MySqlConnection::connect_with(
        &connect_options(&services, &creds.username, &creds.password).database(&db.name),
    )
    .await;
    assert!(login.is_err(), "revoked credentials must not log in");
}
