//! Helpers shared by the integration tests: a raw IMAP client ([`client`]), an IMAP server with
//! the in-memory backend ([`server`]), expected values ([`golden`]), the REST API client and
//! test target ([`rest`]), and the contract checker ([`contract`]).

#![allow(dead_code)]

pub mod alfresco;
pub mod client;
pub mod contract;
pub mod golden;
pub mod rest;
pub mod server;

pub use rest::*;
