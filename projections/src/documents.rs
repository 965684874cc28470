//! Document read models: an aggregate's state folded from its stream by the domain's own `evolve`
//! and kept as a `jsonb` document, with the columns its queries filter and sort on (what Marten
//! calls a self-aggregating projection). Used where the view is the whole state, not a few
//! columns: a saga's steps and timeline, a loyalty account's lots.
//!
//! A batch is applied per stream: the documents it touches are read in one query, folded in
//! memory, and written back in one statement, so a busy saga costs two round trips per batch,
//! not two per event.

use crate::Page;
use crate::runtime::Projection;
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use skyfly_domain::Aggregate;
use skyfly_domain::event::RecordedEvent;
use sqlx::{PgConnection, Row};
use std::collections::HashMap;
use std::marker::PhantomData;
use uuid::Uuid;

/// An aggregate kept as a document read model.
pub trait DocumentModel: Aggregate + Serialize + DeserializeOwned {
    /// The table, also the projection's name, e.g. `"saga_view"`.
    const TABLE: &'static str;
    /// The `status` column (filtered on), if the model has one.
    fn status(&self) -> Option<String>;
    /// The `owner` column: the customer the document belongs to.
    fn owner(&self) -> Option<Uuid>;
}

/// The projection that keeps `D` documents up to date.
pub struct DocumentProjection<D>(PhantomData<fn() -> D>);

impl<D> Default for DocumentProjection<D> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<D> std::fmt::Debug for DocumentProjection<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentProjection")
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// One row of a document table: the document and what its queries use.
#[derive(Debug, Clone)]
pub struct DocumentRow<D> {
    /// The aggregate's id (its stream is `<category>-<id>`).
    pub id: String,
    /// The aggregate's state as of `version`.
    pub state: D,
    /// The stream version the document reflects (the `ETag` of the aggregate).
    pub version: u64,
    /// Global position of the stream's first event (the list order).
    pub first_position: u64,
}

/// Reads one document from the live table.
pub async fn load<D: DocumentModel>(
    executor: impl sqlx::PgExecutor<'_>,
    id: &str,
) -> Result<Option<DocumentRow<D>>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT id, version, first_position, doc FROM {} WHERE id = $1",
        D::TABLE
    ))
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.map(|r| document_row(&r)).transpose()
}

/// What [`list`] selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only documents with this `status` column.
    pub status: Option<String>,
    /// Only documents whose stream began before this position: the `next_cursor` of the previous
    /// page.
    pub before: Option<u64>,
    /// The page size (the caller bounds it).
    pub limit: u32,
}

/// `D` documents that pass `filter`, newest stream first; a page with more after it continues at
/// its last row's `first_position`.
pub async fn list<D: DocumentModel>(
    pool: &sqlx::PgPool,
    filter: &DocumentFilter,
) -> Result<Page<DocumentRow<D>>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT id, version, first_position, doc FROM {} \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR first_position < $2) \
         ORDER BY first_position DESC LIMIT $3",
        D::TABLE
    ))
    .bind(&filter.status)
    .bind(filter.before.map(crate::to_i64))
    .bind(crate::fetch_limit(filter.limit))
    .fetch_all(pool)
    .await?;
    let rows = rows
        .iter()
        .map(document_row)
        .collect::<Result<Vec<DocumentRow<D>>, _>>()?;
    Ok(Page::of(rows, filter.limit, |r| {
        crate::to_i64(r.first_position)
    }))
}

/// Decodes a row selected as `id, version, first_position, doc`.
fn document_row<D: DocumentModel>(
    row: &sqlx::postgres::PgRow,
) -> Result<DocumentRow<D>, sqlx::Error> {
    let doc: serde_json::Value = row.try_get("doc")?;
    let state = serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(DocumentRow {
        id: row.try_get("id")?,
        state,
        version: u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or(0),
        first_position: u64::try_from(row.try_get::<i64, _>("first_position")?).unwrap_or(0),
    })
}

struct Pending<D> {
    state: D,
    version: i64,
    first_position: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[async_trait]
impl<D: DocumentModel> Projection for DocumentProjection<D> {
    fn name(&self) -> &'static str {
        D::TABLE
    }

    fn create(&self, schema: &str) -> Vec<String> {
        let table = D::TABLE;
        vec![
            format!(
                "CREATE TABLE {schema}.{table} (
                    id             text        PRIMARY KEY,
                    version        bigint      NOT NULL,
                    status         text,
                    owner          uuid,
                    first_position bigint      NOT NULL,
                    created_at     timestamptz NOT NULL,
                    updated_at     timestamptz NOT NULL,
                    doc            jsonb       NOT NULL
                )"
            ),
            format!("CREATE INDEX ON {schema}.{table} (status, first_position DESC)"),
            format!("CREATE INDEX ON {schema}.{table} (first_position DESC)"),
            format!("CREATE INDEX ON {schema}.{table} (owner)"),
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        std::slice::from_ref(&D::TABLE)
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        self.apply_all(tx, schema, std::slice::from_ref(event))
            .await
    }

    async fn apply_all(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        events: &[RecordedEvent],
    ) -> Result<(), sqlx::Error> {
        // The batch's events per document, in log order.
        let mut order: Vec<String> = Vec::new();
        let mut per_doc: HashMap<String, Vec<(D::Event, &RecordedEvent)>> = HashMap::new();
        for recorded in events {
            let Some((id, event)) = crate::runtime::decode_in::<D::Event>(recorded, D::CATEGORY)
            else {
                continue;
            };
            per_doc
                .entry(id.to_owned())
                .or_insert_with(|| {
                    order.push(id.to_owned());
                    Vec::new()
                })
                .push((event, recorded));
        }
        if order.is_empty() {
            return Ok(());
        }
        let table = format!("{schema}.{}", D::TABLE);
        let rows = sqlx::query(&format!(
            "SELECT id, version, first_position, created_at, doc FROM {table} WHERE id = ANY($1)"
        ))
        .bind(&order)
        .fetch_all(&mut *tx)
        .await?;
        let mut docs: HashMap<String, Pending<D>> = HashMap::with_capacity(order.len());
        for row in &rows {
            let doc: serde_json::Value = row.try_get("doc")?;
            let id: String = row.try_get("id")?;
            let state =
                serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let created_at = row.try_get("created_at")?;
            docs.insert(
                id,
                Pending {
                    state,
                    version: row.try_get("version")?,
                    first_position: row.try_get("first_position")?,
                    created_at,
                    updated_at: created_at,
                },
            );
        }
        let n = order.len();
        let (mut ids, mut versions, mut statuses, mut owners) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut firsts, mut created, mut updated, mut bodies) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for id in order {
            let Some(changes) = per_doc.remove(&id) else {
                continue;
            };
            let Some((_, first)) = changes.first() else {
                continue;
            };
            let mut doc = docs.remove(&id).unwrap_or_else(|| Pending {
                state: D::default(),
                version: 0,
                first_position: to_i64(first.global_position),
                created_at: first.recorded_at,
                updated_at: first.recorded_at,
            });
            for (event, recorded) in &changes {
                // A redelivered event (the document is already past it) changes nothing.
                if to_i64(recorded.stream_version) <= doc.version {
                    continue;
                }
                doc.state.evolve(event);
                doc.version = to_i64(recorded.stream_version);
                doc.updated_at = recorded.recorded_at;
            }
            let body =
                serde_json::to_value(&doc.state).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            ids.push(id);
            versions.push(doc.version);
            statuses.push(doc.state.status());
            owners.push(doc.state.owner());
            firsts.push(doc.first_position);
            created.push(doc.created_at);
            updated.push(doc.updated_at);
            bodies.push(body);
        }
        sqlx::query(&format!(
            "INSERT INTO {table} (id, version, status, owner, first_position, created_at, updated_at, doc) \
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::uuid[], $5::bigint[], \
                                  $6::timestamptz[], $7::timestamptz[], $8::jsonb[]) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status, \
                owner = excluded.owner, updated_at = excluded.updated_at, doc = excluded.doc"
        ))
        .bind(ids)
        .bind(versions)
        .bind(statuses)
        .bind(owners)
        .bind(firsts)
        .bind(created)
        .bind(updated)
        .bind(bodies)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl DocumentModel for skyfly_domain::saga::BookingSaga {
    const TABLE: &'static str = "saga_view";

    fn status(&self) -> Option<String> {
        self.status().map(|s| s.as_str().to_owned())
    }

    fn owner(&self) -> Option<Uuid> {
        self.state().map(|s| s.customer.0)
    }
}

impl DocumentModel for skyfly_domain::loyalty::LoyaltyAccount {
    const TABLE: &'static str = "loyalty_account";

    fn status(&self) -> Option<String> {
        None
    }

    fn owner(&self) -> Option<Uuid> {
        self.account().map(|a| a.owner.0)
    }
}

/// The projection that keeps the sagas read model (`saga_view`).
pub type SagaProjection = DocumentProjection<skyfly_domain::saga::BookingSaga>;
/// The projection that keeps the loyalty accounts read model (`loyalty_account`).
pub type LoyaltyAccountProjection = DocumentProjection<skyfly_domain::loyalty::LoyaltyAccount>;
