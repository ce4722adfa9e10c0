//! From framed bytes to session input: imap-codec decodes commands; what it cannot decode
//! gets a tagged BAD with the tag recovered from the bytes.

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_types::IntoStatic;
use imap_types::core::Tag;

use super::fallback;
use super::framing::{Announcement, first_token};
use super::session::{Input, Problem};
use crate::mailbox::MessageBody;

/// Decodes one complete command.
pub fn command(message: &[u8], literal: Option<MessageBody>) -> Input {
    match CommandCodec::default().decode(message) {
        Ok((b"", command)) => Input::Command {
            command: command.into_static(),
            literal,
        },
        _ => match fallback::parse(message) {
            Ok(extended) => Input::Extended(extended),
            Err(_) => Input::Invalid {
                tag: tag_of(message),
                problem: Problem::Syntax,
            },
        },
    }
}

/// The tag of a command that could not be decoded, if it has a valid one.
pub fn tag_of(message: &[u8]) -> Option<Tag<'static>> {
    let token = first_token(message)?;
    Tag::try_from(token).ok().map(IntoStatic::into_static)
}

/// Limits on literals, by command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteralLimits {
    /// The largest APPEND message (APPENDLIMIT).
    pub append_limit: u64,
    /// APPEND messages larger than this are spooled to disk.
    pub spool_threshold: u64,
    /// The largest literal any other command may send.
    pub max_other: u64,
}

/// What to do with an announced literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralDecision {
    /// Keep it in memory with the command.
    Inline,
    /// Stream it to a spool file (a large APPEND).
    Spool,
    /// Refuse it: send this tagged response (and never read the literal as commands).
    Refuse(Vec<u8>),
}

/// Decides about a literal announced by the command so far, on a connection that is
/// `authenticated` or not, when the command may hold `room` more bytes in memory.
///
/// An APPEND before login is refused before its literal: it can only fail, and its bytes must
/// not cost memory or spool space. An APPEND literal that does not fit in `room` is spooled
/// whatever the spool threshold says, so every message up to APPENDLIMIT can be stored.
pub fn literal_decision(
    so_far: &[u8],
    announcement: Announcement,
    limits: &LiteralLimits,
    authenticated: bool,
    room: u64,
) -> LiteralDecision {
    let tag = first_token(so_far).map(|t| String::from_utf8_lossy(&t).into_owned());
    let refuse = |response: &str| match &tag {
        Some(tag) => LiteralDecision::Refuse(format!("{tag} {response}\r\n").into_bytes()),
        None => LiteralDecision::Refuse(format!("* {response}\r\n").into_bytes()),
    };
    let is_append = so_far
        .split(|&b| b == b' ')
        .nth(1)
        .is_some_and(|word| word.eq_ignore_ascii_case(b"APPEND"));
    if is_append {
        if !authenticated {
            return refuse("BAD Log in first");
        }
        if announcement.length > limits.append_limit {
            return refuse("NO [TOOBIG] Message too large");
        }
        if announcement.length > limits.spool_threshold || announcement.length > room {
            return LiteralDecision::Spool;
        }
        return LiteralDecision::Inline;
    }
    if announcement.length > limits.max_other {
        return refuse("BAD [LIMIT] Literal too large");
    }
    LiteralDecision::Inline
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: LiteralLimits = LiteralLimits {
        append_limit: 1000,
        spool_threshold: 100,
        max_other: 10,
    };

    fn ann(length: u64) -> Announcement {
        Announcement {
            length,
            synchronizing: true,
            binary: false,
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(
            literal_decision(b"a APPEND INBOX {50}\r\n", ann(50), &LIMITS, true, 10_000),
            LiteralDecision::Inline
        );
        assert_eq!(
            literal_decision(b"a append INBOX {500}\r\n", ann(500), &LIMITS, true, 10_000),
            LiteralDecision::Spool
        );
        assert_eq!(
            literal_decision(
                b"a APPEND INBOX {5000}\r\n",
                ann(5000),
                &LIMITS,
                true,
                10_000
            ),
            LiteralDecision::Refuse(b"a NO [TOOBIG] Message too large\r\n".to_vec())
        );
        assert_eq!(
            literal_decision(b"b LOGIN {50}\r\n", ann(50), &LIMITS, true, 10_000),
            LiteralDecision::Refuse(b"b BAD [LIMIT] Literal too large\r\n".to_vec())
        );
        assert_eq!(
            literal_decision(b"b LOGIN {5}\r\n", ann(5), &LIMITS, true, 10_000),
            LiteralDecision::Inline
        );
        assert_eq!(
            literal_decision(b"a APPEND INBOX {50}\r\n", ann(50), &LIMITS, true, 49),
            LiteralDecision::Spool
        );
        assert_eq!(
            literal_decision(b"c APPEND INBOX {5}\r\n", ann(5), &LIMITS, false, 10_000),
            LiteralDecision::Refuse(b"c BAD Log in first\r\n".to_vec())
        );
    }

    #[test]
    fn undecodable_commands_keep_their_tag() {
        let Input::Invalid { tag, .. } = command(b"x1 FROBNICATE\r\n", None) else {
            panic!("expected an invalid command")
        };
        assert_eq!(tag.unwrap().as_ref(), "x1");
        let Input::Invalid { tag, .. } = command(b"\r\n", None) else {
            panic!()
        };
        assert!(tag.is_none());
    }
}
