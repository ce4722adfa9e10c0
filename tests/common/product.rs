//! The product as operators run it: an [`App`] assembled from properties, in front of an
//! emulator on 127.0.0.1 (demo seed), optionally through a [`FaultProxy`].

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::app::{App, AppOptions};
use alfresco_imap::config::{ConfigSources, ImapConfig};
use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use alfresco_imap::server::{Gauges, Security};

use super::client::RawClient;
use super::proxy::FaultProxy;

/// A running product.
pub struct Product {
    /// The emulator behind it.
    pub emulator: EmulatorHandle,
    /// The proxy between the product and the emulator, when asked for.
    pub proxy: Option<FaultProxy>,
    /// The product.
    pub app: Option<App>,
    /// The plain IMAP address.
    pub address: SocketAddr,
    /// The IMAPS address, when enabled.
    pub tls_address: Option<SocketAddr>,
    /// The data directory (state store, spool).
    pub dir: tempfile::TempDir,
}

/// The emulator options the product tests use: metadata extraction and search without delay.
pub fn fast_emulator() -> EmulatorOptions {
    EmulatorOptions {
        extraction_delay: Duration::from_millis(20),
        search_lag: Duration::ZERO,
        ..EmulatorOptions::default()
    }
}

/// The properties every product test sets: the repository, listeners on free ports, a data
/// directory, and short delays; `extra` comes last and wins.
pub fn properties(rest_port: u16, data_dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut defines: Vec<String> = vec![
        "alfresco.protocol=http".into(),
        "alfresco.host=127.0.0.1".into(),
        format!("alfresco.port={rest_port}"),
        "alfresco.context=alfresco".into(),
        "share.host=127.0.0.1".into(),
        format!("share.port={rest_port}"),
        "imap.server.host=127.0.0.1".into(),
        "imap.server.imap.enabled=true".into(),
        "imap.server.port=0".into(),
        "imap.server.imaps.port=0".into(),
        format!("imap.sidecar.data.dir={}", data_dir.display()),
        "imap.sidecar.auth.failureDelayMs=1".into(),
        "imap.sidecar.rest.retryBackoffMs=1".into(),
        "imap.sidecar.http.address=127.0.0.1:0".into(),
    ];
    defines.extend(extra.iter().map(|s| (*s).to_owned()));
    defines
}

/// Loads a configuration from `-D` style definitions only.
pub fn config(defines: Vec<String>) -> ImapConfig {
    let sources = ConfigSources {
        defines,
        local_name: Some("localhost".into()),
        ..ConfigSources::default()
    };
    match ImapConfig::load(&sources) {
        Ok(config) => config,
        Err(errors) => panic!("invalid test configuration: {errors}"),
    }
}

impl Product {
    /// The product with `extra` properties, straight to an emulator with the demo seed.
    pub async fn start(extra: &[&str]) -> Self {
        Self::start_with(fast_emulator(), extra, false).await
    }

    /// The product with `extra` properties, in front of an emulator started with `options`,
    /// through a fault proxy when `proxied`.
    pub async fn start_with(options: EmulatorOptions, extra: &[&str], proxied: bool) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emulator = emulator::spawn(options).await.expect("emulator starts");
        let proxy = if proxied {
            Some(FaultProxy::start(emulator.addr()).await)
        } else {
            None
        };
        let rest_port = proxy
            .as_ref()
            .map(|p| p.address().port())
            .unwrap_or(emulator.addr().port());
        let dir = tempfile::tempdir().expect("data directory");
        let config = config(properties(rest_port, dir.path(), extra));
        let app = App::start(&config, &AppOptions::default())
            .await
            .expect("the product starts");
        Self {
            address: app.server.address(Security::Plain).expect("plain listener"),
            tls_address: app.server.address(Security::Implicit),
            app: Some(app),
            emulator,
            proxy,
            dir,
        }
    }

    /// The running app.
    pub fn app(&self) -> &App {
        self.app.as_ref().expect("running")
    }

    /// The listeners' gauges.
    pub fn gauges(&self) -> Arc<Gauges> {
        self.app().server.gauges()
    }

    /// A connection logged in with a password.
    pub async fn login(&self, user: &str, password: &str) -> RawClient {
        RawClient::login(self.address, user, password).await
    }

    /// A demo user's connection (the password is the user name).
    pub async fn user(&self, user: &str) -> RawClient {
        self.login(user, user).await
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Shuts the product down.
    pub async fn shutdown(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }
}

/// Waits until `check` holds, looking every few milliseconds; fails after the guard time
/// (a guard against hangs, not a timing assertion).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let guard = tokio::time::Instant::now() + super::client::GUARD;
    while !check() {
        assert!(
            tokio::time::Instant::now() < guard,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
