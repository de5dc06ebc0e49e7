use drawbridge_broker::vault::VaultClient;
use serde_json::json;

use super::{Services, TestDatabase, block_on_cleanup, unique_suffix};

/// A Vault database-secrets mount of this test's own, connected to MariaDB,
/// with one role `reader` that may only SELECT in the test's database.
/// Dropping it revokes every lease (Vault drops the users) and the mount.
pub struct TestVault {
    pub mount: String,
    pub role: String,
    /// A root client, for test setup and inspection.
    pub root: VaultClient,
}

impl TestVault {
    pub async fn mount_for(services: &Services, db: &TestDatabase) -> Self {
        let root = VaultClient::new(&services.vault_addr, &services.vault_root_token)
            .expect("vault client");
        let mount = format!("dbt_{}", unique_suffix());
        let role = "reader".to_owned();
        root.write(&format!("sys/mounts/{mount}"), &json!({"type": "database"}))
            .await
            .expect("mount database secrets engine");
        let guard = Self { mount, role, root };
        let url = format!(
            "{{{{username}}}}:{{{{password}}}}@tcp({}:{})/",
            services.mysql_host, services.mysql_port
        );
        guard
            .root
            .write(
                &format!("{}/config/mariadb", guard.mount),
                &json!({
                    "plugin_name": "mysql-database-plugin",
                    "connection_url": url,
                    "username": "drawbridge_vault",
                    "password": services.mysql_vault_password,
                    "allowed_roles": guard.role,
                }),
            )
            .await
            .expect("configure the MariaDB connection");
        guard
            .root
            .write(
                &format!("{}/roles/{}", guard.mount, guard.role),
                &json!({
                    "db_name": "mariadb",
                    "creation_statements": [
                        "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
                        // `_` is a wildcard in GRANT's database names: escape it, or
                        // the grant would cover other databases too (and Vault's
                        // account, allowed only `dbt\_%`, may not give it).
                        format!(
                            "GRANT SELECT ON `{}`.* TO '{{{{name}}}}'@'%';",
                            db.name.replace('_', "\\_")
                        ),
                    ],
                    "revocation_statements": ["DROP USER IF EXISTS '{{name}}'@'%';"],
                    "default_ttl": 3600,
                    "max_ttl": 7200,
                }),
            )
            .await
            .expect("create the reader role");
        guard
    }
}

impl Drop for TestVault {
    fn drop(&mut self) {
        let (root, mount) = (self.root.clone(), self.mount.clone());
        block_on_cleanup(move || async move {
            let revoke = root
                .request(
                    reqwest::Method::PUT,
                    &format!("sys/leases/revoke-prefix/{mount}"),
                    None,
                )
                .await;
            if let Err(e) = revoke {
                eprintln!("cleanup: revoke leases under {mount}: {e}");
            }
            if let Err(e) = root.delete(&format!("sys/mounts/{mount}")).await {
                eprintln!("cleanup: unmount {mount}: {e}");
            }
        });
    }
}
