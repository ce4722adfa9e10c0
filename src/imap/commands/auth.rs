//! Logging in: STARTTLS (RFC 3501 §6.2.1), LOGIN, and AUTHENTICATE (RFC 3501 §6.2.2) with
//! SASL PLAIN (RFC 4616), LOGIN, and, when configured, OAUTHBEARER (RFC 7628) and XOAUTH2,
//! with initial responses (SASL-IR, RFC 4959).

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use imap_types::auth::AuthMechanism;
use imap_types::core::{AString, Tag};
use imap_types::response::{Code, Response, Status};
use imap_types::secret::Secret as ImapSecret;

use crate::imap::output::{Output, Responder, SendError};
use crate::imap::session::{
    Account, CommandResult, Completion, Dispatched, Exchange, Failure, Session, Step, code_named,
    unreachable_status,
};
use crate::mailbox::{AuthError, Credentials, Secret};

/// An AUTHENTICATE exchange in progress.
#[derive(Debug)]
pub(crate) struct Sasl {
    tag: Tag<'static>,
    state: SaslState,
}

impl Sasl {
    /// The tag of the AUTHENTICATE command.
    pub(crate) fn tag(&self) -> &Tag<'static> {
        &self.tag
    }
}

#[derive(Debug)]
enum SaslState {
    /// PLAIN: waiting for the response.
    Plain,
    /// LOGIN: waiting for the user name.
    LoginUser,
    /// LOGIN: waiting for the password of this user.
    LoginPassword(String),
    /// OAUTHBEARER or XOAUTH2: waiting for the response.
    Bearer(Bearer),
    /// A bearer failure was announced with a continuation; the client must answer with an
    /// empty line before the tagged NO (RFC 7628 §3.2.3).
    BearerFailed,
}

#[derive(Debug, Clone, Copy)]
enum Bearer {
    OAuthBearer,
    XOAuth2,
}

impl Session {
    pub(crate) async fn starttls(
        &mut self,
        tag: &Tag<'static>,
        out: &mut dyn Responder,
    ) -> Result<Dispatched, Failure> {
        if self.conn.tls {
            return Err(Failure::bad("TLS is already active"));
        }
        if !self.ctx.settings.starttls {
            return Err(Failure::bad("STARTTLS is not available"));
        }
        let status = Status::ok(Some(tag.clone()), None, "Begin TLS negotiation now")
            .unwrap_or_else(|_| unreachable_status());
        out.send(Output::Response(Response::Status(status))).await?;
        Ok(Dispatched::Step(Step::StartTls))
    }

    pub(crate) async fn login(
        &mut self,
        username: AString<'static>,
        password: ImapSecret<AString<'static>>,
    ) -> CommandResult {
        self.cleartext_allowed()?;
        let user = String::from_utf8_lossy(username.as_ref()).into_owned();
        let password = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
        let credentials = Credentials::Password {
            user,
            password: Secret::new(password),
        };
        self.log_in(credentials).await
    }

    pub(crate) async fn authenticate(
        &mut self,
        tag: &Tag<'static>,
        mechanism: AuthMechanism<'static>,
        initial_response: Option<ImapSecret<Cow<'static, [u8]>>>,
        out: &mut dyn Responder,
    ) -> Result<Dispatched, Failure> {
        self.cleartext_allowed()?;
        let state = match mechanism {
            AuthMechanism::Plain => SaslState::Plain,
            AuthMechanism::Login => SaslState::LoginUser,
            AuthMechanism::OAuthBearer if self.ctx.settings.oauth => {
                SaslState::Bearer(Bearer::OAuthBearer)
            }
            AuthMechanism::XOAuth2 if self.ctx.settings.oauth => SaslState::Bearer(Bearer::XOAuth2),
            _ => {
                return Err(Failure::No(
                    None,
                    "Unsupported authentication mechanism".into(),
                ));
            }
        };
        let sasl = Sasl {
            tag: tag.clone(),
            state,
        };
        match initial_response {
            Some(response) => {
                let response = response.declassify().to_vec();
                let step = self.sasl_step(sasl, response, out).await?;
                Ok(Dispatched::Step(step))
            }
            None => {
                let prompt: &[u8] = match sasl.state {
                    SaslState::LoginUser => b"+ VXNlcm5hbWU6\r\n",
                    _ => b"+ \r\n",
                };
                out.send(Output::Line(prompt.to_vec())).await?;
                self.exchange = Some(Exchange::Authenticate(sasl));
                Ok(Dispatched::Step(Step::ReadLine))
            }
        }
    }

    /// A line answering an AUTHENTICATE continuation.
    pub(crate) async fn authenticate_line(
        &mut self,
        sasl: Sasl,
        line: Vec<u8>,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        let text = trim_line(&line);
        let tag = sasl.tag.clone();
        if text == b"*" {
            return self
                .finish(tag, Err(Failure::bad("AUTHENTICATE cancelled")), out)
                .await;
        }
        if let SaslState::BearerFailed = sasl.state {
            let failure = Failure::No(
                Some(code_named("AUTHENTICATIONFAILED")),
                "Authentication failed".into(),
            );
            return self.finish(tag, Err(failure), out).await;
        }
        let decoded = match STANDARD.decode(text) {
            Ok(decoded) => decoded,
            Err(_) => {
                return self
                    .finish(
                        tag,
                        Err(Failure::bad("Invalid base64 in AUTHENTICATE response")),
                        out,
                    )
                    .await;
            }
        };
        match self.sasl_step(sasl, decoded, out).await {
            Ok(step) => Ok(step),
            Err(Failure::Closed) => Err(SendError::Io(std::io::ErrorKind::BrokenPipe.into())),
            Err(failure) => self.finish(tag, Err(failure), out).await,
        }
    }

    /// One step of a SASL exchange with the client's (decoded) response.
    async fn sasl_step(
        &mut self,
        sasl: Sasl,
        response: Vec<u8>,
        out: &mut dyn Responder,
    ) -> Result<Step, Failure> {
        let tag = sasl.tag.clone();
        let credentials = match sasl.state {
            SaslState::Plain => parse_plain(&response)?,
            SaslState::LoginUser => {
                let user =
                    String::from_utf8(response).map_err(|_| Failure::bad("Invalid user name"))?;
                out.send(Output::Line(b"+ UGFzc3dvcmQ6\r\n".to_vec()))
                    .await?;
                self.exchange = Some(Exchange::Authenticate(Sasl {
                    tag,
                    state: SaslState::LoginPassword(user),
                }));
                return Ok(Step::ReadLine);
            }
            SaslState::LoginPassword(user) => {
                let password =
                    String::from_utf8(response).map_err(|_| Failure::bad("Invalid password"))?;
                Credentials::Password {
                    user,
                    password: Secret::new(password),
                }
            }
            SaslState::Bearer(kind) => parse_bearer(kind, &response)?,
            SaslState::BearerFailed => return Err(Failure::bad("Unexpected response")),
        };
        let bearer = matches!(credentials, Credentials::Bearer { .. });
        let result = self.log_in(credentials).await;
        if bearer && result.is_err() {
            // RFC 7628 §3.2.2: the failure is described in a continuation first.
            let status = br#"{"status":"invalid_token","scope":"openid"}"#;
            let line = format!("+ {}\r\n", STANDARD.encode(status));
            out.send(Output::Line(line.into_bytes())).await?;
            self.exchange = Some(Exchange::Authenticate(Sasl {
                tag,
                state: SaslState::BearerFailed,
            }));
            return Ok(Step::ReadLine);
        }
        self.finish(tag, result, out).await.map_err(Failure::from)
    }

    /// Refuses credentials in clear text when TLS is required.
    fn cleartext_allowed(&self) -> Result<(), Failure> {
        if self.ctx.settings.tls_required && !self.conn.tls {
            return Err(Failure::No(
                Some(code_named("PRIVACYREQUIRED")),
                "Use STARTTLS before logging in".into(),
            ));
        }
        Ok(())
    }

    /// Checks credentials with the repository, with throttling.
    pub(crate) async fn log_in(&mut self, credentials: Credentials) -> CommandResult {
        let peer = self.conn.peer;
        let name = credentials.user().map(str::to_owned);
        if let Err(refusal) = self.ctx.throttle.check(peer, name.as_deref()) {
            tracing::warn!(user = name.as_deref().unwrap_or(""), %peer, tls = self.conn.tls, ?refusal, "login refused: too many failures");
            crate::ops::registry().record_login("throttled");
            let delay = self.ctx.throttle.failed(peer, None);
            tokio::time::sleep(delay).await;
            return Err(Failure::No(
                Some(code_named("AUTHENTICATIONFAILED")),
                "Authentication failed".into(),
            ));
        }
        match self.ctx.authenticator.authenticate(&credentials).await {
            Ok(mailboxes) => {
                let user = mailboxes.user().to_owned();
                self.ctx.throttle.succeeded(&user);
                let Some(slot) = self.ctx.user_connections.claim(user.to_lowercase()) else {
                    tracing::warn!(%user, %peer, "login refused: too many connections for this user");
                    return Err(Failure::no(
                        "LIMIT",
                        "Too many connections for this user; close one and try again",
                    ));
                };
                self.user_slot = Some(slot);
                tracing::info!(%user, %peer, tls = self.conn.tls, "login");
                crate::ops::registry().record_login("success");
                self.account = Some(Account { mailboxes });
                let code = Code::Capability(self.capabilities());
                Ok(Completion::with(code, "Logged in"))
            }
            Err(AuthError::Rejected) => {
                let delay = self.ctx.throttle.failed(peer, name.as_deref());
                tracing::warn!(user = name.as_deref().unwrap_or(""), %peer, tls = self.conn.tls, "login failed: wrong credentials");
                crate::ops::registry().record_login("rejected");
                tokio::time::sleep(delay).await;
                Err(Failure::No(
                    Some(code_named("AUTHENTICATIONFAILED")),
                    "Authentication failed".into(),
                ))
            }
            Err(AuthError::Unavailable(detail)) => {
                tracing::warn!(user = name.as_deref().unwrap_or(""), %peer, tls = self.conn.tls, %detail, "login failed: repository unavailable");
                crate::ops::registry().record_login("unavailable");
                Err(Failure::no(
                    "UNAVAILABLE",
                    "The repository is unavailable, try again later",
                ))
            }
            Err(AuthError::AccountUnusable(detail)) => {
                tracing::error!(user = name.as_deref().unwrap_or(""), %peer, tls = self.conn.tls, %detail, "login refused: the account cannot be used safely");
                crate::ops::registry().record_login("unusable");
                Err(Failure::no(
                    "UNAVAILABLE",
                    "Your mail account is not set up correctly; ask your administrator",
                ))
            }
        }
    }
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `authzid NUL authcid NUL passwd` (RFC 4616); an authorization identity other than the
/// user's own is refused (no proxy logins).
fn parse_plain(response: &[u8]) -> Result<Credentials, Failure> {
    let mut parts = response.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::bad("Malformed PLAIN response"));
    };
    let authcid = std::str::from_utf8(authcid).map_err(|_| Failure::bad("Invalid user name"))?;
    if !authzid.is_empty() && authzid != authcid.as_bytes() {
        return Err(Failure::No(
            Some(code_named("AUTHORIZATIONFAILED")),
            "Logging in as another user is not supported".into(),
        ));
    }
    let password = std::str::from_utf8(password).map_err(|_| Failure::bad("Invalid password"))?;
    Ok(Credentials::Password {
        user: authcid.to_owned(),
        password: Secret::new(password),
    })
}

/// OAUTHBEARER (`n,a=user,^Aauth=Bearer token^A^A`) or XOAUTH2
/// (`user=...^Aauth=Bearer token^A^A`).
fn parse_bearer(kind: Bearer, response: &[u8]) -> Result<Credentials, Failure> {
    let text =
        std::str::from_utf8(response).map_err(|_| Failure::bad("Invalid bearer response"))?;
    let mut fields = text.split('\u{1}');
    let mut user = None;
    if let Bearer::OAuthBearer = kind {
        let header = fields.next().unwrap_or("");
        for part in header.split(',') {
            if let Some(name) = part.strip_prefix("a=") {
                user = Some(name.replace("=2C", ",").replace("=3D", "="));
            }
        }
    }
    let mut token = None;
    for field in fields {
        if let Some(name) = field.strip_prefix("user=") {
            user = Some(name.to_owned());
        } else if let Some(value) = field.strip_prefix("auth=") {
            let value = value.trim();
            if let Some(bearer) = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
            {
                token = Some(bearer.trim().to_owned());
            }
        }
    }
    let token = token.ok_or_else(|| Failure::bad("No bearer token"))?;
    Ok(Credentials::Bearer {
        user,
        token: Secret::new(token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_responses() {
        let Credentials::Password { user, password } = parse_plain(b"\0alice\0secret").unwrap()
        else {
            panic!()
        };
        assert_eq!(user, "alice");
        assert_eq!(password.expose(), "secret");
        assert!(parse_plain(b"alice\0alice\0pw").is_ok());
        assert!(matches!(
            parse_plain(b"bob\0alice\0pw"),
            Err(Failure::No(..))
        ));
        assert!(matches!(parse_plain(b"alice"), Err(Failure::Bad(..))));
        assert!(matches!(parse_plain(b"\0a\0b\0c"), Err(Failure::Bad(..))));
    }

    #[test]
    fn bearer_responses() {
        let oauth = b"n,a=alice,\x01auth=Bearer tok123\x01\x01";
        let Credentials::Bearer { user, token } = parse_bearer(Bearer::OAuthBearer, oauth).unwrap()
        else {
            panic!()
        };
        assert_eq!(user.as_deref(), Some("alice"));
        assert_eq!(token.expose(), "tok123");
        let x = b"user=bob\x01auth=Bearer abc\x01\x01";
        let Credentials::Bearer { user, token } = parse_bearer(Bearer::XOAuth2, x).unwrap() else {
            panic!()
        };
        assert_eq!(user.as_deref(), Some("bob"));
        assert_eq!(token.expose(), "abc");
        assert!(parse_bearer(Bearer::XOAuth2, b"user=bob\x01\x01").is_err());
    }
}
