//! The PostgreSQL implementation of [`StateStore`], for several replicas sharing one state.
//!
//! The tables are those of the SQLite store in PostgreSQL's types (`postgres/schema.rs`), in
//! the connection's current schema. Every trait call is one transaction on a pooled
//! connection; the statements and the flag and MODSEQ arithmetic are the SQLite store's.
//!
//! - Writers (allocation, retirement, STORE, forgetting) run in READ COMMITTED and start by
//!   holding the mailbox row (`SELECT ... FOR UPDATE`): the writers of one mailbox take turns,
//!   across connections and replicas alike, and each one reads what the one before it
//!   committed. That is how an allocation "holds the mailbox row", why two replicas never hand
//!   out the same UID, and why UIDNEXT never moves back. Writers of different mailboxes do
//!   not wait for each other.
//! - Readers (snapshots, changes) run in REPEATABLE READ, READ ONLY: one consistent picture,
//!   never waiting for a writer.
//! - Creating a mailbox holds the row of its name's UIDVALIDITY history first, so two
//!   replicas creating mailboxes under one name never repeat a UIDVALIDITY, and a mailbox
//!   created by another replica meanwhile is found rather than duplicated.
//! - Migrations run at start, in one transaction under an advisory lock (replicas starting
//!   together migrate once); [`migrate`] runs them alone, for `alfresco-imap state migrate`.
//!
//! Connections are made without TLS: use PostgreSQL on loopback or on a private network.
//! A URL that asks for TLS (`sslmode=require`) is refused.

mod caches;
mod mailboxes;
mod messages;
pub mod notify;
mod rows;
mod schema;
mod subscriptions;
#[cfg(test)]
mod tests;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Client, Manager, Pool, PoolError, Transaction};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, IsolationLevel, NoTls};

pub use notify::{ChangeFeed, Notice};
pub use schema::LATEST as SCHEMA_VERSION;

use super::{
    Allocation, Changes, FlagOutcome, FlagUpdate, MailboxId, MailboxKey, MailboxRecord,
    MailboxSnapshot, Migration, ModSeq, NamedMailbox, NewMessage, StateError, StateStore,
    Subscription, Uid,
};
use crate::clock::SharedClock;

/// Most connections one store keeps open to the server.
pub const MAX_CONNECTIONS: usize = 16;

/// How long connecting may take when the URL sets no `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `application_name` the server shows for our sessions when the URL sets none.
pub const APPLICATION_NAME: &str = "alfresco-imap";

/// The state store in a PostgreSQL database shared by every replica.
///
/// Cloning gives another handle on the same connection pool; [`PostgresStore::connect`] again
/// gives an independent pool (as another replica would have).
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    clock: SharedClock,
    config: Config,
    /// Names this store (this replica) in its change notifications ([`notify`]).
    origin: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl From<tokio_postgres::Error> for StateError {
    /// A lost or refused connection, or a server shutting down or starting up, is
    /// [`StateError::Unavailable`] (the call may succeed once the server is back); anything
    /// else is [`StateError::Backend`].
    fn from(error: tokio_postgres::Error) -> Self {
        if is_unavailable(&error) {
            StateError::Unavailable(error.to_string())
        } else {
            StateError::Backend(error.to_string())
        }
    }
}

/// Whether `error` says the server cannot be reached now rather than that a statement failed:
/// a closed connection, an I/O error, or SQLSTATE class 08 (connection exception) or 57P0x
/// (the server shutting down, crashed or starting up).
fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P0")
        }
        None => std::error::Error::source(error)
            .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some()),
    }
}

impl From<PoolError> for StateError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(error) => error.into(),
            other => {
                StateError::Unavailable(format!("no connection to the state database: {other}"))
            }
        }
    }
}

/// Parses a `postgresql://` (or `postgres://`) URL, or a `key=value` connection string, into
/// a connection configuration with this program's defaults (a connect timeout and the
/// application name), refusing what it cannot do (TLS).
pub fn connection_config(url: &str) -> Result<Config, StateError> {
    let mut config: Config = url
        .parse()
        .map_err(|e| StateError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
    if config.get_ssl_mode() == SslMode::Require {
        return Err(StateError::Backend(
            "sslmode=require: connections to PostgreSQL are made without TLS in this build; \
             reach the server over loopback or a private network and drop sslmode"
                .into(),
        ));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name(APPLICATION_NAME);
    }
    Ok(config)
}

/// Brings the schema of the database `config` names up to date and reports what was done,
/// without starting a store (`alfresco-imap state migrate`). Fails with
/// [`StateError::Schema`] when the schema is newer than this program.
pub async fn migrate(config: Config) -> Result<Migration, StateError> {
    let pool = pool(config, 1)?;
    let mut client = pool.get().await?;
    migrate_schema(&mut client).await
}

impl PostgresStore {
    /// Connects to the database named by `url` (an `imap.sidecar.state.url` of the form
    /// `postgresql://user:password@host:port/database`; `?options=-c%20search_path%3Dname`
    /// picks a schema) and brings its schema up to date. Fails with [`StateError::Schema`]
    /// when the schema is newer than this program, and with [`StateError::Backend`] when the
    /// server cannot be reached.
    pub async fn connect(url: &str, clock: SharedClock) -> Result<Self, StateError> {
        Self::connect_with(connection_config(url)?, clock).await
    }

    /// Like [`PostgresStore::connect`], with a configuration made by the caller.
    pub async fn connect_with(config: Config, clock: SharedClock) -> Result<Self, StateError> {
        let pool = pool(config.clone(), MAX_CONNECTIONS)?;
        let mut client = pool.get().await?;
        let migration = migrate_schema(&mut client).await?;
        if migration.from != migration.to {
            tracing::info!(
                from = migration.from,
                to = migration.to,
                "state database schema migrated"
            );
        }
        Ok(Self {
            pool,
            clock,
            config,
            origin: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// How this replica hears of the changes other replicas make ([`notify`]).
    pub fn change_feed(&self) -> ChangeFeed {
        ChangeFeed {
            config: self.config.clone(),
            origin: self.origin.clone(),
        }
    }

    async fn client(&self) -> Result<Client, StateError> {
        Ok(self.pool.get().await?)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}

fn pool(config: Config, size: usize) -> Result<Pool, StateError> {
    Pool::builder(Manager::new(config, NoTls))
        .max_size(size)
        .build()
        .map_err(|e| StateError::Backend(format!("cannot set up the connection pool: {e}")))
}

/// Tells the other replicas, when `tx` commits, that `mailbox` changed ([`notify`]).
async fn announce(
    tx: &Transaction<'_>,
    origin: &str,
    mailbox: MailboxId,
) -> Result<(), StateError> {
    let statement = tx.prepare_cached(notify::NOTIFY_SQL).await?;
    tx.query(&statement, &[&origin, &mailbox]).await?;
    Ok(())
}

/// Starts a writer's transaction. READ COMMITTED whatever the server's default: writers
/// serialise on the mailbox row, and each statement sees what the previous holder committed.
async fn begin_write(client: &mut Client) -> Result<Transaction<'_>, StateError> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?)
}

/// Starts a reader's transaction: one snapshot for all its statements.
async fn begin_read(client: &mut Client) -> Result<Transaction<'_>, StateError> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Brings the schema up to date in one transaction, under an advisory lock so that replicas
/// starting together take turns; refuses a schema newer than this program. Needs no right to
/// create tables when the schema is current already.
async fn migrate_schema(client: &mut Client) -> Result<Migration, StateError> {
    let tx = begin_write(client).await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&schema::MIGRATION_LOCK],
    )
    .await?;
    let exists = tx
        .query_opt(
            "SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'schema_version'",
            &[],
        )
        .await?
        .is_some();
    if !exists {
        tx.batch_execute(schema::VERSION_TABLE)
            .await
            .map_err(|e| StateError::Schema(format!("cannot create the version table: {e}")))?;
    }
    let versions = tx
        .query("SELECT version FROM schema_version", &[])
        .await?
        .iter()
        .map(|row| rows::column::<i64>(row, 0))
        .collect::<Result<Vec<i64>, _>>()?;
    let current = match versions.as_slice() {
        [] => {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])
                .await?;
            0
        }
        [version] => *version,
        _ => {
            return Err(StateError::Schema(
                "schema_version holds more than one row".into(),
            ));
        }
    };
    if current > schema::LATEST {
        return Err(StateError::Schema(format!(
            "the state database has schema version {current}; this program knows up to {}",
            schema::LATEST
        )));
    }
    let start = usize::try_from(current)
        .map_err(|_| StateError::Schema(format!("invalid schema version {current}")))?;
    for (index, migration) in schema::MIGRATIONS.iter().enumerate().skip(start) {
        tx.batch_execute(migration).await.map_err(|e| {
            StateError::Schema(format!("migration to version {} failed: {e}", index + 1))
        })?;
    }
    if current != schema::LATEST {
        tx.execute("UPDATE schema_version SET version = $1", &[&schema::LATEST])
            .await?;
    }
    tx.commit().await?;
    Ok(Migration {
        from: current,
        to: schema::LATEST,
    })
}

#[async_trait]
impl StateStore for PostgresStore {
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError> {
        let mut client = self.client().await?;
        let tx = begin_read(&mut client).await?;
        let found = mailboxes::find_current(&tx, key, name_key).await?;
        tx.commit().await?;
        if let Some(record) = found {
            return Ok(record);
        }
        let tx = begin_write(&mut client).await?;
        let record = mailboxes::open(&tx, self.now_ms(), key, name_key).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn snapshot(
        &self,
        mailbox: MailboxId,
        user: &str,
    ) -> Result<MailboxSnapshot, StateError> {
        let mut client = self.client().await?;
        let tx = begin_read(&mut client).await?;
        let snapshot = messages::snapshot(&tx, mailbox, user).await?;
        tx.commit().await?;
        Ok(snapshot)
    }

    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError> {
        let mut client = self.client().await?;
        let tx = begin_write(&mut client).await?;
        let allocation = messages::allocate(&tx, self.now_ms(), mailbox, new, claim_recent).await?;
        if !new.is_empty() {
            announce(&tx, &self.origin, mailbox).await?;
        }
        tx.commit().await?;
        Ok(allocation)
    }

    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError> {
        let mut client = self.client().await?;
        let tx = begin_write(&mut client).await?;
        let retired = messages::retire(&tx, self.now_ms(), mailbox, uids).await?;
        if !retired.is_empty() {
            announce(&tx, &self.origin, mailbox).await?;
        }
        tx.commit().await?;
        Ok(retired)
    }

    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError> {
        let mut client = self.client().await?;
        let tx = begin_write(&mut client).await?;
        let outcome = messages::store_flags(&tx, mailbox, user, update).await?;
        if !outcome.changed.is_empty() {
            announce(&tx, &self.origin, mailbox).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError> {
        let mut client = self.client().await?;
        let tx = begin_read(&mut client).await?;
        let changes = messages::changes_since(&tx, mailbox, user, since).await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError> {
        let mut client = self.client().await?;
        let tx = begin_write(&mut client).await?;
        mailboxes::forget(&tx, mailbox).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError> {
        let client = self.client().await?;
        subscriptions::set(&client, self.now_ms(), user, name, subscribed).await
    }

    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError> {
        let client = self.client().await?;
        subscriptions::list(&client, user).await
    }

    async fn mailboxes(&self) -> Result<Vec<NamedMailbox>, StateError> {
        let mut client = self.client().await?;
        let tx = begin_read(&mut client).await?;
        let all = mailboxes::all(&tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let client = self.client().await?;
        caches::summary(&client, self.now_ms(), key).await
    }

    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError> {
        let client = self.client().await?;
        caches::put_summary(&client, self.now_ms(), key, summary).await
    }

    async fn template(&self, hash: &str) -> Result<Option<String>, StateError> {
        let client = self.client().await?;
        caches::template(&client, hash).await
    }

    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError> {
        let client = self.client().await?;
        caches::put_template(&client, self.now_ms(), hash, text).await
    }
}
