//! Per-user SUBSCRIBE/UNSUBSCRIBE choices.

use rusqlite::{Connection, params};

use crate::state::{StateError, Subscription};

/// Records `user`'s choice about `name`, replacing an earlier one.
pub(super) fn set(
    conn: &Connection,
    now_ms: i64,
    user: &str,
    name: &str,
    subscribed: bool,
) -> Result<(), StateError> {
    conn.prepare_cached(
        "INSERT INTO subscriptions (user_name, mailbox_name, subscribed, changed_at) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_name, mailbox_name) DO UPDATE \
         SET subscribed = excluded.subscribed, changed_at = excluded.changed_at",
    )?
    .execute(params![user, name, subscribed, now_ms])?;
    Ok(())
}

/// Every choice of `user`, sorted by name (byte order, whatever the database's collation).
pub(super) fn list(conn: &Connection, user: &str) -> Result<Vec<Subscription>, StateError> {
    let mut subscriptions = conn
        .prepare_cached("SELECT mailbox_name, subscribed FROM subscriptions WHERE user_name = ?1")?
        .query_map([user], |row| {
            Ok(Subscription {
                name: row.get(0)?,
                subscribed: row.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    subscriptions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(subscriptions)
}
