//! A user-bound handle: every call it makes carries that user's credential.
//!
//! [`RepoSession`] holds the credential (a ticket, a bearer token, or Basic user/password)
//! and, for tickets, a [`TicketRenewer`]. Tickets expire after an hour without use, so on a
//! 401 the session renews the ticket once and sends the call once more. If the renewed ticket
//! is rejected too, or the renewal is refused, the call fails with
//! [`RestError::AuthenticationLost`] and the IMAP session should end with `BYE`. When several
//! calls meet the 401 at once, only the first renews; the others reuse its new ticket.
//!
//! The resource calls (nodes, people, sites, …) are `impl RepoSession` blocks in the files of
//! their resource families.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use super::client::{AlfrescoClient, Call, Sent};
use super::error::{AuthLoss, RestError};
use super::paging::{EntryEnvelope, ListEnvelope, Page};
use super::route::Endpoint;
use super::secret::{BearerToken, Credential, Password, Ticket};

/// Gets a fresh ticket when the current one was rejected (401).
#[async_trait]
pub trait TicketRenewer: Send + Sync {
    /// Creates a new ticket. A refusal (e.g. [`RestError::LoginFailed`]) ends the session;
    /// a transient error (no connection, 503) is passed on to the caller as it is.
    async fn renew(&self) -> Result<Ticket, RestError>;
}

/// Renews a ticket by logging in again with the password the IMAP session holds
/// (it is zeroized when the renewer is dropped).
pub struct PasswordRenewer {
    client: AlfrescoClient,
    user_id: String,
    password: Password,
}

impl PasswordRenewer {
    /// A renewer that logs `user_id` in with `password`.
    pub fn new(client: AlfrescoClient, user_id: impl Into<String>, password: Password) -> Self {
        Self {
            client,
            user_id: user_id.into(),
            password,
        }
    }
}

impl fmt::Debug for PasswordRenewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRenewer")
            .field("user_id", &self.user_id)
            .field("password", &self.password)
            .finish()
    }
}

#[async_trait]
impl TicketRenewer for PasswordRenewer {
    async fn renew(&self) -> Result<Ticket, RestError> {
        let created = self
            .client
            .create_ticket(&self.user_id, &self.password)
            .await?;
        Ok(created.ticket)
    }
}

/// The repository as seen by one user. Cheap to clone; clones share the credential.
#[derive(Clone)]
pub struct RepoSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    client: AlfrescoClient,
    state: Mutex<CredentialState>,
    renewer: Option<Arc<dyn TicketRenewer>>,
    renewing: tokio::sync::Mutex<()>,
}

struct CredentialState {
    /// Bumped on each renewal, so concurrent 401s renew only once.
    generation: u64,
    credential: Credential,
    header: HeaderValue,
}

impl fmt::Debug for RepoSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("RepoSession")
            .field("credential", &state.credential)
            .field("renewals", &state.generation)
            .field("renewable", &self.inner.renewer.is_some())
            .finish()
    }
}

impl RepoSession {
    /// A session with any credential; `renewer` is asked for a new ticket after a 401.
    pub fn new(
        client: AlfrescoClient,
        credential: Credential,
        renewer: Option<Arc<dyn TicketRenewer>>,
    ) -> Result<Self, RestError> {
        let header = credential.header()?;
        Ok(Self {
            inner: Arc::new(SessionInner {
                client,
                state: Mutex::new(CredentialState {
                    generation: 0,
                    credential,
                    header,
                }),
                renewer,
                renewing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// A session that uses `ticket` and renews it with `renewer` (normally a
    /// [`PasswordRenewer`]) after a 401.
    pub fn with_ticket(
        client: AlfrescoClient,
        ticket: Ticket,
        renewer: Option<Arc<dyn TicketRenewer>>,
    ) -> Result<Self, RestError> {
        Self::new(client, Credential::Ticket(ticket), renewer)
    }

    /// A session authenticated by an OAuth bearer token. The token is held in memory for the
    /// session's life only; a 401 (expired token) is [`AuthLoss::NotRenewable`].
    pub fn with_bearer(client: AlfrescoClient, token: BearerToken) -> Result<Self, RestError> {
        Self::new(client, Credential::Bearer(token), None)
    }

    /// A session that sends Basic user/password on every call (each call authenticates
    /// afresh at the repository): for one-off administrative commands only.
    pub fn with_basic(
        client: AlfrescoClient,
        user_id: impl Into<String>,
        password: Password,
    ) -> Result<Self, RestError> {
        let credential = Credential::Basic {
            user_id: user_id.into(),
            password,
        };
        Self::new(client, credential, None)
    }

    /// The shared client (options, metrics).
    pub fn client(&self) -> &AlfrescoClient {
        &self.inner.client
    }

    /// How often the ticket was renewed so far.
    pub fn renewals(&self) -> u64 {
        self.state().generation
    }

    fn state(&self) -> MutexGuard<'_, CredentialState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends a call as the user; on a 401, renews the ticket once and sends it once more.
    /// Returns the response whatever its status (other than the handled 401).
    pub(crate) async fn exchange(&self, call: &Call) -> Result<Sent, RestError> {
        let (generation, header) = {
            let state = self.state();
            (state.generation, state.header.clone())
        };
        let sent = self.inner.client.send(call, Some(&header)).await?;
        if sent.status() != 401 {
            return Ok(sent);
        }
        let endpoint = sent.endpoint;
        // Let the connection be reused; the body itself does not matter.
        let _ = sent.discard().await;
        let header = self.renew(generation, endpoint).await?;
        let sent = self.inner.client.send(call, Some(&header)).await?;
        if sent.status() == 401 {
            let _ = sent.discard().await;
            tracing::info!(
                method = endpoint.method,
                route = endpoint.route,
                "the renewed credential was rejected"
            );
            return Err(RestError::AuthenticationLost {
                endpoint,
                loss: AuthLoss::RejectedAfterRenewal,
            });
        }
        Ok(sent)
    }

    /// Makes sure a credential newer than generation `seen` is in place and returns it.
    async fn renew(&self, seen: u64, endpoint: Endpoint) -> Result<HeaderValue, RestError> {
        let _one_at_a_time = self.inner.renewing.lock().await;
        {
            let state = self.state();
            if state.generation != seen {
                return Ok(state.header.clone());
            }
        }
        let Some(renewer) = &self.inner.renewer else {
            return Err(RestError::AuthenticationLost {
                endpoint,
                loss: AuthLoss::NotRenewable,
            });
        };
        match renewer.renew().await {
            Ok(ticket) => {
                let credential = Credential::Ticket(ticket);
                let header = credential.header()?;
                let mut state = self.state();
                state.generation += 1;
                state.credential = credential;
                state.header = header.clone();
                tracing::debug!(
                    method = endpoint.method,
                    route = endpoint.route,
                    renewals = state.generation,
                    "ticket renewed after 401"
                );
                Ok(header)
            }
            Err(error) if error.is_transient() => Err(error),
            Err(error) => {
                tracing::info!(error = %error, "ticket renewal refused");
                Err(RestError::AuthenticationLost {
                    endpoint,
                    loss: AuthLoss::RenewalRefused,
                })
            }
        }
    }

    /// Turns an error status into a [`RestError`], scrubbing the credential from its texts.
    pub(crate) async fn error(&self, sent: Sent) -> RestError {
        let body = sent.into_error_body().await;
        let state = self.state();
        body.into_error(Some(state.credential.secret()))
    }

    /// Sends a call and returns the `entry` of a 2xx answer.
    pub(crate) async fn entry<T: DeserializeOwned>(&self, call: Call) -> Result<T, RestError> {
        let sent = self.exchange(&call).await?;
        if !is_success(sent.status()) {
            return Err(self.error(sent).await);
        }
        Ok(sent.json::<EntryEnvelope<T>>().await?.entry)
    }

    /// Sends a call and returns the page of a 2xx `list` answer.
    pub(crate) async fn page<T: DeserializeOwned>(&self, call: Call) -> Result<Page<T>, RestError> {
        let sent = self.exchange(&call).await?;
        if !is_success(sent.status()) {
            return Err(self.error(sent).await);
        }
        Ok(sent.json::<ListEnvelope<T>>().await?.into())
    }

    /// Sends a call that answers 2xx with no body of interest (204).
    pub(crate) async fn no_content(&self, call: Call) -> Result<(), RestError> {
        let sent = self.exchange(&call).await?;
        if !is_success(sent.status()) {
            return Err(self.error(sent).await);
        }
        sent.discard().await
    }
}

/// 2xx.
pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}
