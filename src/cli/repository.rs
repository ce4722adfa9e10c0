//! The repository as `serve` and `config` reach it: a REST client built from the configuration,
//! checked with the unauthenticated `probes/-ready-`.

use url::Url;

use crate::alfresco::{AlfrescoClient, Probe, RestError, RestOptions};
use crate::config::ImapConfig;

/// Why the repository cannot be used; every message names its URL.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The client could not be built (TLS set-up, bad URL).
    #[error("cannot set up a client for the repository at {url}: {source}")]
    Setup {
        /// The repository URL.
        url: Url,
        /// The cause.
        source: RestError,
    },
    /// The repository answered the readiness probe with an error status (503 while starting).
    #[error("the repository at {url} is not ready: {source}")]
    NotReady {
        /// The repository URL.
        url: Url,
        /// The answer.
        source: RestError,
    },
    /// No usable answer: no connection, a timeout, or something that is not Alfresco.
    #[error("the repository at {url} cannot be reached: {source}")]
    Unreachable {
        /// The repository URL.
        url: Url,
        /// The cause.
        source: RestError,
    },
}

/// Builds the client for the configured repository and checks it is ready, once.
pub async fn ready_client(config: &ImapConfig) -> Result<AlfrescoClient, RepositoryError> {
    let url = config.repository.base_url.clone();
    let client = AlfrescoClient::new(RestOptions::from_config(config)).map_err(|source| {
        RepositoryError::Setup {
            url: url.clone(),
            source,
        }
    })?;
    match client.probe(Probe::Ready).await {
        Ok(_) => Ok(client),
        Err(source @ RestError::Status { .. }) => Err(RepositoryError::NotReady { url, source }),
        Err(source) => Err(RepositoryError::Unreachable { url, source }),
    }
}
