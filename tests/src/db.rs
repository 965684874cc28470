//! Fresh PostgreSQL databases for tests.

use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool};

/// The server tests use: `SKYFLY_TEST_DATABASE_URL`, else `DATABASE_URL`, else the local default.
/// It names a maintenance database; each test creates its own database beside it.
pub fn server_url() -> String {
    std::env::var("SKYFLY_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let root = match base.rfind('/') {
        Some(i) if base[..i].contains("//") && i > base.find("//").map_or(0, |j| j + 1) => {
            &base[..i]
        }
        _ => base,
    };
    format!("{root}/{db}{query}")
}

/// A new, migrated database; its URL and a pool on it. Databases of earlier runs (older than an
/// hour) are dropped on the way.
pub async fn fresh_database() -> (String, PgPool) {
    let admin_url = server_url();
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL must be reachable for tests");
    let now = chrono::Utc::now().timestamp();
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'skyfly_test_%'")
            .fetch_all(&mut admin)
            .await
            .expect("list databases");
    for name in stale {
        let born = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(now);
        if now - born > 3600 {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
    let name = format!("skyfly_test_{now}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let url = with_database(&admin_url, &name);
    let pool = skyfly_infra::pg::connect_and_migrate(&url, 8)
        .await
        .expect("migrate test database");
    (url, pool)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_keeping_options() {
        assert_eq!(
            with_database("postgres://127.0.0.1:5432/postgres", "x"),
            "postgres://127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://127.0.0.1:5432", "x"),
            "postgres://127.0.0.1:5432/x"
        );
    }
}
