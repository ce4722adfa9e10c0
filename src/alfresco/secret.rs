//! Credentials: passwords, tickets and bearer tokens that never show in logs, `Debug` or errors.
//!
//! Each secret is a newtype over a [`Zeroizing`] string: its memory is wiped when it is dropped,
//! its `Debug` output is a fixed placeholder, and it has no `Display` or `Serialize`, so it can
//! only reach the wire or a log line through an explicit [`expose`](Password::expose) call.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderValue;
use zeroize::Zeroizing;

use super::error::RestError;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Zeroizing::new(value.into()))
            }

            /// The secret itself, for the one place that must send it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

secret_type!(
    /// A user's password, held only as long as the IMAP session needs it to renew its ticket.
    Password
);
secret_type!(
    /// An Alfresco authentication ticket (`TICKET_…`), shared by all logins of one user.
    Ticket
);
secret_type!(
    /// An OAuth 2 bearer token (Identity Service); the token is the credential.
    BearerToken
);

/// How a request proves who the user is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// `Authorization: Basic base64(ticket)`: the form Alfresco recommends for tickets.
    Ticket(Ticket),
    /// `Authorization: Bearer <token>`, for repositories behind the Identity Service.
    Bearer(BearerToken),
    /// `Authorization: Basic base64(user:password)`. Every such request runs the whole
    /// authentication chain again (one LDAP bind per call), so it is meant for one-off
    /// administrative commands only.
    Basic {
        /// The Alfresco user id.
        user_id: String,
        /// The user's password.
        password: Password,
    },
}

impl Credential {
    /// The `Authorization` header value, marked sensitive so HTTP libraries redact it.
    pub(crate) fn header(&self) -> Result<HeaderValue, RestError> {
        let value = match self {
            Credential::Ticket(ticket) => basic_header(ticket.expose().as_bytes()),
            Credential::Bearer(token) => Zeroizing::new(format!("Bearer {}", token.expose())),
            Credential::Basic { user_id, password } => {
                let pair = Zeroizing::new(format!("{user_id}:{}", password.expose()));
                basic_header(pair.as_bytes())
            }
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            RestError::invalid("the credential holds characters not allowed in a header")
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// The secret part, so that an error text that happens to echo it can be scrubbed.
    pub(crate) fn secret(&self) -> &str {
        match self {
            Credential::Ticket(ticket) => ticket.expose(),
            Credential::Bearer(token) => token.expose(),
            Credential::Basic { password, .. } => password.expose(),
        }
    }
}

/// `Basic <base64>`, built in one buffer that is wiped when dropped.
fn basic_header(secret: &[u8]) -> Zeroizing<String> {
    let mut value = Zeroizing::new(String::with_capacity(6 + secret.len().div_ceil(3) * 4));
    value.push_str("Basic ");
    BASE64.encode_string(secret, &mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let password = Password::new("hunter2");
        let ticket = Ticket::new("TICKET_abc123");
        let token = BearerToken::new("eyJtoken");
        let basic = Credential::Basic {
            user_id: "alice".into(),
            password: password.clone(),
        };
        let all = format!(
            "{password:?} {ticket:?} {token:?} {basic:?} {:?}",
            Credential::Ticket(ticket.clone())
        );
        assert_eq!(
            all,
            "Password(<redacted>) Ticket(<redacted>) BearerToken(<redacted>) \
             Basic { user_id: \"alice\", password: Password(<redacted>) } Ticket(Ticket(<redacted>))"
        );
    }

    #[test]
    fn ticket_header_is_basic_of_the_bare_ticket() {
        let header = Credential::Ticket(Ticket::new("TICKET_0f3c"))
            .header()
            .unwrap();
        assert_eq!(header.to_str().unwrap(), "Basic VElDS0VUXzBmM2M=");
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("VElDS0VU"));
    }

    #[test]
    fn basic_and_bearer_headers() {
        let basic = Credential::Basic {
            user_id: "admin".into(),
            password: Password::new("admin"),
        };
        assert_eq!(
            basic.header().unwrap().to_str().unwrap(),
            "Basic YWRtaW46YWRtaW4="
        );
        let bearer = Credential::Bearer(BearerToken::new("abc.def"));
        assert_eq!(bearer.header().unwrap().to_str().unwrap(), "Bearer abc.def");
    }

    #[test]
    fn a_token_with_a_line_break_is_refused_not_sent() {
        let bearer = Credential::Bearer(BearerToken::new("abc\r\nX-Evil: 1"));
        assert!(matches!(
            bearer.header(),
            Err(RestError::InvalidArgument(_))
        ));
    }
}
