use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};

use super::{Services, block_on_cleanup, unique_suffix};

/// Connection options for a MariaDB account on the test services.
pub fn connect_options(services: &Services, user: &str, password: &str) -> MySqlConnectOptions {
    MySqlConnectOptions::new()
        .host(&services.mysql_host)
        .port(services.mysql_port)
        .username(user)
        .password(password)
}

/// A MariaDB database of this test's own (`dbt_<suffix>`) with a little data,
/// dropped when the guard drops.
pub struct TestDatabase {
    pub name: String,
    /// The ops account: may create and drop `dbt_*` databases and read mysql.user.
    pub ops: MySqlPool,
    services: Services,
}

impl TestDatabase {
    pub async fn create(services: &Services) -> Self {
        let name = format!("dbt_{}", unique_suffix());
        let ops = MySqlPoolOptions::new()
            .max_connections(2)
            .connect_with(connect_options(
                services,
                "drawbridge_ops",
                &services.mysql_ops_password,
            ))
            .await
            .expect("connect as drawbridge_ops (run scripts/services.sh)");
        for sql in [
            format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
            format!(
                "CREATE TABLE `{name}`.items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, \
                 price DECIMAL(10,2) NULL)"
            ),
            format!(
                "INSERT INTO `{name}`.items VALUES (1, 'kettle', 19.99), (2, 'mug', 4.50), \
                 (3, 'café crème', NULL)"
            ),
        ] {
            sqlx::query(&sql)
                .execute(&ops)
                .await
                .expect("create test database");
        }
        Self {
            name,
            ops,
            services: services.clone(),
        }
    }

    /// Whether a MariaDB account with this user name exists.
    pub async fn user_exists(&self, user: &str) -> bool {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mysql.user WHERE user = ?")
            .bind(user)
            .fetch_one(&self.ops)
            .await
            .expect("query mysql.user");
        n > 0
    }
}

impl TestDatabase {
    /// Runs setup SQL in this database as the ops account.
    pub async fn exec(&self, sql: &str) {
        let sql = sql.replace("{db}", &self.name);
        sqlx::raw_sql(&sql)
            .execute(&self.ops)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of a query's rows, as text (`{db}` is this database).
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        sqlx::query_scalar(&sql.replace("{db}", &self.name))
            .fetch_all(&self.ops)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// How many connections are open for users whose names start with `prefix`.
    pub async fn connections_like(&self, prefix: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER LIKE CONCAT(?, '%')",
        )
        .bind(prefix)
        .fetch_one(&self.ops)
        .await
        .expect("query the processlist")
    }

    /// How many MariaDB users exist whose names start with `prefix`.
    pub async fn users_like(&self, prefix: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM mysql.user WHERE user LIKE CONCAT(?, '%')")
            .bind(prefix)
            .fetch_one(&self.ops)
            .await
            .expect("query mysql.user")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (services, name) = (self.services.clone(), self.name.clone());
        block_on_cleanup(move || async move {
            // A fresh connection: the guard's pool belongs to the test's runtime.
            let opts = connect_options(&services, "drawbridge_ops", &services.mysql_ops_password);
            match sqlx::ConnectOptions::connect(&opts).await {
                Ok(mut conn) => {
                    let sql = format!("DROP DATABASE IF EXISTS `{name}`");
                    if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                        eprintln!("cleanup: {sql}: {e}");
                    }
                }
                Err(e) => eprintln!("cleanup: cannot connect to drop {name}: {e}"),
            }
        });
    }
}
