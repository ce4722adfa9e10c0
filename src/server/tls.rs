//! TLS for IMAPS and STARTTLS: rustls with the `ring` provider, TLS 1.2 and 1.3 only,
//! certificates and keys from PEM files, reloaded when the files change (or on demand, e.g.
//! on SIGHUP) without a restart.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds no certificate.
    #[error("cannot read the certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The key file could not be read or holds no private key.
    #[error("cannot read the private key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The certificate and key do not make a usable configuration.
    #[error("invalid TLS configuration: {0}")]
    Config(String),
}

/// Builds a server configuration from PEM files.
pub fn load_config(certificate: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| TlsError::Certificate {
            path: certificate.display().to_string(),
            reason: e.to_string(),
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Certificate {
            path: certificate.display().to_string(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Certificate {
            path: certificate.display().to_string(),
            reason: "no certificate found".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    config_from(chain, key)
}

/// Builds a server configuration from DER data.
pub fn config_from(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

/// The current TLS configuration, replaceable while the server runs (certificate renewal).
#[derive(Debug, Clone)]
pub struct TlsSource {
    current: Arc<RwLock<Arc<ServerConfig>>>,
    generation: Arc<AtomicU64>,
}

impl TlsSource {
    /// Starts with `config`.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self {
            current: Arc::new(RwLock::new(config)),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// An acceptor with the configuration in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        let config = self
            .current
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone());
        TlsAcceptor::from(config)
    }

    /// Replaces the configuration for new handshakes (connections already encrypted keep
    /// theirs).
    pub fn replace(&self, config: Arc<ServerConfig>) {
        match self.current.write() {
            Ok(mut current) => *current = config,
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// How many times the configuration was replaced.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Loads the PEM files again and uses them for new handshakes; on error the configuration
    /// in force stays.
    pub fn reload(&self, files: &TlsFiles) -> Result<(), TlsError> {
        let config = load_config(&files.certificate, &files.key)?;
        self.replace(config);
        tracing::info!(
            certificate = %files.certificate.display(),
            "TLS certificate reloaded"
        );
        Ok(())
    }

    /// Reloads the files whenever their modification time or size changes, looking every
    /// `interval`, until `stop` is cancelled. A file caught half-written fails to load and is
    /// tried again when it changes once more.
    pub fn watch(
        &self,
        files: TlsFiles,
        interval: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let source = self.clone();
        tokio::spawn(async move {
            let mut seen = files.stamp();
            loop {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = stop.cancelled() => return,
                }
                let now = files.stamp();
                if now == seen {
                    continue;
                }
                seen = now;
                if let Err(error) = source.reload(&files) {
                    tracing::error!(%error, "TLS certificate changed but cannot be loaded; keeping the previous one");
                }
            }
        })
    }
}

/// The PEM files a TLS configuration is loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub certificate: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// What identifies a version of a file: its modification time and size.
type Stamp = Option<(SystemTime, u64)>;

impl TlsFiles {
    fn stamp(&self) -> (Stamp, Stamp) {
        let of = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        (of(&self.certificate), of(&self.key))
    }
}

/// A self-signed certificate for `names`, for the demo and tests: (certificate PEM, key PEM).
pub fn self_signed(names: &[&str]) -> Result<(String, String), TlsError> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}
