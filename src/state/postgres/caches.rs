//! Message summaries and template texts: write-once data kept by key.
//!
//! Each function is one statement, so it runs on a pooled connection without a transaction of
//! its own (PostgreSQL's upserts are atomic).

use deadpool_postgres::GenericClient;

use super::rows::column;
use crate::state::StateError;

/// How stale a summary's `last_used` may get before a read refreshes it (one hour): often
/// enough to find summaries nobody reads, rarely enough that reads stay reads.
pub(super) const LAST_USED_GRANULARITY_MS: i64 = 60 * 60 * 1000;

/// A stored summary; refreshes its `last_used` when that is older than the granularity.
pub(super) async fn summary(
    db: &impl GenericClient,
    now_ms: i64,
    key: &str,
) -> Result<Option<Vec<u8>>, StateError> {
    let statement = db
        .prepare_cached("SELECT summary, last_used FROM summaries WHERE summary_key = $1")
        .await?;
    let Some(row) = db.query_opt(&statement, &[&key]).await? else {
        return Ok(None);
    };
    let summary: Vec<u8> = column(&row, 0)?;
    let last_used: i64 = column(&row, 1)?;
    if now_ms.saturating_sub(last_used) >= LAST_USED_GRANULARITY_MS {
        // Only eviction depends on it: a read does not fail because the refresh did.
        if let Err(error) = touch_summary(db, now_ms, key).await {
            tracing::warn!(%error, "could not refresh a summary's last use");
        }
    }
    Ok(Some(summary))
}

async fn touch_summary(db: &impl GenericClient, now_ms: i64, key: &str) -> Result<(), StateError> {
    let statement = db
        .prepare_cached("UPDATE summaries SET last_used = $2 WHERE summary_key = $1")
        .await?;
    db.execute(&statement, &[&key, &now_ms]).await?;
    Ok(())
}

/// Stores a summary (a key always describes the same bytes, so the last write wins).
pub(super) async fn put_summary(
    db: &impl GenericClient,
    now_ms: i64,
    key: &str,
    summary: &[u8],
) -> Result<(), StateError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO summaries (summary_key, summary, stored_at, last_used) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (summary_key) DO UPDATE \
             SET summary = excluded.summary, last_used = excluded.last_used",
        )
        .await?;
    db.execute(&statement, &[&key, &summary, &now_ms]).await?;
    Ok(())
}

/// A stored template text.
pub(super) async fn template(
    db: &impl GenericClient,
    hash: &str,
) -> Result<Option<String>, StateError> {
    let statement = db
        .prepare_cached("SELECT body FROM templates WHERE hash = $1")
        .await?;
    db.query_opt(&statement, &[&hash])
        .await?
        .as_ref()
        .map(|row| column(row, 0))
        .transpose()
}

/// Keeps a template text by its hash; a hash already stored keeps its text.
pub(super) async fn put_template(
    db: &impl GenericClient,
    now_ms: i64,
    hash: &str,
    text: &str,
) -> Result<(), StateError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO templates (hash, body, stored_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .await?;
    db.execute(&statement, &[&hash, &text, &now_ms]).await?;
    Ok(())
}
