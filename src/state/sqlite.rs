//! The embedded SQLite implementation of [`StateStore`].
//!
//! One file holds the whole state (tables: `src/state/schema.rs`). Every trait call is
//! one transaction, run on tokio's blocking pool against a connection behind a mutex, so the
//! runtime never waits on the disk. Writers start with `BEGIN IMMEDIATE`, which takes the
//! database's write lock before reading anything: that is how an allocation "holds the
//! mailbox row", and why two handles or two processes on one file never disagree about a
//! UID. The file runs in WAL mode (readers never wait for writers) with `synchronous=FULL`,
//! so a UID handed to a client survives a crash or a power loss.

mod caches;
mod mailboxes;
mod messages;
mod rows;
mod subscriptions;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, TransactionBehavior};

use super::schema;
use super::{
    Allocation, Changes, FlagOutcome, FlagUpdate, MailboxId, MailboxKey, MailboxRecord,
    MailboxSnapshot, ModSeq, NewMessage, StateError, StateStore, Subscription, Uid,
};
use crate::clock::SharedClock;

/// How long a transaction waits for another connection's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection (the store uses a few dozen).
const STATEMENT_CACHE: usize = 64;

/// The state store in an SQLite file (or in memory, for tests and throw-away servers).
///
/// Cloning gives another handle on the same connection; [`SqliteStore::open`] on the same
/// path gives an independent connection (as another process would have).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Mutex<Connection>,
    clock: SharedClock,
    location: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

impl From<rusqlite::Error> for StateError {
    fn from(error: rusqlite::Error) -> Self {
        StateError::Backend(error.to_string())
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path` (the path of an
    /// `imap.sidecar.state.url` of the form `sqlite:<path>`) and brings its schema up to date.
    /// A new file is readable by its owner only; its directory must exist. Fails with
    /// [`StateError::Schema`] when the file was written by a newer program.
    ///
    /// This blocks on the disk: call it at start-up, or inside `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>, clock: SharedClock) -> Result<Self, StateError> {
        let path = path.as_ref();
        create_private_file(path)?;
        let conn = Connection::open(path).map_err(|e| {
            StateError::Backend(format!("cannot open state file {}: {e}", path.display()))
        })?;
        Self::configure(conn, clock, Some(path.to_path_buf()))
    }

    /// Opens a new, empty store that lives in memory and dies with this handle and its clones.
    pub fn open_in_memory(clock: SharedClock) -> Result<Self, StateError> {
        Self::configure(Connection::open_in_memory()?, clock, None)
    }

    fn configure(
        mut conn: Connection,
        clock: SharedClock,
        location: Option<PathBuf>,
    ) -> Result<Self, StateError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Returns the mode in force: `memory` for an in-memory database, and the old mode
        // where the file system cannot do WAL (shared memory on a network file system).
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if location.is_some() && !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "state file is not in WAL mode: readers will wait for writers");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                clock,
                location,
            }),
        })
    }

    /// Runs `work` on the blocking pool with the connection and the current time (ms).
    async fn run<T, F>(&self, work: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StateError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held rolled its transaction back: the connection is
            // still consistent.
            let mut conn = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
            let now = inner.clock.now().timestamp_millis();
            work(&mut conn, now)
        })
        .await
        .map_err(|e| StateError::Backend(format!("state store task failed: {e}")))?
    }

    /// Runs `work` in a write transaction (`BEGIN IMMEDIATE`) and commits it.
    async fn write<T, F>(&self, work: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, i64) -> Result<T, StateError> + Send + 'static,
    {
        self.run(move |conn, now| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&tx, now)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` in a read transaction, so that it sees one consistent state.
    async fn read<T, F>(&self, work: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, i64) -> Result<T, StateError> + Send + 'static,
    {
        self.run(move |conn, now| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = work(&tx, now)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

/// Creates `path` with owner-only permissions if it does not exist yet (SQLite gives its
/// `-wal` and `-shm` files the same permissions).
fn create_private_file(path: &Path) -> Result<(), StateError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StateError::Backend(format!(
            "cannot create state file {}: {e}",
            path.display()
        ))),
    }
}

/// Brings the schema up to date, in one transaction; refuses a schema newer than this program.
fn migrate(conn: &mut Connection) -> Result<(), StateError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(schema::VERSION_TABLE)?;
    let versions: Vec<i64> = tx
        .prepare("SELECT version FROM schema_version")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let current = match versions.as_slice() {
        [] => {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", [])?;
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
            "the state file has schema version {current}; this program knows up to {}",
            schema::LATEST
        )));
    }
    let start = usize::try_from(current)
        .map_err(|_| StateError::Schema(format!("invalid schema version {current}")))?;
    for (index, migration) in schema::MIGRATIONS.iter().enumerate().skip(start) {
        tx.execute_batch(migration).map_err(|e| {
            StateError::Schema(format!("migration to version {} failed: {e}", index + 1))
        })?;
    }
    tx.execute("UPDATE schema_version SET version = ?1", [schema::LATEST])?;
    tx.commit()?;
    Ok(())
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError> {
        let key = key.clone();
        let name_key = name_key.to_owned();
        let found = {
            let (key, name_key) = (key.clone(), name_key.clone());
            self.read(move |conn, _| mailboxes::find_current(conn, &key, &name_key))
                .await?
        };
        if let Some(record) = found {
            return Ok(record);
        }
        self.write(move |conn, now| mailboxes::open(conn, now, &key, &name_key))
            .await
    }

    async fn snapshot(
        &self,
        mailbox: MailboxId,
        user: &str,
    ) -> Result<MailboxSnapshot, StateError> {
        let user = user.to_owned();
        self.read(move |conn, _| messages::snapshot(conn, mailbox, &user))
            .await
    }

    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError> {
        let new = new.to_vec();
        self.write(move |conn, now| messages::allocate(conn, now, mailbox, &new, claim_recent))
            .await
    }

    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError> {
        let uids = uids.to_vec();
        self.write(move |conn, now| messages::retire(conn, now, mailbox, &uids))
            .await
    }

    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError> {
        let user = user.to_owned();
        let update = update.clone();
        self.write(move |conn, _| messages::store_flags(conn, mailbox, &user, &update))
            .await
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError> {
        let user = user.to_owned();
        self.read(move |conn, _| messages::changes_since(conn, mailbox, &user, since))
            .await
    }

    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError> {
        self.write(move |conn, _| mailboxes::forget(conn, mailbox))
            .await
    }

    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError> {
        let (user, name) = (user.to_owned(), name.to_owned());
        self.write(move |conn, now| subscriptions::set(conn, now, &user, &name, subscribed))
            .await
    }

    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError> {
        let user = user.to_owned();
        self.read(move |conn, _| subscriptions::list(conn, &user))
            .await
    }

    async fn mailboxes(&self) -> Result<Vec<super::NamedMailbox>, StateError> {
        self.read(|conn, _| mailboxes::all(conn)).await
    }

    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let key = key.to_owned();
        self.run(move |conn, now| caches::summary(conn, now, &key))
            .await
    }

    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError> {
        let (key, summary) = (key.to_owned(), summary.to_vec());
        self.write(move |conn, now| caches::put_summary(conn, now, &key, &summary))
            .await
    }

    async fn template(&self, hash: &str) -> Result<Option<String>, StateError> {
        let hash = hash.to_owned();
        self.read(move |conn, _| caches::template(conn, &hash))
            .await
    }

    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError> {
        let (hash, text) = (hash.to_owned(), text.to_owned());
        self.write(move |conn, now| caches::put_template(conn, now, &hash, &text))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::SqliteStore;
    use crate::clock::SharedClock;
    use crate::state::suite::{Backing, state_suite};
    use crate::state::{MailboxId, StateError, StateStore, Uid};

    /// A fresh SQLite file in a temporary directory.
    struct SqliteFile {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    fn sqlite_file() -> Box<dyn Backing> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Box::new(SqliteFile { _dir: dir, path })
    }

    #[async_trait]
    impl Backing for SqliteFile {
        async fn open(&self, clock: SharedClock) -> Arc<dyn StateStore> {
            Arc::new(SqliteStore::open(&self.path, clock).unwrap())
        }

        async fn force_uid_next(&self, mailbox: MailboxId, uid_next: Uid) {
            let conn = rusqlite::Connection::open(&self.path).unwrap();
            conn.busy_timeout(super::BUSY_TIMEOUT).unwrap();
            conn.execute(
                "UPDATE mailboxes SET uid_next = ?2 WHERE id = ?1",
                rusqlite::params![mailbox, uid_next],
            )
            .unwrap();
        }
    }

    state_suite!(sqlite_file);

    #[test]
    fn file_is_in_wal_mode_with_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path, crate::clock::system()).unwrap();
        let conn = store.inner.conn.lock().unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        let foreign_keys: i64 = conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), synchronous, foreign_keys), ("wal", 2, 1));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(SqliteStore::open(&path, crate::clock::system()).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE schema_version SET version = version + 1", [])
            .unwrap();
        drop(conn);
        let error = SqliteStore::open(&path, crate::clock::system()).unwrap_err();
        assert!(
            matches!(&error, StateError::Schema(text) if text.contains(&format!("knows up to {}", super::schema::LATEST))),
            "{error:?}"
        );
    }

    #[test]
    fn reopening_applies_no_migration_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        for _ in 0..3 {
            drop(SqliteStore::open(&path, crate::clock::system()).unwrap());
        }
        let conn = rusqlite::Connection::open(&path).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_version")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(versions, vec![crate::state::schema::LATEST]);
    }

    #[test]
    fn an_unopenable_location_is_a_backend_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("state.db");
        let error = SqliteStore::open(&path, crate::clock::system()).unwrap_err();
        assert!(matches!(error, StateError::Backend(_)), "{error:?}");
    }

    #[tokio::test]
    async fn in_memory_store_works() {
        let store = SqliteStore::open_in_memory(crate::clock::system()).unwrap();
        let mailbox = crate::state::suite::mailbox(&store, "f1").await;
        let allocation = store
            .allocate(
                mailbox.id,
                &[crate::state::suite::message("n1", "v1")],
                true,
            )
            .await
            .unwrap();
        assert_eq!(allocation.uids, vec![1]);
        assert_eq!(allocation.recent, Some(1..=1));
    }
}
