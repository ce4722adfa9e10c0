//! Opening the state store that `imap.sidecar.state.url` names, and migrating its schema.

use std::path::Path;
use std::sync::Arc;

use super::postgres::{self, ChangeFeed, PostgresStore};
use super::sqlite::SqliteStore;
use super::{StateError, StateStore, schema};
use crate::clock::SharedClock;
use crate::config::StateStoreUrl;

/// What bringing a store's schema up to date did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The schema version found (0 for an empty database or a new file).
    pub from: i64,
    /// The schema version now (the newest this program knows).
    pub to: i64,
}

/// A store as [`open_shared`] opened it.
pub struct OpenedStore {
    /// The store.
    pub store: Arc<dyn StateStore>,
    /// For a store shared by replicas (PostgreSQL), how this replica hears of the changes the
    /// others make; `None` for an SQLite file.
    pub changes: Option<ChangeFeed>,
}

/// Opens the store `url` names and brings its schema up to date: an SQLite file (created if
/// needed) or a PostgreSQL database shared by several replicas. Fails with
/// [`StateError::Schema`] when the schema is newer than this program, with
/// [`StateError::Unavailable`] when the server cannot be reached, and with
/// [`StateError::Backend`] when the file cannot be opened.
pub async fn open(
    url: &StateStoreUrl,
    clock: SharedClock,
) -> Result<Arc<dyn StateStore>, StateError> {
    Ok(open_shared(url, clock).await?.store)
}

/// Like [`open()`], also giving a shared store's feed of other replicas' changes.
pub async fn open_shared(
    url: &StateStoreUrl,
    clock: SharedClock,
) -> Result<OpenedStore, StateError> {
    match url {
        StateStoreUrl::Sqlite(path) => {
            let path = sqlite_path(path)?.to_path_buf();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(path, clock))
                .await
                .map_err(|e| {
                    StateError::Backend(format!("opening the state file failed: {e}"))
                })??;
            Ok(OpenedStore {
                store: Arc::new(store),
                changes: None,
            })
        }
        StateStoreUrl::Postgres(url) => {
            let store = PostgresStore::connect(url, clock).await?;
            Ok(OpenedStore {
                changes: Some(store.change_feed()),
                store: Arc::new(store),
            })
        }
    }
}

/// Brings the schema of the store `url` names up to date without serving anything
/// (`alfresco-imap state migrate`), and reports the versions before and after.
pub async fn migrate(url: &StateStoreUrl, clock: SharedClock) -> Result<Migration, StateError> {
    match url {
        StateStoreUrl::Sqlite(path) => {
            let path = sqlite_path(path)?.to_path_buf();
            tokio::task::spawn_blocking(move || {
                let from = sqlite_version(&path)?;
                drop(SqliteStore::open(&path, clock)?);
                Ok(Migration {
                    from,
                    to: schema::LATEST,
                })
            })
            .await
            .map_err(|e| StateError::Backend(format!("migrating the state file failed: {e}")))?
        }
        StateStoreUrl::Postgres(url) => postgres::migrate(postgres::connection_config(url)?).await,
    }
}

fn sqlite_path(path: &Path) -> Result<&Path, StateError> {
    if path.as_os_str().is_empty() {
        return Err(StateError::Backend(
            "imap.sidecar.state.url names no state file".into(),
        ));
    }
    Ok(path)
}

/// The schema version of an SQLite state file, 0 when the file or its version table does not
/// exist yet. Opens the file read-only, so it never creates one.
fn sqlite_version(path: &Path) -> Result<i64, StateError> {
    if !path.exists() {
        return Ok(0);
    }
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::suite::{mailbox, message};

    #[tokio::test]
    async fn a_sqlite_url_opens_a_file_and_migrates_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = StateStoreUrl::Sqlite(dir.path().join("state.db"));
        let first = migrate(&url, crate::clock::system()).await.unwrap();
        assert_eq!(
            first,
            Migration {
                from: 0,
                to: schema::LATEST
            }
        );
        let again = migrate(&url, crate::clock::system()).await.unwrap();
        assert_eq!(
            again,
            Migration {
                from: schema::LATEST,
                to: schema::LATEST
            }
        );
        let store = open(&url, crate::clock::system()).await.unwrap();
        let mb = mailbox(&*store, "f1").await;
        let allocation = store
            .allocate(mb.id, &[message("n1", "v1")], false)
            .await
            .unwrap();
        assert_eq!(allocation.uids, vec![1]);
    }

    #[tokio::test]
    async fn an_empty_sqlite_path_is_an_error() {
        let url = StateStoreUrl::Sqlite(Default::default());
        let error = open(&url, crate::clock::system()).await.err().unwrap();
        assert!(
            matches!(&error, StateError::Backend(text) if text.contains("no state file")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_postgres_server_is_unavailable_without_the_password() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let url = StateStoreUrl::Postgres("postgresql://imap:s3cret@127.0.0.1:1/imap".into());
        let error = open(&url, crate::clock::system()).await.err().unwrap();
        assert!(matches!(error, StateError::Unavailable(_)), "{error:?}");
        assert!(!error.to_string().contains("s3cret"), "{error}");
        let error = migrate(&url, crate::clock::system()).await.unwrap_err();
        assert!(matches!(error, StateError::Unavailable(_)), "{error:?}");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[tokio::test]
    async fn a_url_asking_for_tls_is_refused_before_connecting() {
        let url =
            StateStoreUrl::Postgres("postgresql://imap@127.0.0.1:1/imap?sslmode=require".into());
        let error = open(&url, crate::clock::system()).await.err().unwrap();
        assert!(
            matches!(&error, StateError::Backend(text) if text.contains("sslmode=require")),
            "{error:?}"
        );
    }
}
