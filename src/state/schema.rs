//! The state store's schema and its forward-only migrations.
//!
//! The schema is written in portable SQL (INTEGER, TEXT, BLOB, `ON CONFLICT` upserts, no
//! two-argument `max()`), so that the PostgreSQL store can use the same tables. The one
//! SQLite-only construct is `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL: `BIGINT
//! GENERATED ALWAYS AS IDENTITY`), used so that a forgotten mailbox's id is never handed out
//! again. Booleans are INTEGER 0/1; times are milliseconds since the Unix epoch; MODSEQs are
//! signed 64-bit (RFC 7162 limits them to 63 bits).
//!
//! Tables:
//!
//! - `schema_version (version)` — one row: the number of migrations applied. A file with a
//!   larger number than this program knows is refused.
//! - `mailbox_names (name_key PK, last_uid_validity, updated_at)` — the UIDVALIDITY history:
//!   the highest UIDVALIDITY ever used under a client-visible mailbox name. A new mailbox gets
//!   `max(now in seconds, last_uid_validity + 1)`, never 0. Rows are never deleted.
//! - `mailboxes (id PK, folder_id, view_mode, uid_validity, uid_next, modseq, shared_modseq,
//!   recent_watermark, created_at, name_key)`, `UNIQUE (folder_id, view_mode)` — one per (folder
//!   node, view); `name_key` is the name it was last opened under (version 2; empty for a
//!   mailbox not opened since), so operator commands can find a mailbox by name. `uid_next` never decreases (the highest UID ever handed out is `uid_next - 1`);
//!   `modseq` is the MODSEQ counter of the mailbox (every shared or private change takes the
//!   next value); `shared_modseq` is the highest MODSEQ of a shared change (a new or changed
//!   message, a tombstone); `recent_watermark` is the highest UID already claimed as `\Recent`.
//! - `messages (mailbox_id, uid, node_id, identity, answered, flagged, deleted, draft,
//!   keywords, default_seen, modseq, pin, created_at)`, `PK (mailbox_id, uid)`,
//!   `UNIQUE (mailbox_id, node_id, identity)`, index `(mailbox_id, modseq)` — the live map.
//!   Only live rows live here, so the unique key holds "among live rows". The flag columns
//!   and `keywords` (a JSON array of strings) are the *shared* flags; `default_seen` is the
//!   `\Seen` of users without a private row; `modseq` is the MODSEQ of the last shared change;
//!   `pin` is opaque data pinned with the UID.
//! - `tombstones (mailbox_id, uid, node_id, identity, modseq, retired_at)`,
//!   `PK (mailbox_id, uid)`, index `(mailbox_id, modseq)` — retired UIDs, with the MODSEQ of
//!   their retirement (QRESYNC `VANISHED`).
//! - `private_flags (mailbox_id, uid, user_name, seen, keywords, modseq)`,
//!   `PK (mailbox_id, uid, user_name)`, index `(mailbox_id, user_name, modseq)`, foreign key to
//!   the live row (deleted with it) — one user's `\Seen` and private keywords, with the MODSEQ
//!   of that user's last change.
//! - `private_modseqs (mailbox_id, user_name, modseq)`, `PK (mailbox_id, user_name)` — the
//!   highest private MODSEQ of each user, so that a user's HIGHESTMODSEQ is
//!   `max(mailboxes.shared_modseq, private_modseqs.modseq)` without a scan.
//! - `summaries (summary_key PK, summary, stored_at, last_used)`, index `(last_used)` — opaque
//!   message summaries; `last_used` (refreshed at most hourly) is there for eviction.
//! - `templates (hash PK, body, stored_at)` — template texts by hash.
//! - `subscriptions (user_name, mailbox_name, subscribed, changed_at)`,
//!   `PK (user_name, mailbox_name)` — explicit SUBSCRIBE/UNSUBSCRIBE choices.

/// The SQL that creates the version table; run before anything else, on every open.
pub(crate) const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

/// The migrations, in order: after applying `MIGRATIONS[..n]` the schema version is `n`.
/// Only ever append to this list; never change a migration that has shipped.
pub(crate) const MIGRATIONS: &[&str] = &[V1_INITIAL, V2_MAILBOX_NAMES];

/// The version this program writes and understands.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Version 1: the whole schema of design decision 2.
const V1_INITIAL: &str = "
CREATE TABLE mailbox_names (
    name_key          TEXT    NOT NULL PRIMARY KEY,
    last_uid_validity INTEGER NOT NULL CHECK (last_uid_validity BETWEEN 1 AND 4294967295),
    updated_at        INTEGER NOT NULL
);

CREATE TABLE mailboxes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id        TEXT    NOT NULL,
    view_mode        TEXT    NOT NULL,
    uid_validity     INTEGER NOT NULL CHECK (uid_validity BETWEEN 1 AND 4294967295),
    uid_next         INTEGER NOT NULL CHECK (uid_next BETWEEN 1 AND 4294967295),
    modseq           INTEGER NOT NULL CHECK (modseq >= 1),
    shared_modseq    INTEGER NOT NULL CHECK (shared_modseq BETWEEN 1 AND modseq),
    recent_watermark INTEGER NOT NULL CHECK (recent_watermark >= 0 AND recent_watermark < uid_next),
    created_at       INTEGER NOT NULL,
    UNIQUE (folder_id, view_mode)
);

CREATE TABLE messages (
    mailbox_id   INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid          INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967294),
    node_id      TEXT    NOT NULL,
    identity     TEXT    NOT NULL,
    answered     INTEGER NOT NULL CHECK (answered IN (0, 1)),
    flagged      INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    draft        INTEGER NOT NULL CHECK (draft IN (0, 1)),
    keywords     TEXT    NOT NULL,
    default_seen INTEGER NOT NULL CHECK (default_seen IN (0, 1)),
    modseq       INTEGER NOT NULL CHECK (modseq >= 1),
    pin          BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid),
    UNIQUE (mailbox_id, node_id, identity)
);
CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);

CREATE TABLE tombstones (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid        INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967294),
    node_id    TEXT    NOT NULL,
    identity   TEXT    NOT NULL,
    modseq     INTEGER NOT NULL CHECK (modseq >= 1),
    retired_at INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX tombstones_by_modseq ON tombstones (mailbox_id, modseq);

CREATE TABLE private_flags (
    mailbox_id INTEGER NOT NULL,
    uid        INTEGER NOT NULL,
    user_name  TEXT    NOT NULL,
    seen       INTEGER NOT NULL CHECK (seen IN (0, 1)),
    keywords   TEXT    NOT NULL,
    modseq     INTEGER NOT NULL CHECK (modseq >= 1),
    PRIMARY KEY (mailbox_id, uid, user_name),
    FOREIGN KEY (mailbox_id, uid) REFERENCES messages (mailbox_id, uid) ON DELETE CASCADE
);
CREATE INDEX private_flags_by_user ON private_flags (mailbox_id, user_name, modseq);

CREATE TABLE private_modseqs (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    user_name  TEXT    NOT NULL,
    modseq     INTEGER NOT NULL CHECK (modseq >= 1),
    PRIMARY KEY (mailbox_id, user_name)
);

CREATE TABLE summaries (
    summary_key TEXT    NOT NULL PRIMARY KEY,
    summary     BLOB    NOT NULL,
    stored_at   INTEGER NOT NULL,
    last_used   INTEGER NOT NULL
);
CREATE INDEX summaries_by_last_used ON summaries (last_used);

CREATE TABLE templates (
    hash      TEXT    NOT NULL PRIMARY KEY,
    body      TEXT    NOT NULL,
    stored_at INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    user_name    TEXT    NOT NULL,
    mailbox_name TEXT    NOT NULL,
    subscribed   INTEGER NOT NULL CHECK (subscribed IN (0, 1)),
    changed_at   INTEGER NOT NULL,
    PRIMARY KEY (user_name, mailbox_name)
);
";

/// Version 2: the name each mailbox was last opened under (`alfresco-imap state renumber
/// --mailbox NAME`).
const V2_MAILBOX_NAMES: &str = "
ALTER TABLE mailboxes ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
";
