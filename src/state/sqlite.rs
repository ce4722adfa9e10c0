//! The embedded SQLite implementation of [`StateStore`](super::StateStore).
