//! Helpers shared by the integration tests: a raw IMAP client ([`client`]), an IMAP server with
//! the in-memory backend ([`server`]), expected values ([`golden`]), the REST API client and
//! test target ([`rest`]), the contract checker ([`contract`]), `alfresco-imap demo` as a child
//! process ([`demo`]), real IMAP clients pointed at any server ([`real_clients`]), the skip rule
//! for external programs ([`external`]), the product assembled from properties, in process or as
//! a child process ([`product`]), a proxy that breaks repository connections ([`proxy`]), the
//! run's logs on disk ([`logs`]) and the scanner that looks for the test users' secrets in them
//! ([`secrets`]).

#![allow(dead_code)]

pub mod alfresco;
pub mod client;
pub mod contract;
pub mod demo;
pub mod external;
pub mod golden;
pub mod logs;
pub mod product;
pub mod proxy;
pub mod real_clients;
pub mod rest;
pub mod secrets;
pub mod server;

pub use rest::*;
