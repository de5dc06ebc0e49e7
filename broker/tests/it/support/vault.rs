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
        Self::mount_with_ttl(services, db, 3600, 7200).await
    }

    /// A mount whose role's leases last `default_ttl` s and at most `max_ttl` s.
    pub async fn mount_with_ttl(
        services: &Services,
        db: &TestDatabase,
        default_ttl: u64,
        max_ttl: u64,
    ) -> Self {
        let root = VaultClient::new(&services.vault_addr, &services.vault_root_token)
            .expect("vault client");
        let mount = format!("dbt_{}", unique_suffix());
        // Vault names users v-<token name>-<role, 8 chars>-…: a unique role
        // name lets a test count its own users among everyone's.
        let role = format!("r{}", &unique_suffix()[..7]);
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
                    "default_ttl": default_ttl,
                    "max_ttl": max_ttl,
                }),
            )
            .await
            .expect("create the reader role");
        guard
    }

    /// The prefix of the MariaDB users this mount's role creates.
    pub fn user_prefix(&self) -> String {
        format!("v-token-{}-", self.role)
    }

    /// A `[[databases]]` entry for the broker's config, served by this mount.
    pub fn database_entry(
        &self,
        services: &Services,
        name: &str,
        db: &TestDatabase,
        approval: &str,
        approvers: &str,
        max: u64,
    ) -> String {
        format!(
            r#"
[[databases]]
name = "{name}"
description = "test database {db}"
host = "{host}"
port = {port}
schema = "{db}"
vault_mount = "{mount}"
vault_role = "{role}"
approval = "{approval}"
approver_roles = [{approvers}]
default_duration_seconds = {default}
max_duration_seconds = {max}
"#,
            db = db.name,
            host = services.mysql_host,
            port = services.mysql_port,
            mount = self.mount,
            role = self.role,
            default = max.min(600),
        )
    }
}

impl Drop for TestVault {
    fn drop(&mut self) {
        let (services, mount) = (Services::from_state(), self.mount.clone());
        block_on_cleanup(move || async move {
            // A client of this runtime: the test's pooled connections died with it.
            let root = VaultClient::new(&services.vault_addr, &services.vault_root_token)
                .expect("vault client");
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
