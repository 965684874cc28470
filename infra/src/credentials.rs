//! The credentials port's adapters: PostgreSQL (`credentials` and `refresh_tokens` tables) and
//! in memory (tests, scenarios).

use crate::pg::backend;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use skyfly_domain::identity::{
    CredentialStore, Credentials, NewRefreshToken, RefreshTokenRecord, Role,
};
use skyfly_domain::ids::UserId;
use skyfly_domain::store::StoreError;
use sqlx::{PgPool, Row};
use std::sync::Mutex;
use uuid::Uuid;

fn role_of(name: &str) -> Role {
    Role::parse(name).unwrap_or(Role::Customer)
}

/// Credentials in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgCredentialStore {
    pool: PgPool,
}

impl PgCredentialStore {
    /// The store on `pool` (migrated by `pg::connect_and_migrate`).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn credentials(r: &sqlx::postgres::PgRow) -> Result<Credentials, sqlx::Error> {
    Ok(Credentials {
        user_id: UserId(r.try_get("user_id")?),
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        role: role_of(&r.try_get::<String, _>("role")?),
    })
}

#[async_trait]
impl CredentialStore for PgCredentialStore {
    async fn insert(&self, c: &Credentials) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO credentials (user_id, email, password_hash, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(c.user_id.0)
        .bind(&c.email)
        .bind(&c.password_hash)
        .bind(c.role.as_str())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn by_email(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, email, password_hash, role FROM credentials WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(credentials).transpose().map_err(backend)
    }

    async fn by_user(&self, user: UserId) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, email, password_hash, role FROM credentials WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(credentials).transpose().map_err(backend)
    }

    async fn add_refresh_token(&self, t: &NewRefreshToken) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&t.digest)
            .bind(t.user_id.0)
            .bind(t.family_id)
            .bind(t.expires_at)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn refresh_token(&self, digest: &[u8]) -> Result<Option<RefreshTokenRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT t.user_id, t.family_id, t.expires_at, t.revoked_at, t.replaced_by IS NOT NULL AS replaced, c.role \
             FROM refresh_tokens t JOIN credentials c USING (user_id) WHERE t.token_hash = $1",
        )
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let record = (|| -> Result<RefreshTokenRecord, sqlx::Error> {
            Ok(RefreshTokenRecord {
                user_id: UserId(r.try_get("user_id")?),
                role: role_of(&r.try_get::<String, _>("role")?),
                family_id: r.try_get("family_id")?,
                expires_at: r.try_get("expires_at")?,
                revoked_at: r.try_get("revoked_at")?,
                replaced: r.try_get("replaced")?,
            })
        })()
        .map_err(backend)?;
        Ok(Some(record))
    }

    async fn rotate_refresh_token(
        &self,
        digest: &[u8],
        next: &NewRefreshToken,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let won = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2, replaced_by = $3 WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(digest)
        .bind(at)
        .bind(&next.digest)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if !won {
            return Ok(false);
        }
        sqlx::query("INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&next.digest)
            .bind(next.user_id.0)
            .bind(next.family_id)
            .bind(next.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn revoke_family(&self, family_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn revoke_session_of(&self, digest: &[u8], at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(digest)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct MemoryToken {
    digest: Vec<u8>,
    user_id: UserId,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    replaced: bool,
}

#[derive(Debug, Default)]
struct Memory {
    credentials: Vec<Credentials>,
    tokens: Vec<MemoryToken>,
}

/// Credentials in memory (tests and in-memory scenarios).
#[derive(Debug, Default)]
pub struct MemoryCredentialStore {
    inner: Mutex<Memory>,
}

impl MemoryCredentialStore {
    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> T {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut inner)
    }
}

#[async_trait]
impl CredentialStore for MemoryCredentialStore {
    async fn insert(&self, c: &Credentials) -> Result<bool, StoreError> {
        Ok(self.with(|m| {
            let taken = m
                .credentials
                .iter()
                .any(|k| k.user_id == c.user_id || k.email == c.email);
            if !taken {
                m.credentials.push(c.clone());
            }
            !taken
        }))
    }

    async fn by_email(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(self.with(|m| m.credentials.iter().find(|c| c.email == email).cloned()))
    }

    async fn by_user(&self, user: UserId) -> Result<Option<Credentials>, StoreError> {
        Ok(self.with(|m| m.credentials.iter().find(|c| c.user_id == user).cloned()))
    }

    async fn add_refresh_token(&self, t: &NewRefreshToken) -> Result<(), StoreError> {
        self.with(|m| {
            m.tokens.push(MemoryToken {
                digest: t.digest.clone(),
                user_id: t.user_id,
                family_id: t.family_id,
                expires_at: t.expires_at,
                revoked_at: None,
                replaced: false,
            })
        });
        Ok(())
    }

    async fn refresh_token(&self, digest: &[u8]) -> Result<Option<RefreshTokenRecord>, StoreError> {
        Ok(self.with(|m| {
            let t = m.tokens.iter().find(|t| t.digest == digest)?;
            let role = m.credentials.iter().find(|c| c.user_id == t.user_id)?.role;
            Some(RefreshTokenRecord {
                user_id: t.user_id,
                role,
                family_id: t.family_id,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
                replaced: t.replaced,
            })
        }))
    }

    async fn rotate_refresh_token(
        &self,
        digest: &[u8],
        next: &NewRefreshToken,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let won = self.with(|m| {
            match m
                .tokens
                .iter_mut()
                .find(|t| t.digest == digest && t.revoked_at.is_none())
            {
                Some(t) => {
                    t.revoked_at = Some(at);
                    t.replaced = true;
                    true
                }
                None => false,
            }
        });
        if won {
            self.add_refresh_token(next).await?;
        }
        Ok(won)
    }

    async fn revoke_family(&self, family_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|m| {
            for t in m
                .tokens
                .iter_mut()
                .filter(|t| t.family_id == family_id && t.revoked_at.is_none())
            {
                t.revoked_at = Some(at);
            }
        });
        Ok(())
    }

    async fn revoke_session_of(&self, digest: &[u8], at: DateTime<Utc>) -> Result<(), StoreError> {
        let family = self.with(|m| {
            m.tokens
                .iter()
                .find(|t| t.digest == digest)
                .map(|t| t.family_id)
        });
        match family {
            Some(f) => self.revoke_family(f, at).await,
            None => Ok(()),
        }
    }
}
