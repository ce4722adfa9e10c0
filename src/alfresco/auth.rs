//! Tickets: log in (`POST tickets`) and check a ticket (`GET tickets/-me-`).
//!
//! There is deliberately no logout (`DELETE tickets/-me-`): the repository keeps one ticket
//! per user, shared by all of that user's logins (Share, other apps, other IMAP connections),
//! so deleting it at IMAP LOGOUT would log the user out everywhere. Tickets expire on their
//! own after an hour without use.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::client::{AlfrescoClient, Call};
use super::error::RestError;
use super::paging::EntryEnvelope;
use super::route::Api;
use super::secret::{Password, Ticket};
use super::session::{PasswordRenewer, RepoSession, is_success};

/// A ticket just created.
#[derive(Debug, Clone)]
pub struct CreatedTicket {
    /// The ticket.
    pub ticket: Ticket,
    /// The user id as the repository returned it.
    pub user_id: String,
}

impl AlfrescoClient {
    /// Logs a user in: `POST tickets` with their user id and password.
    /// A 403 (wrong user name or password) is [`RestError::LoginFailed`].
    pub async fn create_ticket(
        &self,
        user_id: &str,
        password: &Password,
    ) -> Result<CreatedTicket, RestError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            user_id: &'a str,
            password: &'a str,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            id: String,
            #[serde(default)]
            user_id: String,
        }
        let call = Call::post(Api::Auth, "/tickets", &[]).with_json(&Body {
            user_id,
            password: password.expose(),
        })?;
        let sent = self.send(&call, None).await?;
        match sent.status() {
            403 => {
                let _ = sent.discard().await;
                Err(RestError::LoginFailed)
            }
            status if is_success(status) => {
                let endpoint = sent.endpoint;
                let created = sent.json::<EntryEnvelope<Created>>().await?.entry;
                if created.id.is_empty() {
                    return Err(RestError::InvalidResponse {
                        endpoint,
                        reason: "the new ticket is empty".to_string(),
                    });
                }
                Ok(CreatedTicket {
                    ticket: Ticket::new(created.id),
                    user_id: created.user_id,
                })
            }
            _ => Err(sent.into_error().await),
        }
    }

    /// Checks a ticket with `GET tickets/-me-`: `true` while it is valid, `false` when the
    /// repository rejects it (401) or it expired or the user was disabled (404).
    pub async fn validate_ticket(&self, ticket: &Ticket) -> Result<bool, RestError> {
        let header = super::secret::Credential::Ticket(ticket.clone()).header()?;
        let call = Call::get(Api::Auth, "/tickets/-me-", &[]);
        let sent = self.send(&call, Some(&header)).await?;
        match sent.status() {
            401 | 404 => {
                let _ = sent.discard().await;
                Ok(false)
            }
            status if is_success(status) => {
                sent.discard().await?;
                Ok(true)
            }
            _ => {
                let body = sent.into_error_body().await;
                Err(body.into_error(Some(ticket.expose())))
            }
        }
    }

    /// Logs a user in and returns their session: the ticket is renewed with `password`
    /// (kept, zeroized on drop, by the session) whenever the repository rejects it.
    pub async fn login(&self, user_id: &str, password: Password) -> Result<RepoSession, RestError> {
        let created = self.create_ticket(user_id, &password).await?;
        let renewer = PasswordRenewer::new(self.clone(), user_id, password);
        RepoSession::with_ticket(self.clone(), created.ticket, Some(Arc::new(renewer)))
    }
}
