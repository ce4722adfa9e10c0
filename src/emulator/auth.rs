//! Authentication: reading the `Authorization` header (Basic with user and password, or with a
//! ticket) and the ticket store, which keeps one ticket per user, shared by all their logins and
//! expiring after a period of inactivity.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};

use super::ids::new_ticket;

/// What a request authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Basic base64(user:password)`.
    Password {
        /// User name as sent.
        user: String,
        /// Password.
        password: String,
    },
    /// A ticket (`Basic base64(TICKET_…)`, `base64(":" + ticket)`, `base64("ROLE_TICKET:" + ticket)`
    /// or the `alf_ticket` query parameter).
    Ticket(String),
    /// `Bearer token`: an OAuth access token from the identity provider (Alfresco with the
    /// Identity Service); the emulator accepts the tokens issued through its handle.
    Bearer(String),
}

/// Reads the credentials of a request; `None` when there are none or they are malformed.
pub fn parse_credentials(
    authorization: Option<&str>,
    alf_ticket: Option<&str>,
) -> Option<Credentials> {
    if let Some(header) = authorization {
        let (scheme, value) = header.trim().split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            let token = value.trim();
            return (!token.is_empty()).then(|| Credentials::Bearer(token.to_owned()));
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        return Some(match decoded.split_once(':') {
            None => Credentials::Ticket(decoded),
            Some(("", ticket)) | Some(("ROLE_TICKET", ticket)) => {
                Credentials::Ticket(ticket.to_owned())
            }
            Some((user, password)) => Credentials::Password {
                user: user.to_owned(),
                password: password.to_owned(),
            },
        });
    }
    alf_ticket.map(|t| Credentials::Ticket(t.to_owned()))
}

#[derive(Debug, Clone)]
struct TicketState {
    ticket: String,
    last_used: DateTime<Utc>,
}

/// The ticket store: one ticket per user.
#[derive(Debug)]
pub struct Tickets {
    by_user: HashMap<String, TicketState>,
    expiry: chrono::Duration,
    /// OAuth access tokens the identity provider issued: token → user.
    bearer: HashMap<String, String>,
}

impl Tickets {
    /// A store whose tickets expire after `expiry` without use.
    pub fn new(expiry: Duration) -> Self {
        Self {
            by_user: HashMap::new(),
            expiry: chrono::Duration::from_std(expiry).unwrap_or(chrono::Duration::hours(1)),
            bearer: HashMap::new(),
        }
    }

    fn alive(&self, state: &TicketState, now: DateTime<Utc>) -> bool {
        now - state.last_used < self.expiry
    }

    /// The user's ticket after a successful login: the existing one if still valid, else a new one.
    pub fn issue(&mut self, user: &str, now: DateTime<Utc>) -> String {
        let expiry = self.expiry;
        if let Some(state) = self.by_user.get_mut(user)
            && now - state.last_used < expiry
        {
            state.last_used = now;
            return state.ticket.clone();
        }
        let ticket = new_ticket();
        self.by_user.insert(
            user.to_owned(),
            TicketState {
                ticket: ticket.clone(),
                last_used: now,
            },
        );
        ticket
    }

    /// The user a valid ticket belongs to; using it resets its inactivity timer.
    pub fn validate(&mut self, ticket: &str, now: DateTime<Utc>) -> Option<String> {
        let user = self
            .by_user
            .iter()
            .find(|(_, s)| s.ticket == ticket)
            .map(|(u, _)| u.clone())?;
        let state = self.by_user.get(&user)?.clone();
        if !self.alive(&state, now) {
            self.by_user.remove(&user);
            return None;
        }
        if let Some(s) = self.by_user.get_mut(&user) {
            s.last_used = now;
        }
        Some(user)
    }

    /// A password login also refreshes the user's ticket, if it is still valid.
    pub fn touch_user(&mut self, user: &str, now: DateTime<Utc>) {
        let expiry = self.expiry;
        if let Some(state) = self.by_user.get_mut(user)
            && now - state.last_used < expiry
        {
            state.last_used = now;
        }
    }

    /// The user's current ticket, if they have a valid one (without using it).
    pub fn current(&self, user: &str, now: DateTime<Utc>) -> Option<String> {
        self.by_user
            .get(user)
            .filter(|s| self.alive(s, now))
            .map(|s| s.ticket.clone())
    }

    /// Issues an OAuth access token for `user`, as an identity provider would.
    pub fn issue_bearer(&mut self, user: &str) -> String {
        let token = format!("eyJ{}", new_ticket().trim_start_matches("TICKET_"));
        self.bearer.insert(token.clone(), user.to_owned());
        token
    }

    /// Expires an OAuth access token.
    pub fn expire_bearer(&mut self, token: &str) {
        self.bearer.remove(token);
    }

    /// The user an OAuth access token was issued to, while it is valid.
    pub fn validate_bearer(&self, token: &str) -> Option<String> {
        self.bearer.get(token).cloned()
    }

    /// Invalidates a ticket (logout): every session sharing it is logged out.
    pub fn invalidate(&mut self, ticket: &str) -> bool {
        let before = self.by_user.len();
        self.by_user.retain(|_, s| s.ticket != ticket);
        before != self.by_user.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn b64(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    #[test]
    fn parses_all_credential_forms() {
        assert_eq!(
            parse_credentials(Some(&b64("alice:secret:x")), None),
            Some(Credentials::Password {
                user: "alice".into(),
                password: "secret:x".into()
            })
        );
        assert_eq!(
            parse_credentials(Some(&b64("TICKET_abc")), None),
            Some(Credentials::Ticket("TICKET_abc".into()))
        );
        assert_eq!(
            parse_credentials(Some(&b64(":TICKET_abc")), None),
            Some(Credentials::Ticket("TICKET_abc".into()))
        );
        assert_eq!(
            parse_credentials(Some(&b64("ROLE_TICKET:TICKET_abc")), None),
            Some(Credentials::Ticket("TICKET_abc".into()))
        );
        assert_eq!(
            parse_credentials(Some("Bearer x"), None),
            Some(Credentials::Bearer("x".into()))
        );
        assert_eq!(parse_credentials(Some("Bearer  "), None), None);
        assert_eq!(parse_credentials(Some("Digest x"), None), None);
        assert_eq!(parse_credentials(Some("Basic %%%"), None), None);
        assert_eq!(
            parse_credentials(None, Some("TICKET_q")),
            Some(Credentials::Ticket("TICKET_q".into()))
        );
    }

    #[test]
    fn one_ticket_per_user_expiring_after_inactivity() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut tickets = Tickets::new(Duration::from_secs(3600));
        let a = tickets.issue("alice", t0);
        let t1 = t0 + chrono::Duration::minutes(59);
        assert_eq!(tickets.issue("alice", t1), a);
        let t2 = t1 + chrono::Duration::minutes(59);
        assert_eq!(tickets.validate(&a, t2).as_deref(), Some("alice"));
        let t3 = t2 + chrono::Duration::minutes(60);
        assert_eq!(tickets.validate(&a, t3), None);
        let b = tickets.issue("alice", t3);
        assert_ne!(a, b);
        assert!(tickets.invalidate(&b));
        assert_eq!(tickets.validate(&b, t3), None);
    }
}
