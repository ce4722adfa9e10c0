//! Changes between replicas: PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! Every write of the PostgreSQL store that changes a mailbox (an allocation, a retirement, a
//! flag change) sends `NOTIFY` on [`CHANNEL`] inside its own transaction, naming the mailbox
//! (folder and view) and the replica that wrote. Each replica keeps one connection that
//! `LISTEN`s on the channel and hands every other replica's notice to its sessions, which then
//! look at the store (`changes_since`) as they do for a change made by a session of their own.
//!
//! Why `LISTEN`/`NOTIFY` and not the message broker:
//! - it needs nothing beyond the database the replicas already share: a deployment with
//!   several replicas but no ActiveMQ still propagates flags;
//! - it is transactional with the write: the server delivers a notice only when the
//!   transaction that sent it commits, and after it has committed, so a listener never looks
//!   before the change is visible and never hears of a change that was rolled back;
//! - notices travel in commit order on one connection, and are lost only when that connection
//!   is: the listener then tells its sessions that anything may have changed
//!   ([`Notice::Missed`]) once it is back.
//!
//! A notice is a hint, never data: it carries no flags and no user, so a user's private
//! `\Seen` reaches nobody else (another user's session that wakes finds nothing it may see).

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Config, NoTls};
use tokio_util::sync::CancellationToken;

use crate::state::MailboxKey;

/// The notification channel every replica of one state database listens on. Channels are per
/// database, not per schema: a notice names its schema, and listeners of other schemas (other
/// deployments, or tests side by side) ignore it.
pub const CHANNEL: &str = "alfresco_imap_changes";

/// The statement a writer runs inside its transaction: notifies [`CHANNEL`] of a change in
/// mailbox `$2` made by replica `$1`, in the schema the store uses. PostgreSQL folds
/// identical notices of one transaction into one.
pub(super) const NOTIFY_SQL: &str = "SELECT pg_notify('alfresco_imap_changes', \
     json_build_object('origin', $1::text, 'schema', coalesce(current_schema(), ''), \
     'folder', folder_id, 'view', view_mode)::text) \
     FROM mailboxes WHERE id = $2";

/// The schema notices of this store name (as [`NOTIFY_SQL`] writes it).
const SCHEMA_SQL: &str = "SELECT coalesce(current_schema(), '')";

/// What a replica hears from the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Another replica changed this mailbox.
    Changed(MailboxKey),
    /// Notices may have been lost (the listening connection was down): anything may have
    /// changed.
    Missed,
}

/// The payload of a notice.
#[derive(Debug, serde::Deserialize)]
struct Payload {
    origin: String,
    schema: String,
    folder: String,
    view: String,
}

/// How a replica listens for the others' changes: made by
/// [`PostgresStore::change_feed`](super::PostgresStore::change_feed).
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    pub(super) config: Config,
    pub(super) origin: String,
}

/// How long the listener waits before connecting again, at first and at most.
pub const RECONNECT_DELAYS: (Duration, Duration) =
    (Duration::from_millis(200), Duration::from_secs(5));

impl ChangeFeed {
    /// Listens until `shutdown`, handing each other replica's notice to `deliver`. A lost
    /// connection is made again (waiting [`RECONNECT_DELAYS`], doubling), and once it is back
    /// `deliver` gets [`Notice::Missed`].
    pub fn spawn(
        self,
        shutdown: CancellationToken,
        deliver: impl Fn(Notice) + Send + Sync + 'static,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let (first, most) = RECONNECT_DELAYS;
            let mut delay = first;
            let mut connected_before = false;
            loop {
                let outcome = tokio::select! {
                    () = shutdown.cancelled() => return,
                    outcome = self.listen_once(&deliver, connected_before) => outcome,
                };
                match outcome {
                    Ok(()) => {
                        connected_before = true;
                        delay = first;
                        tracing::warn!(
                            "lost the state database's change notifications; reconnecting"
                        );
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for other replicas' changes; retrying");
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(most);
            }
        })
    }

    /// One connection's life: `LISTEN`, then deliver until the connection ends (`Ok`), or
    /// fail to set up (`Err`).
    async fn listen_once(
        &self,
        deliver: &(impl Fn(Notice) + Send + Sync),
        connected_before: bool,
    ) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (sender, mut received) = mpsc::unbounded_channel();
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        let driver = tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(notification)) => {
                        if sender.send(notification).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "change notification connection failed");
                        return;
                    }
                }
            }
        });
        let listening = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
        if let Err(error) = listening {
            driver.abort();
            return Err(error);
        }
        let schema: String = match client.query_one(SCHEMA_SQL, &[]).await {
            Ok(row) => row.get(0),
            Err(error) => {
                driver.abort();
                return Err(error);
            }
        };
        tracing::info!("listening for other replicas' changes");
        if connected_before {
            deliver(Notice::Missed);
        }
        while let Some(notification) = received.recv().await {
            if let Some(notice) = self.parse(notification.payload(), &schema) {
                deliver(notice);
            }
        }
        drop(client);
        Ok(())
    }

    /// The notice in `payload`, unless it is this replica's own, another schema's, or
    /// unreadable.
    fn parse(&self, payload: &str, schema: &str) -> Option<Notice> {
        match serde_json::from_str::<Payload>(payload) {
            Ok(payload) if payload.origin == self.origin || payload.schema != schema => None,
            Ok(payload) => Some(Notice::Changed(MailboxKey {
                folder_id: payload.folder,
                view: payload.view,
            })),
            Err(error) => {
                tracing::warn!(%error, "ignoring an unreadable change notification");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> ChangeFeed {
        ChangeFeed {
            config: Config::new(),
            origin: "replica-a".into(),
        }
    }

    #[test]
    fn only_other_replicas_of_the_same_schema_are_heard() {
        let notice = |origin: &str, schema: &str| {
            format!(r#"{{"origin":"{origin}","schema":"{schema}","folder":"f1","view":"MIXED"}}"#)
        };
        assert_eq!(
            feed().parse(&notice("replica-b", "imap"), "imap"),
            Some(Notice::Changed(MailboxKey {
                folder_id: "f1".into(),
                view: "MIXED".into(),
            }))
        );
        assert_eq!(feed().parse(&notice("replica-a", "imap"), "imap"), None);
        assert_eq!(feed().parse(&notice("replica-b", "other"), "imap"), None);
        assert_eq!(feed().parse("not json", "imap"), None);
    }
}
