//! The one error type of the REST client, and the parsing of Alfresco's error envelope.
//!
//! Callers branch on the HTTP status ([`RestError::status`] and the `is_*` helpers), never on
//! `errorKey`, which is only a stable key for some framework exceptions. No variant ever holds
//! a URL, a query value, a credential or a ticket: errors end up in logs.

use serde::Deserialize;

use super::route::Endpoint;

/// What went wrong with a repository call.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The repository answered with an error status (other than the cases below).
    #[error("{endpoint}: {response}")]
    Status {
        /// The call that failed.
        endpoint: Endpoint,
        /// The status and what Alfresco's error envelope said about it.
        response: ErrorResponse,
    },
    /// Creating a ticket was refused (403): wrong user name or password.
    #[error("login failed: the repository refused the user name or password")]
    LoginFailed,
    /// The user's credential no longer works and could not be renewed; the IMAP session
    /// should end (`BYE`).
    #[error("{endpoint}: authentication lost ({loss})")]
    AuthenticationLost {
        /// The call that met the 401.
        endpoint: Endpoint,
        /// Why the credential could not be restored.
        loss: AuthLoss,
    },
    /// No complete answer within the configured time.
    #[error("{endpoint}: timed out")]
    Timeout {
        /// The call that timed out.
        endpoint: Endpoint,
    },
    /// No connection could be made to the repository (nothing was sent).
    #[error("{endpoint}: cannot connect to the repository: {reason}")]
    Connect {
        /// The call that could not be made.
        endpoint: Endpoint,
        /// The network error, without the URL.
        reason: String,
    },
    /// The connection failed after the request started, or while the body was streamed;
    /// for a write, the repository may or may not have applied it.
    #[error("{endpoint}: connection failed: {reason}")]
    Transport {
        /// The call that was cut.
        endpoint: Endpoint,
        /// The network error, without the URL.
        reason: String,
    },
    /// The repository answered with something that is not what the API promises.
    #[error("{endpoint}: invalid response: {reason}")]
    InvalidResponse {
        /// The call whose answer was unusable.
        endpoint: Endpoint,
        /// What was wrong with it.
        reason: String,
    },
    /// The request was not sent because an argument could not be expressed safely
    /// (an empty or `..` id, more than 3 sort keys, a property name that is not a QName, …).
    #[error("invalid request argument: {0}")]
    InvalidArgument(String),
    /// The content to upload could not be read.
    #[error("cannot read the content to upload: {0}")]
    Upload(#[source] std::io::Error),
    /// The HTTP client could not be set up (bad options, TLS set-up).
    #[error("cannot set up the REST client: {0}")]
    Setup(String),
}

/// Why a 401 could not be recovered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthLoss {
    /// The credential cannot be renewed (bearer token, Basic credentials, or no renewal set up).
    #[error("the credential was rejected and cannot be renewed")]
    NotRenewable,
    /// The ticket was renewed, and the repository still answered 401.
    #[error("the renewed ticket was rejected as well")]
    RejectedAfterRenewal,
    /// The renewal itself was refused (for example the password changed).
    #[error("the ticket could not be renewed")]
    RenewalRefused,
}

/// An error status with the fields of Alfresco's error envelope, when there was one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorResponse {
    /// The HTTP status code.
    pub status: u16,
    /// `error.errorKey`: a message id such as `framework.exception.EntityNotFound`, or a text.
    pub error_key: Option<String>,
    /// `error.briefSummary`, usually starting with an 8-digit log-correlation number.
    pub brief_summary: Option<String>,
    /// `error.logId`, the id of the repository's log entry.
    pub log_id: Option<String>,
}

impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(key) = &self.error_key {
            write!(f, " {key}")?;
        }
        if let Some(summary) = &self.brief_summary {
            write!(f, ": {summary}")?;
        }
        Ok(())
    }
}

impl ErrorResponse {
    /// Reads the status and, if the body is Alfresco's error envelope, its fields.
    /// A secret (the credential of the call) found in a text is replaced by `<redacted>`.
    pub(crate) fn parse(status: u16, body: &[u8], secret: Option<&str>) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Fields,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            error_key: Option<String>,
            brief_summary: Option<String>,
            log_id: Option<String>,
        }
        let scrub = |text: String| match secret {
            Some(secret) if !secret.is_empty() && text.contains(secret) => {
                text.replace(secret, "<redacted>")
            }
            _ => text,
        };
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) => Self {
                status,
                error_key: error.error_key.map(scrub),
                brief_summary: error.brief_summary.map(scrub),
                log_id: error.log_id,
            },
            Err(_) => Self {
                status,
                ..Self::default()
            },
        }
    }
}

impl RestError {
    /// Shorthand for [`RestError::InvalidArgument`].
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidArgument(reason.into())
    }

    /// The HTTP status the repository answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { response, .. } => Some(response.status),
            Self::LoginFailed => Some(403),
            Self::AuthenticationLost { .. } => Some(401),
            _ => None,
        }
    }

    /// `errorKey` of the error envelope, if any.
    pub fn error_key(&self) -> Option<&str> {
        match self {
            Self::Status { response, .. } => response.error_key.as_deref(),
            _ => None,
        }
    }

    /// `briefSummary` of the error envelope, if any.
    pub fn brief_summary(&self) -> Option<&str> {
        match self {
            Self::Status { response, .. } => response.brief_summary.as_deref(),
            _ => None,
        }
    }

    /// 404: the node, person, site or preference does not exist (or is hidden from the user,
    /// as private sites are).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 403: the user may not do this (also a failed login).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// 409: name clash, node locked, or the entity already exists.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// 422: integrity error, such as characters `cm:name` does not allow.
    pub fn is_unprocessable(&self) -> bool {
        self.status() == Some(422)
    }

    /// 507: the user's quota is exceeded.
    pub fn is_quota_exceeded(&self) -> bool {
        self.status() == Some(507)
    }

    /// 416: the requested byte range lies outside the content.
    pub fn is_range_not_satisfiable(&self) -> bool {
        self.status() == Some(416)
    }

    /// The credential is gone for good: the session should end.
    pub fn is_auth_lost(&self) -> bool {
        matches!(self, Self::AuthenticationLost { .. })
    }

    /// A failure that may pass if tried again later: no connection, a cut connection,
    /// a timeout, or 502/503/504.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Status { response, .. } => matches!(response.status, 502..=504),
            _ => false,
        }
    }

    /// For a write: the repository may have applied it even though no success was seen
    /// (timeout, cut connection, or a 5xx), so the caller must look before trying again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::Timeout { .. } | Self::InvalidResponse { .. } => true,
            Self::Status { response, .. } => response.status >= 500 && response.status != 507,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_FOUND: &str = r#"{"error":{"errorKey":"framework.exception.EntityNotFound",
        "statusCode":404,"briefSummary":"07010001 The entity with id: x was not found",
        "stackTrace":"For security reasons the stack trace is no longer displayed, but the property is kept for previous versions",
        "descriptionURL":"https://api-explorer.alfresco.com","logId":"b5f1c6a2"}}"#;

    fn endpoint() -> Endpoint {
        Endpoint {
            method: "GET",
            route: "/nodes/{id}",
        }
    }

    #[test]
    fn envelope_fields_are_parsed() {
        let response = ErrorResponse::parse(404, NOT_FOUND.as_bytes(), None);
        assert_eq!(
            response,
            ErrorResponse {
                status: 404,
                error_key: Some("framework.exception.EntityNotFound".into()),
                brief_summary: Some("07010001 The entity with id: x was not found".into()),
                log_id: Some("b5f1c6a2".into()),
            }
        );
        let error = RestError::Status {
            endpoint: endpoint(),
            response,
        };
        assert!(error.is_not_found());
        assert_eq!(
            error.error_key(),
            Some("framework.exception.EntityNotFound")
        );
        assert_eq!(
            error.to_string(),
            "GET /nodes/{id}: HTTP 404 framework.exception.EntityNotFound: \
             07010001 The entity with id: x was not found"
        );
    }

    #[test]
    fn a_body_that_is_not_an_envelope_keeps_the_status() {
        for body in [&b""[..], b"<html>Bad gateway</html>", b"{\"error\":42}"] {
            let response = ErrorResponse::parse(502, body, None);
            assert_eq!(
                response,
                ErrorResponse {
                    status: 502,
                    ..Default::default()
                }
            );
        }
    }

    #[test]
    fn an_echoed_secret_is_scrubbed() {
        let body = br#"{"error":{"errorKey":"Ticket TICKET_s3cret invalid","statusCode":401,
            "briefSummary":"0001 TICKET_s3cret expired"}}"#;
        let response = ErrorResponse::parse(401, body, Some("TICKET_s3cret"));
        assert_eq!(
            response.error_key.as_deref(),
            Some("Ticket <redacted> invalid")
        );
        assert_eq!(
            response.brief_summary.as_deref(),
            Some("0001 <redacted> expired")
        );
    }

    #[test]
    fn classification_helpers() {
        let status = |code| RestError::Status {
            endpoint: endpoint(),
            response: ErrorResponse {
                status: code,
                ..Default::default()
            },
        };
        assert!(status(409).is_conflict());
        assert!(status(422).is_unprocessable());
        assert!(status(507).is_quota_exceeded());
        assert!(status(416).is_range_not_satisfiable());
        assert!(status(503).is_transient());
        assert!(!status(500).is_transient());
        assert!(status(500).outcome_unknown());
        assert!(!status(507).outcome_unknown());
        assert!(!status(404).outcome_unknown());
        assert!(RestError::LoginFailed.is_forbidden());
        let lost = RestError::AuthenticationLost {
            endpoint: endpoint(),
            loss: AuthLoss::RenewalRefused,
        };
        assert!(lost.is_auth_lost());
        assert_eq!(lost.status(), Some(401));
        assert!(
            RestError::Timeout {
                endpoint: endpoint()
            }
            .is_transient()
        );
    }
}
