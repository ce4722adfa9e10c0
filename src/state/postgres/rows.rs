//! Conversions between the store's types and PostgreSQL columns.
//!
//! Every integer column is `BIGINT` (`i64`); reading one checks that its value fits the type
//! the store uses, so a damaged row is an error, never a panic or a wrapped number.

use std::collections::BTreeSet;

use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use crate::state::{Flags, ModSeq, StateError};

/// A MODSEQ as a `BIGINT` (signed 64-bit; RFC 7162 MODSEQs fit in 63 bits).
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

/// Column `index` of `row` as a `T`.
pub(super) fn column<'a, T: FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, StateError> {
    Ok(row.try_get(index)?)
}

/// A `BIGINT` column that holds a `u32` (a UID, UIDVALIDITY or watermark).
pub(super) fn u32_column(row: &Row, index: usize) -> Result<u32, StateError> {
    let value: i64 = column(row, index)?;
    u32::try_from(value).map_err(|_| out_of_range(row, index, value))
}

/// A MODSEQ column (a non-negative `BIGINT`).
pub(super) fn modseq_column(row: &Row, index: usize) -> Result<ModSeq, StateError> {
    let value: i64 = column(row, index)?;
    ModSeq::try_from(value).map_err(|_| out_of_range(row, index, value))
}

/// A nullable MODSEQ column.
pub(super) fn optional_modseq_column(
    row: &Row,
    index: usize,
) -> Result<Option<ModSeq>, StateError> {
    let value: Option<i64> = column(row, index)?;
    value
        .map(|v| ModSeq::try_from(v).map_err(|_| out_of_range(row, index, v)))
        .transpose()
}

/// A keywords column (a JSON array of strings).
pub(super) fn keywords_column(row: &Row, index: usize) -> Result<BTreeSet<String>, StateError> {
    let text: &str = column(row, index)?;
    parse_keywords(row, index, text)
}

/// A nullable keywords column.
pub(super) fn optional_keywords_column(
    row: &Row,
    index: usize,
) -> Result<Option<BTreeSet<String>>, StateError> {
    let text: Option<&str> = column(row, index)?;
    text.map(|text| parse_keywords(row, index, text))
        .transpose()
}

/// The shared flag columns of a message row starting at `index`: answered, flagged, deleted,
/// draft, keywords.
pub(super) fn shared_flags_columns(row: &Row, index: usize) -> Result<Flags, StateError> {
    Ok(Flags {
        answered: column(row, index)?,
        flagged: column(row, index + 1)?,
        deleted: column(row, index + 2)?,
        draft: column(row, index + 3)?,
        seen: false,
        keywords: keywords_column(row, index + 4)?,
    })
}

fn parse_keywords(row: &Row, index: usize, text: &str) -> Result<BTreeSet<String>, StateError> {
    serde_json::from_str(text).map_err(|e| {
        StateError::Backend(format!(
            "column {} holds invalid keywords: {e}",
            column_name(row, index)
        ))
    })
}

fn out_of_range(row: &Row, index: usize, value: i64) -> StateError {
    StateError::Backend(format!(
        "column {} holds {value}, out of range",
        column_name(row, index)
    ))
}

fn column_name(row: &Row, index: usize) -> &str {
    row.columns().get(index).map_or("?", |c| c.name())
}
