//! Fresh PostgreSQL databases for tests, each dropped when its test ends.
//!
//! Every database a test makes is owned by a [`DatabaseGuard`], whose `Drop` removes it — when
//! the test passes, fails or panics. What a killed or interrupted run leaves (no `Drop` runs on
//! SIGKILL or Ctrl-C) is swept by `scripts/test.sh` before and after each run, and by the first
//! [`fresh_database`] of every test process: a name says which process made it and in which run
//! (`skyfly_test_<unix time>_p<pid>_r<run>_<random>`), so databases of test processes that are
//! still running (another checkout's run on the same server) are never touched.

use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

/// The run a database belongs to: `SKYFLY_TEST_RUN` (set by `scripts/test.sh`), else `0`.
fn run_id() -> String {
    let run: String = std::env::var("SKYFLY_TEST_RUN")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(8)
        .collect();
    if run.is_empty() { "0".to_owned() } else { run }
}

/// A new test database's name: made now, by this process, in this run. At most 58 characters,
/// so that a `_suffix` of up to four still fits PostgreSQL's 63.
fn new_name() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "skyfly_test_{}_p{}_r{}_{}",
        chrono::Utc::now().timestamp(),
        std::process::id(),
        run_id(),
        &random[..16]
    )
}

/// What a test database's name says about where it came from.
#[derive(Debug)]
struct Origin {
    /// Unix time it was made at.
    born: i64,
    /// The test process that made it: `None` for a name of an older harness
    /// (`skyfly_test_<unix time>_<uuid>`).
    pid: Option<u32>,
}

fn origin(name: &str) -> Option<Origin> {
    let mut parts = name.strip_prefix("skyfly_test_")?.split('_');
    let born = parts.next()?.parse().ok()?;
    let pid = parts.next().and_then(|p| p.strip_prefix('p')?.parse().ok());
    Some(Origin { born, pid })
}

/// Whether a database is a leftover: its test process is gone, or (when that cannot be told: a
/// name of an older harness, a system without `/proc`) it is more than an hour old.
fn is_leftover(name: &str, now: i64) -> bool {
    let Some(origin) = origin(name) else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    match origin.pid {
        Some(pid) if proc.join("self").exists() => !proc.join(pid.to_string()).exists(),
        _ => now - origin.born > 3600,
    }
}

/// `DROP DATABASE … WITH (FORCE)` on a fresh connection, from a thread of its own with its own
/// runtime: callable from `Drop`, inside or outside a runtime, also while the test's own runtime
/// shuts down or unwinds from a panic. Never panics; retries a few times (the server may be short
/// of connections for a moment), then says what it could not drop.
fn drop_database(admin_url: &str, name: &str) {
    let (admin_url, owned_name) = (admin_url.to_owned(), name.to_owned());
    let dropping = std::thread::Builder::new()
        .name(format!("drop {name}"))
        .spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut last = String::new();
                for attempt in 0..10u32 {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    }
                    let dropped = async {
                        let mut admin = PgConnection::connect(&admin_url).await?;
                        sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{owned_name}\" WITH (FORCE)"
                        ))
                        .execute(&mut admin)
                        .await?;
                        admin.close().await
                    };
                    match dropped.await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(last)
            })
        });
    let outcome = match dropping {
        Ok(thread) => thread
            .join()
            .unwrap_or_else(|_| Err("the dropping thread panicked".to_owned())),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = outcome {
        eprintln!("warning: test database {name} was not dropped ({e}); scripts/test.sh sweeps it");
    }
}

/// A test database, dropped when this guard is: at the end of the test that holds it, whether
/// it passed, failed or panicked. Share it (`Arc`) to keep it for as long as any holder lives.
#[derive(Debug)]
pub struct DatabaseGuard {
    name: String,
    url: String,
    admin_url: String,
    armed: bool,
}

impl DatabaseGuard {
    /// A guard for a database of a new name on the test server, which something else will
    /// create (a scenario run, `skyfly migrate`): dropped with the guard, if it exists by then.
    pub fn unborn() -> Self {
        Self::named(new_name())
    }

    fn named(name: String) -> Self {
        let admin_url = server_url();
        Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
            armed: true,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A guard for `<this name>_<suffix>` (a suffix of at most four characters): a second
    /// database beside this one that the test has something else create.
    pub fn sibling(&self, suffix: &str) -> Self {
        assert!(
            suffix.len() <= 4,
            "a sibling's suffix has at most four characters"
        );
        Self::named(format!("{}_{suffix}", self.name))
    }
}

impl DatabaseGuard {
    /// Lets the database be: whatever made it has dropped it already.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if self.armed {
            drop_database(&self.admin_url, &self.name);
        }
    }
}

/// A new, migrated database of the test's own: its URL and a pool on it. Dropped when the last
/// of it (and of its [`TestDatabase::guard`]s) is.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub pool: PgPool,
    // Last: the pool goes before the database.
    guard: Arc<DatabaseGuard>,
}

impl TestDatabase {
    /// A handle that keeps the database for as long as it lives.
    pub fn guard(&self) -> Arc<DatabaseGuard> {
        Arc::clone(&self.guard)
    }

    /// See [`DatabaseGuard::sibling`].
    pub fn sibling(&self, suffix: &str) -> DatabaseGuard {
        self.guard.sibling(suffix)
    }
}

/// Drops the leftovers of earlier runs ([`is_leftover`]), once per test process.
async fn sweep_leftovers(admin: &mut PgConnection) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let now = chrono::Utc::now().timestamp();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'skyfly\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("list databases");
    for name in names.into_iter().filter(|n| is_leftover(n, now)) {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut *admin)
            .await;
    }
}

/// A new, migrated database, dropped when the returned [`TestDatabase`] (and every guard taken
/// from it) is. Leftovers of earlier runs are dropped on the way.
pub async fn fresh_database() -> TestDatabase {
    let admin_url = server_url();
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL must be reachable for tests");
    sweep_leftovers(&mut admin).await;
    let guard = Arc::new(DatabaseGuard::unborn());
    sqlx::query(&format!("CREATE DATABASE \"{}\"", guard.name()))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let pool = skyfly_infra::pg::connect_and_migrate(guard.url(), 8)
        .await
        .expect("migrate test database");
    TestDatabase {
        url: guard.url().to_owned(),
        pool,
        guard,
    }
}

/// [`fresh_database`] for a test without a runtime: the database's guard (its URL is
/// [`DatabaseGuard::url`]); the pool is closed before this returns.
pub fn fresh_database_blocking() -> Arc<DatabaseGuard> {
    crate::block_on(async {
        let db = fresh_database().await;
        db.pool.close().await;
        db.guard()
    })
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
