//! The PostgreSQL schema and its forward-only migrations.
//!
//! The tables, columns, keys and check constraints are those of the SQLite schema
//! (`src/state/schema.rs`, documented there), in PostgreSQL's types:
//!
//! - every integer column is `BIGINT`: UIDs and UIDVALIDITYs go up to 2^32 - 1, beyond
//!   PostgreSQL's 32-bit `INTEGER`, and MODSEQs are signed 64-bit as in SQLite;
//! - flags are `BOOLEAN` (SQLite: INTEGER 0/1 with a `CHECK (x IN (0, 1))`, which the type
//!   makes unnecessary);
//! - opaque data is `BYTEA` (SQLite: BLOB);
//! - `mailboxes.id` is `GENERATED ALWAYS AS IDENTITY` (SQLite: `INTEGER PRIMARY KEY
//!   AUTOINCREMENT`): a sequence, so a forgotten mailbox's id is never handed out again.
//!
//! The tables live in the connection's current schema (the first one of its `search_path`), so
//! several deployments (or tests) can share one database, each in its own schema.

/// The SQL that creates the version table; run before anything else, on every start.
pub(super) const VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)";

/// The key of the transaction-scoped advisory lock that serialises migrations, so that
/// replicas starting together migrate one after the other (the ASCII bytes of "alfresco").
pub(super) const MIGRATION_LOCK: i64 = 0x616C_6672_6573_636F;

/// The migrations, in order: after applying `MIGRATIONS[..n]` the schema version is `n`.
/// Only ever append to this list; never change a migration that has shipped.
pub(super) const MIGRATIONS: &[&str] = &[V1_INITIAL, V2_MAILBOX_NAMES];

/// The version this program writes and understands.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Version 1: the whole schema of design decision 2.
const V1_INITIAL: &str = "
CREATE TABLE mailbox_names (
    name_key          TEXT   NOT NULL PRIMARY KEY,
    last_uid_validity BIGINT NOT NULL CHECK (last_uid_validity BETWEEN 1 AND 4294967295),
    updated_at        BIGINT NOT NULL
);

CREATE TABLE mailboxes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder_id        TEXT   NOT NULL,
    view_mode        TEXT   NOT NULL,
    uid_validity     BIGINT NOT NULL CHECK (uid_validity BETWEEN 1 AND 4294967295),
    uid_next         BIGINT NOT NULL CHECK (uid_next BETWEEN 1 AND 4294967295),
    modseq           BIGINT NOT NULL CHECK (modseq >= 1),
    shared_modseq    BIGINT NOT NULL CHECK (shared_modseq BETWEEN 1 AND modseq),
    recent_watermark BIGINT NOT NULL CHECK (recent_watermark >= 0 AND recent_watermark < uid_next),
    created_at       BIGINT NOT NULL,
    UNIQUE (folder_id, view_mode)
);

CREATE TABLE messages (
    mailbox_id   BIGINT  NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid          BIGINT  NOT NULL CHECK (uid BETWEEN 1 AND 4294967294),
    node_id      TEXT    NOT NULL,
    identity     TEXT    NOT NULL,
    answered     BOOLEAN NOT NULL,
    flagged      BOOLEAN NOT NULL,
    deleted      BOOLEAN NOT NULL,
    draft        BOOLEAN NOT NULL,
    keywords     TEXT    NOT NULL,
    default_seen BOOLEAN NOT NULL,
    modseq       BIGINT  NOT NULL CHECK (modseq >= 1),
    pin          BYTEA,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (mailbox_id, uid),
    UNIQUE (mailbox_id, node_id, identity)
);
CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);

CREATE TABLE tombstones (
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid        BIGINT NOT NULL CHECK (uid BETWEEN 1 AND 4294967294),
    node_id    TEXT   NOT NULL,
    identity   TEXT   NOT NULL,
    modseq     BIGINT NOT NULL CHECK (modseq >= 1),
    retired_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX tombstones_by_modseq ON tombstones (mailbox_id, modseq);

CREATE TABLE private_flags (
    mailbox_id BIGINT  NOT NULL,
    uid        BIGINT  NOT NULL,
    user_name  TEXT    NOT NULL,
    seen       BOOLEAN NOT NULL,
    keywords   TEXT    NOT NULL,
    modseq     BIGINT  NOT NULL CHECK (modseq >= 1),
    PRIMARY KEY (mailbox_id, uid, user_name),
    FOREIGN KEY (mailbox_id, uid) REFERENCES messages (mailbox_id, uid) ON DELETE CASCADE
);
CREATE INDEX private_flags_by_user ON private_flags (mailbox_id, user_name, modseq);

CREATE TABLE private_modseqs (
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    user_name  TEXT   NOT NULL,
    modseq     BIGINT NOT NULL CHECK (modseq >= 1),
    PRIMARY KEY (mailbox_id, user_name)
);

CREATE TABLE summaries (
    summary_key TEXT   NOT NULL PRIMARY KEY,
    summary     BYTEA  NOT NULL,
    stored_at   BIGINT NOT NULL,
    last_used   BIGINT NOT NULL
);
CREATE INDEX summaries_by_last_used ON summaries (last_used);

CREATE TABLE templates (
    hash      TEXT   NOT NULL PRIMARY KEY,
    body      TEXT   NOT NULL,
    stored_at BIGINT NOT NULL
);

CREATE TABLE subscriptions (
    user_name    TEXT    NOT NULL,
    mailbox_name TEXT    NOT NULL,
    subscribed   BOOLEAN NOT NULL,
    changed_at   BIGINT  NOT NULL,
    PRIMARY KEY (user_name, mailbox_name)
);
";

/// Version 2: the name each mailbox was last opened under (`alfresco-imap state renumber
/// --mailbox NAME`), as in the SQLite schema's version 2.
const V2_MAILBOX_NAMES: &str = "
ALTER TABLE mailboxes ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
";
