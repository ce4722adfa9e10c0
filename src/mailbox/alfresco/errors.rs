//! Repository errors as mailbox errors: each REST failure maps to the IMAP answer a user
//! should see.

use crate::alfresco::RestError;
use crate::mailbox::MailboxError;

/// Maps a REST error; 404 becomes `not_found` (the caller knows what was missing).
pub(super) fn mailbox_error(error: RestError, not_found: MailboxError) -> MailboxError {
    if error.is_auth_lost() {
        return MailboxError::LoginExpired;
    }
    match error.status() {
        Some(404) => not_found,
        Some(403) => MailboxError::NoPermission(reason(&error, "the repository refused")),
        Some(409) => MailboxError::AlreadyExists,
        Some(413) => MailboxError::TooBig,
        Some(422) => MailboxError::Cannot(reason(&error, "the repository refused the name")),
        Some(507) => MailboxError::OverQuota,
        Some(400) => MailboxError::Cannot(reason(&error, "the repository refused the request")),
        _ if error.is_transient() || error.status().is_some_and(|s| s >= 500) => {
            MailboxError::Unavailable(error.to_string())
        }
        _ => match &error {
            RestError::Timeout { .. } | RestError::Connect { .. } | RestError::Transport { .. } => {
                MailboxError::Unavailable(error.to_string())
            }
            _ => MailboxError::Internal(error.to_string()),
        },
    }
}

/// The repository's short explanation without its log-correlation number.
fn reason(error: &RestError, fallback: &str) -> String {
    let summary = error.brief_summary().unwrap_or(fallback);
    let text = match summary.split_once(' ') {
        Some((number, rest)) if number.len() == 8 && number.bytes().all(|b| b.is_ascii_digit()) => {
            rest
        }
        _ => summary,
    };
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Shorthand for the common case where a missing node is a missing mailbox.
pub(super) fn folder_error(error: RestError) -> MailboxError {
    mailbox_error(error, MailboxError::NotFound)
}

/// Shorthand for errors about a message node.
pub(super) fn message_error(error: RestError) -> MailboxError {
    mailbox_error(error, MailboxError::MessageGone)
}
