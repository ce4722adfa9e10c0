//! Helpers shared by the integration tests: a raw IMAP client ([`client`]), an IMAP server with
//! the in-memory backend ([`server`]), expected values ([`golden`]), the REST API client and
//! test target ([`rest`]), the contract checker ([`contract`]), real IMAP clients pointed at any
//! server ([`real_clients`]), the skip rule for external programs ([`external`]), the product
//! assembled from properties ([`product`]) and a proxy that breaks repository connections
//! ([`proxy`]).

#![allow(dead_code)]

pub mod alfresco;
pub mod client;
pub mod contract;
pub mod external;
pub mod golden;
pub mod product;
pub mod proxy;
pub mod real_clients;
pub mod rest;
pub mod server;

pub use rest::*;
