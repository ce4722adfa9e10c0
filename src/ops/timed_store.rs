//! A [`StateStore`] that times every operation of the store it wraps into the
//! `alfresco_imap_state_store_seconds` histogram, labelled with the operation's name.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::registry::registry;
use crate::state::{
    Allocation, Changes, FlagOutcome, FlagUpdate, MailboxId, MailboxKey, MailboxRecord,
    MailboxSnapshot, ModSeq, NamedMailbox, NewMessage, StateError, StateStore, Subscription, Uid,
};

/// Wraps `inner` so that every call is timed (whatever the implementation: SQLite, PostgreSQL).
pub fn timed_store(inner: Arc<dyn StateStore>) -> Arc<dyn StateStore> {
    Arc::new(TimedStore { inner })
}

/// See [`timed_store`].
struct TimedStore {
    inner: Arc<dyn StateStore>,
}

/// Runs one operation and records how long it took, failed or not.
async fn timed<T>(operation: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let result = call.await;
    registry().record_store(operation, started.elapsed());
    result
}

#[async_trait]
impl StateStore for TimedStore {
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError> {
        timed("open_mailbox", self.inner.open_mailbox(key, name_key)).await
    }

    async fn snapshot(
        &self,
        mailbox: MailboxId,
        user: &str,
    ) -> Result<MailboxSnapshot, StateError> {
        timed("snapshot", self.inner.snapshot(mailbox, user)).await
    }

    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError> {
        timed("allocate", self.inner.allocate(mailbox, new, claim_recent)).await
    }

    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError> {
        timed("retire", self.inner.retire(mailbox, uids)).await
    }

    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError> {
        timed("store_flags", self.inner.store_flags(mailbox, user, update)).await
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError> {
        timed(
            "changes_since",
            self.inner.changes_since(mailbox, user, since),
        )
        .await
    }

    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError> {
        timed("forget_mailbox", self.inner.forget_mailbox(mailbox)).await
    }

    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError> {
        timed(
            "set_subscription",
            self.inner.set_subscription(user, name, subscribed),
        )
        .await
    }

    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError> {
        timed("subscriptions", self.inner.subscriptions(user)).await
    }

    async fn mailboxes(&self) -> Result<Vec<NamedMailbox>, StateError> {
        timed("mailboxes", self.inner.mailboxes()).await
    }

    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        timed("summary", self.inner.summary(key)).await
    }

    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError> {
        timed("put_summary", self.inner.put_summary(key, summary)).await
    }

    async fn summaries(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        timed("summaries", self.inner.summaries(keys)).await
    }

    async fn put_summaries(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StateError> {
        timed("put_summaries", self.inner.put_summaries(entries)).await
    }

    async fn template(&self, hash: &str) -> Result<Option<String>, StateError> {
        timed("template", self.inner.template(hash)).await
    }

    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError> {
        timed("put_template", self.inner.put_template(hash, text)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sqlite::SqliteStore;

    #[tokio::test]
    async fn every_call_is_timed_and_forwarded() {
        let store = timed_store(Arc::new(
            SqliteStore::open_in_memory(crate::clock::system()).unwrap(),
        ));
        let count = |operation: &str| {
            registry()
                .store_operations()
                .into_iter()
                .find(|(name, _)| *name == operation)
                .map_or(0, |(_, histogram)| histogram.count)
        };
        let before = (count("put_template"), count("template"));
        store.put_template("h1", "text").await.unwrap();
        assert_eq!(store.template("h1").await.unwrap().as_deref(), Some("text"));
        assert_eq!(store.template("h2").await.unwrap(), None);
        assert!(count("put_template") > before.0);
        assert!(count("template") >= before.1 + 2);
    }
}
