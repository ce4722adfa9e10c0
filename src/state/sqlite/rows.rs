//! Conversions between the store's types and SQLite columns.

use std::collections::BTreeSet;

use rusqlite::Row;
use rusqlite::types::Type;

use crate::state::{Flags, ModSeq, StateError};

/// A MODSEQ as an SQL INTEGER (signed 64-bit; RFC 7162 MODSEQs fit in 63 bits).
pub(super) fn modseq_sql(modseq: ModSeq) -> Result<i64, StateError> {
    i64::try_from(modseq)
        .map_err(|_| StateError::Backend(format!("MODSEQ {modseq} does not fit the store")))
}

/// A MODSEQ bound given by a client, clamped into SQL range: nothing in the store is greater
/// than `i64::MAX` anyway.
pub(super) fn modseq_bound(modseq: ModSeq) -> i64 {
    i64::try_from(modseq).unwrap_or(i64::MAX)
}

/// Keywords as stored: a JSON array of strings.
pub(super) fn keywords_sql(keywords: &BTreeSet<String>) -> Result<String, StateError> {
    serde_json::to_string(keywords)
        .map_err(|e| StateError::Backend(format!("cannot encode keywords: {e}")))
}

/// Reads a keywords column (a JSON array of strings).
pub(super) fn keywords_column(row: &Row<'_>, index: usize) -> rusqlite::Result<BTreeSet<String>> {
    let text: String = row.get(index)?;
    parse_keywords(index, &text)
}

/// Reads a nullable keywords column.
pub(super) fn optional_keywords_column(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<BTreeSet<String>>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| parse_keywords(index, &text)).transpose()
}

fn parse_keywords(index: usize, text: &str) -> rusqlite::Result<BTreeSet<String>> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

/// The shared flag columns of a message row starting at `index`: answered, flagged, deleted,
/// draft, keywords.
pub(super) fn shared_flags_columns(row: &Row<'_>, index: usize) -> rusqlite::Result<Flags> {
    Ok(Flags {
        answered: row.get(index)?,
        flagged: row.get(index + 1)?,
        deleted: row.get(index + 2)?,
        draft: row.get(index + 3)?,
        seen: false,
        keywords: keywords_column(row, index + 4)?,
    })
}

/// Reads a MODSEQ column (a non-negative INTEGER).
pub(super) fn modseq_column(row: &Row<'_>, index: usize) -> rusqlite::Result<ModSeq> {
    let value: i64 = row.get(index)?;
    ModSeq::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, value))
}

/// Reads a nullable MODSEQ column.
pub(super) fn optional_modseq_column(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<ModSeq>> {
    let value: Option<i64> = row.get(index)?;
    value
        .map(|v| {
            ModSeq::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, v))
        })
        .transpose()
}
