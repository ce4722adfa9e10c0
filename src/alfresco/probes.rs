//! Health probes: `probes/-ready-` and `probes/-live-` (no authentication).

use serde::Deserialize;

use super::client::{AlfrescoClient, Call};
use super::error::RestError;
use super::paging::EntryEnvelope;
use super::route::Api;
use super::session::is_success;

/// Which probe to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `-ready-`: the repository can serve requests.
    Ready,
    /// `-live-`: the repository process is alive.
    Live,
}

impl AlfrescoClient {
    /// Asks a probe once (no retries: the answer is about this moment). `Ok` carries the
    /// probe's message; a repository that is not ready answers 503, an error here.
    pub async fn probe(&self, probe: Probe) -> Result<String, RestError> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Message {
            message: String,
        }
        let template = match probe {
            Probe::Ready => "/probes/-ready-",
            Probe::Live => "/probes/-live-",
        };
        let call = Call::get(Api::Core, template, &[]).without_retry();
        let sent = self.send(&call, None).await?;
        if !is_success(sent.status()) {
            return Err(sent.into_error().await);
        }
        Ok(sent.json::<EntryEnvelope<Message>>().await?.entry.message)
    }
}
