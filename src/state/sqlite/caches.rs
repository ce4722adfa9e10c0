//! Message summaries and template texts: write-once data kept by key.

use rusqlite::{Connection, OptionalExtension, params};

use crate::state::StateError;

/// How stale a summary's `last_used` may get before a read refreshes it (one hour): often
/// enough to find summaries nobody reads, rarely enough that reads stay reads.
pub(super) const LAST_USED_GRANULARITY_MS: i64 = 60 * 60 * 1000;

/// A stored summary; refreshes its `last_used` (outside any transaction) when that is older
/// than the granularity.
pub(super) fn summary(
    conn: &Connection,
    now_ms: i64,
    key: &str,
) -> Result<Option<Vec<u8>>, StateError> {
    let found: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT summary, last_used FROM summaries WHERE summary_key = ?1")?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((summary, last_used)) = found else {
        return Ok(None);
    };
    if now_ms.saturating_sub(last_used) >= LAST_USED_GRANULARITY_MS {
        // Only eviction depends on it: a read does not fail because the refresh did.
        let touched = conn
            .prepare_cached("UPDATE summaries SET last_used = ?2 WHERE summary_key = ?1")
            .and_then(|mut statement| statement.execute(params![key, now_ms]));
        if let Err(error) = touched {
            tracing::warn!(%error, "could not refresh a summary's last use");
        }
    }
    Ok(Some(summary))
}

/// Stores a summary (a key always describes the same bytes, so the last write wins).
pub(super) fn put_summary(
    conn: &Connection,
    now_ms: i64,
    key: &str,
    summary: &[u8],
) -> Result<(), StateError> {
    conn.prepare_cached(
        "INSERT INTO summaries (summary_key, summary, stored_at, last_used) \
         VALUES (?1, ?2, ?3, ?3) \
         ON CONFLICT (summary_key) DO UPDATE \
         SET summary = excluded.summary, last_used = excluded.last_used",
    )?
    .execute(params![key, summary, now_ms])?;
    Ok(())
}

/// A stored template text.
pub(super) fn template(conn: &Connection, hash: &str) -> Result<Option<String>, StateError> {
    Ok(conn
        .prepare_cached("SELECT body FROM templates WHERE hash = ?1")?
        .query_row([hash], |row| row.get(0))
        .optional()?)
}

/// Keeps a template text by its hash; a hash already stored keeps its text.
pub(super) fn put_template(
    conn: &Connection,
    now_ms: i64,
    hash: &str,
    text: &str,
) -> Result<(), StateError> {
    conn.prepare_cached(
        "INSERT INTO templates (hash, body, stored_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (hash) DO NOTHING",
    )?
    .execute(params![hash, text, now_ms])?;
    Ok(())
}
