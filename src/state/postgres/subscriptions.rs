//! Per-user SUBSCRIBE/UNSUBSCRIBE choices.

use deadpool_postgres::GenericClient;

use super::rows::column;
use crate::state::{StateError, Subscription};

/// Records `user`'s choice about `name`, replacing an earlier one.
pub(super) async fn set(
    db: &impl GenericClient,
    now_ms: i64,
    user: &str,
    name: &str,
    subscribed: bool,
) -> Result<(), StateError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO subscriptions (user_name, mailbox_name, subscribed, changed_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_name, mailbox_name) DO UPDATE \
             SET subscribed = excluded.subscribed, changed_at = excluded.changed_at",
        )
        .await?;
    db.execute(&statement, &[&user, &name, &subscribed, &now_ms])
        .await?;
    Ok(())
}

/// Every choice of `user`, sorted by name (byte order, whatever the database's collation).
pub(super) async fn list(
    db: &impl GenericClient,
    user: &str,
) -> Result<Vec<Subscription>, StateError> {
    let statement = db
        .prepare_cached("SELECT mailbox_name, subscribed FROM subscriptions WHERE user_name = $1")
        .await?;
    let mut subscriptions = db
        .query(&statement, &[&user])
        .await?
        .iter()
        .map(|row| {
            Ok(Subscription {
                name: column(row, 0)?,
                subscribed: column(row, 1)?,
            })
        })
        .collect::<Result<Vec<_>, StateError>>()?;
    subscriptions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(subscriptions)
}
