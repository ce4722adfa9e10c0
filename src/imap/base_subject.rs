//! The base subject of RFC 5256 §2.1, shared by SORT SUBJECT and both THREAD algorithms.
//!
//! The subject (RFC 2047 words already decoded) loses its `Re:`/`Fw:`/`Fwd:` leaders,
//! `[blob]` prefixes, `(fwd)` trailers and `[fwd: ...]` wrappers; white space is collapsed.
//! Whether anything marking a reply or forward was removed is what THREAD=REFERENCES calls
//! "a reply or forward".

/// A subject reduced to its base.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaseSubject {
    /// The base subject in the form it is compared in (lower case).
    pub text: String,
    /// A `Re:`/`Fw:`/`Fwd:` leader, a `(fwd)` trailer or a `[fwd: ...]` wrapper was removed.
    pub reply_or_forward: bool,
}

impl BaseSubject {
    /// Extracts the base subject of a decoded subject.
    pub fn of(subject: &str) -> Self {
        let mut reply_or_forward = false;
        // (1) Tabs and line breaks become spaces; runs of spaces become one.
        let mut text = collapse_white_space(subject);
        loop {
            // (2) Trailers: `(fwd)` and white space.
            loop {
                if let Some(rest) = strip_suffix_ignore_case(&text, "(fwd)") {
                    text.truncate(rest.len());
                    reply_or_forward = true;
                } else if text.ends_with(' ') {
                    text.pop();
                } else {
                    break;
                }
            }
            // (3)-(5) Leaders and blobs, until neither is left.
            loop {
                if let Some(rest) = text.strip_prefix(' ') {
                    text = rest.to_owned();
                } else if let Some(rest) = strip_refwd_leader(&text) {
                    text = rest.to_owned();
                    reply_or_forward = true;
                } else if let Some(rest) = strip_blob(&text).filter(|rest| !rest.is_empty()) {
                    text = rest.to_owned();
                } else {
                    break;
                }
            }
            // (6) A `[fwd: ...]` wrapper, then again from (2).
            let unwrapped = strip_prefix_ignore_case(&text, "[fwd:")
                .and_then(|rest| rest.strip_suffix(']'))
                .map(str::to_owned);
            match unwrapped {
                Some(inner) => {
                    text = inner;
                    reply_or_forward = true;
                }
                None => break,
            }
        }
        Self {
            text: text.to_lowercase(),
            reply_or_forward,
        }
    }
}

/// The base subject of a decoded subject, in compared form (SORT SUBJECT).
pub fn base_subject(subject: &str) -> String {
    BaseSubject::of(subject).text
}

fn collapse_white_space(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut space = false;
    for c in subject.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    if space {
        out.push(' ');
    }
    out
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

fn skip_white_space(text: &str) -> &str {
    text.trim_start_matches([' ', '\t'])
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: the rest after one blob.
fn strip_blob(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('[')?;
    let end = rest.find(']')?;
    // BLOBCHAR is any CHAR (US-ASCII, not NUL) but `[` and `]`.
    if !rest[..end]
        .bytes()
        .all(|b| (0x01..=0x7f).contains(&b) && b != b'[')
    {
        return None;
    }
    Some(skip_white_space(&rest[end + 1..]))
}

/// `subj-leader = *subj-blob subj-refwd` with
/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`: the rest after it.
fn strip_refwd_leader(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(after) = strip_blob(rest) {
        rest = after;
    }
    ["re", "fwd", "fw"].iter().find_map(|word| {
        let after = skip_white_space(strip_prefix_ignore_case(rest, word)?);
        let after = strip_blob(after).unwrap_or(after);
        after.strip_prefix(':')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(subject: &str) -> (String, bool) {
        let b = BaseSubject::of(subject);
        (b.text, b.reply_or_forward)
    }

    #[test]
    fn leaders_trailers_and_blobs() {
        assert_eq!(base("Budget"), ("budget".into(), false));
        assert_eq!(base("Re: Budget"), ("budget".into(), true));
        assert_eq!(base("RE: re:Fwd: FW: Budget"), ("budget".into(), true));
        assert_eq!(base("Re [2]: Budget"), ("budget".into(), true));
        assert_eq!(base("[team] Re: Budget"), ("budget".into(), true));
        assert_eq!(base("Re: [team] Budget"), ("budget".into(), true));
        assert_eq!(base("[team]   Budget\t (fwd)"), ("budget".into(), true));
        assert_eq!(base("Budget (FWD) (fwd)  "), ("budget".into(), true));
        assert_eq!(base("[Fwd: Re: Budget]"), ("budget".into(), true));
        assert_eq!(base("[fwd: [fwd: Budget] ]"), ("budget".into(), true));
        assert_eq!(
            base("  Many   spaces\r\n here "),
            ("many spaces here".into(), false)
        );
    }

    #[test]
    fn what_is_not_a_leader_stays() {
        // A blob that is all there is stays: the base would be empty.
        assert_eq!(base("[team]"), ("[team]".into(), false));
        assert_eq!(base("Re: [team]"), ("[team]".into(), true));
        assert_eq!(
            base("Regarding: budget"),
            ("regarding: budget".into(), false)
        );
        assert_eq!(base("Fwdx: budget"), ("fwdx: budget".into(), false));
        assert_eq!(base("Re budget"), ("re budget".into(), false));
        assert_eq!(
            base("Budget (fwd) notes"),
            ("budget (fwd) notes".into(), false)
        );
        assert_eq!(base("[Équipe] budget"), ("[équipe] budget".into(), false));
        assert_eq!(base(""), (String::new(), false));
        assert_eq!(base("Re:"), (String::new(), true));
    }
}
