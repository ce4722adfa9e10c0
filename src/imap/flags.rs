//! Flags between IMAP syntax and the state store's [`Flags`].

use imap_types::core::Atom;
use imap_types::flag::{Flag, FlagFetch, FlagPerm};

use crate::mailbox::MailboxRights;
use crate::state::Flags;

/// A flag list a client may not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// `\Recent` is set by the server only (RFC 3501 §2.3.2).
    #[error("\\Recent cannot be set by a client")]
    Recent,
    /// An unknown system flag (`\Foo`).
    #[error("unknown system flag \\{0}")]
    UnknownSystemFlag(String),
}

/// Converts a client's flag list.
pub fn from_imap(list: &[Flag<'_>]) -> Result<Flags, FlagError> {
    let mut flags = Flags::default();
    for flag in list {
        match flag {
            Flag::Answered => flags.answered = true,
            Flag::Deleted => flags.deleted = true,
            Flag::Draft => flags.draft = true,
            Flag::Flagged => flags.flagged = true,
            Flag::Seen => flags.seen = true,
            Flag::Extension(_) => {
                let text = flag.to_string();
                let name = text.trim_start_matches('\\');
                if name.eq_ignore_ascii_case("Recent") {
                    return Err(FlagError::Recent);
                }
                return Err(FlagError::UnknownSystemFlag(name.to_owned()));
            }
            Flag::Keyword(atom) => {
                let keyword = atom.as_ref();
                if !flags
                    .keywords
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(keyword))
                {
                    flags.keywords.insert(keyword.to_owned());
                }
            }
        }
    }
    Ok(flags)
}

/// The flags of a message as a FETCH item.
pub fn flags_to_fetch(flags: &Flags, recent: bool) -> Vec<FlagFetch<'static>> {
    let mut out: Vec<FlagFetch<'static>> =
        to_imap(flags).into_iter().map(FlagFetch::Flag).collect();
    if recent {
        out.push(FlagFetch::Recent);
    }
    out
}

/// The flags as an IMAP flag list (system flags first, then keywords).
pub fn to_imap(flags: &Flags) -> Vec<Flag<'static>> {
    let mut out = Vec::new();
    if flags.answered {
        out.push(Flag::Answered);
    }
    if flags.flagged {
        out.push(Flag::Flagged);
    }
    if flags.deleted {
        out.push(Flag::Deleted);
    }
    if flags.seen {
        out.push(Flag::Seen);
    }
    if flags.draft {
        out.push(Flag::Draft);
    }
    for keyword in &flags.keywords {
        if let Ok(atom) = Atom::try_from(keyword.clone()) {
            out.push(Flag::Keyword(atom));
        }
    }
    out
}

/// The FLAGS response of a mailbox: the system flags and the keywords in use.
pub fn defined(keywords: impl IntoIterator<Item = String>) -> Vec<Flag<'static>> {
    let mut out = vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ];
    let mut seen: Vec<String> = Vec::new();
    for keyword in keywords {
        if seen.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
            continue;
        }
        if let Ok(atom) = Atom::try_from(keyword.clone()) {
            out.push(Flag::Keyword(atom));
            seen.push(keyword);
        }
    }
    out
}

/// PERMANENTFLAGS for a user: `\Seen` always (reading is theirs), `\Deleted` with the right to
/// delete, the other flags and new keywords (`\*`) with the right to update.
pub fn permanent(rights: &MailboxRights, keywords: &[Flag<'static>]) -> Vec<FlagPerm<'static>> {
    let mut out = Vec::new();
    if rights.update {
        out.push(FlagPerm::Flag(Flag::Answered));
        out.push(FlagPerm::Flag(Flag::Flagged));
    }
    if rights.delete {
        out.push(FlagPerm::Flag(Flag::Deleted));
    }
    out.push(FlagPerm::Flag(Flag::Seen));
    if rights.update {
        out.push(FlagPerm::Flag(Flag::Draft));
        for keyword in keywords {
            if matches!(keyword, Flag::Keyword(_)) {
                out.push(FlagPerm::Flag(keyword.clone()));
            }
        }
        out.push(FlagPerm::Asterisk);
    } else {
        for keyword in crate::state::PRIVATE_KEYWORDS {
            if let Ok(atom) = Atom::try_from(*keyword) {
                out.push(FlagPerm::Flag(Flag::Keyword(atom)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_is_refused() {
        let recent = Flag::try_from("\\Recent").unwrap();
        assert_eq!(from_imap(&[recent]), Err(FlagError::Recent));
    }

    #[test]
    fn keywords_dedupe_case_insensitively() {
        let list = [
            Flag::try_from("$Forwarded").unwrap(),
            Flag::try_from("$forwarded").unwrap(),
            Flag::Seen,
        ];
        let flags = from_imap(&list).unwrap();
        assert!(flags.seen);
        assert_eq!(flags.keywords.len(), 1);
    }
}
