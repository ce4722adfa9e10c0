//! The commands, one file per family; each adds its handlers to [`Session`](super::session::Session).

pub(crate) mod any;
pub(crate) mod append;
pub(crate) mod auth;
pub(crate) mod copy;
pub(crate) mod expunge;
pub(crate) mod fetch;
pub(crate) mod idle;
pub(crate) mod list;
pub(crate) mod manage;
pub(crate) mod search;
pub(crate) mod select;
pub(crate) mod store;
pub(crate) mod thread;
