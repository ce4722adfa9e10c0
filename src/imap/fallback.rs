//! A small parser for the command forms real clients send that imap-codec cannot decode:
//! the LIST-EXTENDED (RFC 5258) forms of SPECIAL-USE (RFC 6154), such as iOS Mail's
//! `LIST "" "*" RETURN (SPECIAL-USE)`. It works on the framed bytes, so a literal inside such a
//! command works like anywhere else.

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_types::IntoStatic;
use imap_types::command::Command;
use imap_types::core::Tag;

use super::decode::tag_of;
use super::names::decode_bytes;

/// A command understood by the fallback parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extended {
    /// LIST with selection and return options.
    List {
        /// The command's tag.
        tag: Tag<'static>,
        /// The decoded reference.
        reference: String,
        /// The decoded patterns (RFC 5258 allows several).
        patterns: Vec<String>,
        /// `(SPECIAL-USE)` selection.
        special_use_only: bool,
        /// `(SUBSCRIBED)` selection.
        subscribed_only: bool,
        /// `RETURN (SUBSCRIBED)`.
        return_subscribed: bool,
    },
    /// SEARCH with RETURN options (ESEARCH, RFC 4731; SEARCHRES, RFC 5182).
    Search {
        /// The command without its RETURN options, as imap-codec decoded it.
        command: Command<'static>,
        /// What to return.
        options: SearchReturn,
    },
    /// A command that names the saved search result `$` (RFC 5182): the session puts the
    /// saved set in and decodes it.
    Saved {
        /// The command's tag.
        tag: Tag<'static>,
        /// The command's bytes (RETURN options removed), with `$` where the set goes.
        message: Vec<u8>,
        /// RETURN options of a SEARCH, if any.
        options: Option<SearchReturn>,
    },
}

/// `SEARCH RETURN (...)` options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchReturn {
    /// `MIN`.
    pub min: bool,
    /// `MAX`.
    pub max: bool,
    /// `COUNT`.
    pub count: bool,
    /// `ALL` (also what an empty list means).
    pub all: bool,
    /// `SAVE`: keep the result as `$`.
    pub save: bool,
}

/// Why a command is not one of the understood forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotExtended;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    /// An atom, quoted string or literal's bytes.
    Text(Vec<u8>, bool),
}

/// Parses `message` if it is one of the understood forms.
pub fn parse(message: &[u8]) -> Result<Extended, NotExtended> {
    parse_list(message)
        .or_else(|_| parse_search_return(message))
        .or_else(|_| parse_saved(message, None))
}

/// `tag [UID] SEARCH RETURN (options) criteria`.
fn parse_search_return(message: &[u8]) -> Result<Extended, NotExtended> {
    let tokens = spans(message).ok_or(NotExtended)?;
    let word = |i: usize, want: &[u8]| matches!(tokens.get(i), Some((Token::Text(w, false), _)) if w.eq_ignore_ascii_case(want));
    let search = if word(1, b"SEARCH") {
        2
    } else if word(1, b"UID") && word(2, b"SEARCH") {
        3
    } else {
        return Err(NotExtended);
    };
    if !word(search, b"RETURN") || tokens.get(search + 1).map(|t| &t.0) != Some(&Token::Open) {
        return Err(NotExtended);
    }
    let mut options = SearchReturn::default();
    let mut index = search + 2;
    let close = loop {
        match tokens.get(index) {
            Some((Token::Close, range)) => break range.end,
            Some((Token::Text(option, false), _)) => {
                match option.to_ascii_uppercase().as_slice() {
                    b"MIN" => options.min = true,
                    b"MAX" => options.max = true,
                    b"COUNT" => options.count = true,
                    b"ALL" => options.all = true,
                    b"SAVE" => options.save = true,
                    _ => return Err(NotExtended),
                }
                index += 1;
            }
            _ => return Err(NotExtended),
        }
    };
    if !(options.min || options.max || options.count || options.all || options.save) {
        options.all = true;
    }
    let start = tokens[search].1.start;
    let mut rest = message[..start].to_vec();
    let tail = &message[close..];
    rest.extend_from_slice(tail.strip_prefix(b" ").unwrap_or(tail));
    match CommandCodec::default().decode(&rest) {
        Ok((b"", command)) => Ok(Extended::Search {
            command: command.into_static(),
            options,
        }),
        _ => parse_saved(&rest, Some(options)),
    }
}

/// A command with `$` as a sequence set.
fn parse_saved(message: &[u8], options: Option<SearchReturn>) -> Result<Extended, NotExtended> {
    let tag = tag_of(message).ok_or(NotExtended)?;
    let tokens = spans(message).ok_or(NotExtended)?;
    let dollar = tokens
        .iter()
        .any(|(token, _)| matches!(token, Token::Text(text, false) if text.split(|&b| b == b',').any(|p| p == b"$")));
    if !dollar {
        return Err(NotExtended);
    }
    Ok(Extended::Saved {
        tag,
        message: message.to_vec(),
        options,
    })
}

/// Replaces every unquoted `$` of `message` (RFC 5182): by `uid_key_set` where it is the
/// argument of the search key `UID` (`SEARCH UID $`), by `set` everywhere else (the sequence
/// set of FETCH/STORE/COPY/MOVE, or the plain `$` search key, which RFC 5182 always reads as
/// message sequence numbers, in `UID SEARCH` too).
pub fn substitute_saved(message: &[u8], set: &str, uid_key_set: &str) -> Option<Vec<u8>> {
    let tokens = spans(message)?;
    let mut out = Vec::with_capacity(message.len() + set.len());
    let mut at = 0;
    for (index, (token, range)) in tokens.iter().enumerate() {
        let Token::Text(text, false) = token else {
            continue;
        };
        if !text.split(|&b| b == b',').any(|p| p == b"$") {
            continue;
        }
        let replacement = if is_uid_key(&tokens, index) {
            uid_key_set
        } else {
            set
        };
        out.extend_from_slice(&message[at..range.start]);
        let parts: Vec<&[u8]> = text.split(|&b| b == b',').collect();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if *part == b"$" {
                out.extend_from_slice(replacement.as_bytes());
            } else {
                out.extend_from_slice(part);
            }
        }
        at = range.end;
    }
    out.extend_from_slice(&message[at..]);
    Some(out)
}

/// Whether the token at `index` follows the search key `UID` (and not a key whose string
/// argument happens to be the word `UID`, as in `SUBJECT UID $`).
fn is_uid_key(tokens: &[(Token, std::ops::Range<usize>)], index: usize) -> bool {
    const STRING_KEYS: [&[u8]; 9] = [
        b"BCC",
        b"BODY",
        b"CC",
        b"FROM",
        b"SUBJECT",
        b"TEXT",
        b"TO",
        b"KEYWORD",
        b"UNKEYWORD",
    ];
    let word = |i: usize| match tokens.get(i) {
        Some((Token::Text(text, false), _)) => Some(text.as_slice()),
        _ => None,
    };
    let Some(before) = index.checked_sub(1).and_then(word) else {
        return false;
    };
    if !before.eq_ignore_ascii_case(b"UID") {
        return false;
    }
    // `UID` as the command prefix (`t UID SEARCH $`) is never directly before `$`; a
    // string-taking key right before `UID` makes `UID` that key's argument.
    let argument_of = index.checked_sub(2).and_then(word);
    !argument_of.is_some_and(|key| STRING_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)))
}

fn parse_list(message: &[u8]) -> Result<Extended, NotExtended> {
    let tag = tag_of(message).ok_or(NotExtended)?;
    let tokens = tokenize(message).ok_or(NotExtended)?;
    let mut rest = tokens.iter().skip(1).peekable();
    match rest.next() {
        Some(Token::Text(word, false)) if word.eq_ignore_ascii_case(b"LIST") => {}
        _ => return Err(NotExtended),
    }
    let mut special_use_only = false;
    let mut subscribed_only = false;
    if rest.peek() == Some(&&Token::Open) {
        rest.next();
        for option in options(&mut rest)? {
            match option.to_ascii_uppercase().as_slice() {
                b"SPECIAL-USE" => special_use_only = true,
                b"SUBSCRIBED" => subscribed_only = true,
                _ => return Err(NotExtended),
            }
        }
    }
    let reference = match rest.next() {
        Some(Token::Text(bytes, _)) => decode_bytes(bytes).map_err(|_| NotExtended)?,
        _ => return Err(NotExtended),
    };
    let mut patterns = Vec::new();
    match rest.next() {
        Some(Token::Text(bytes, _)) => patterns.push(decode_bytes(bytes).map_err(|_| NotExtended)?),
        Some(Token::Open) => {
            for pattern in options(&mut rest)? {
                patterns.push(decode_bytes(&pattern).map_err(|_| NotExtended)?);
            }
        }
        _ => return Err(NotExtended),
    }
    let mut return_subscribed = false;
    if let Some(Token::Text(word, false)) = rest.peek() {
        if !word.eq_ignore_ascii_case(b"RETURN") {
            return Err(NotExtended);
        }
        rest.next();
        if rest.next() != Some(&Token::Open) {
            return Err(NotExtended);
        }
        for option in options(&mut rest)? {
            match option.to_ascii_uppercase().as_slice() {
                b"SPECIAL-USE" | b"CHILDREN" => {}
                b"SUBSCRIBED" => return_subscribed = true,
                _ => return Err(NotExtended),
            }
        }
    }
    if rest.next().is_some() || patterns.is_empty() {
        return Err(NotExtended);
    }
    Ok(Extended::List {
        tag,
        reference,
        patterns,
        special_use_only,
        subscribed_only,
        return_subscribed,
    })
}

/// The texts of a parenthesised list, after its `(`.
fn options<'a>(tokens: &mut impl Iterator<Item = &'a Token>) -> Result<Vec<Vec<u8>>, NotExtended> {
    let mut out = Vec::new();
    loop {
        match tokens.next() {
            Some(Token::Close) => return Ok(out),
            Some(Token::Text(bytes, _)) => out.push(bytes.clone()),
            _ => return Err(NotExtended),
        }
    }
}

/// Splits a command into tokens; the bool says whether a text was quoted or a literal.
fn tokenize(message: &[u8]) -> Option<Vec<Token>> {
    Some(
        spans(message)?
            .into_iter()
            .map(|(token, _)| token)
            .collect(),
    )
}

/// Tokens with the byte range each one covers.
fn spans(message: &[u8]) -> Option<Vec<(Token, std::ops::Range<usize>)>> {
    let mut tokens: Vec<(Token, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b' ' | b'\r' | b'\n' => i += 1,
            b'(' => {
                tokens.push((Token::Open, i..i + 1));
                i += 1;
            }
            b')' => {
                tokens.push((Token::Close, i..i + 1));
                i += 1;
            }
            b'"' => {
                let begin = i;
                let mut text = Vec::new();
                i += 1;
                loop {
                    match *message.get(i)? {
                        b'"' => break,
                        b'\\' => {
                            text.push(*message.get(i + 1)?);
                            i += 2;
                        }
                        b'\r' | b'\n' => return None,
                        byte => {
                            text.push(byte);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push((Token::Text(text, true), begin..i));
            }
            b'{' => {
                let begin = i;
                let close = message[i..].iter().position(|&b| b == b'}')? + i;
                let digits = message[i + 1..close]
                    .strip_suffix(b"+")
                    .unwrap_or(&message[i + 1..close]);
                let length: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
                let mut start = close + 1;
                if message.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if message.get(start) != Some(&b'\n') {
                    return None;
                }
                start += 1;
                let end = start.checked_add(length)?;
                tokens.push((
                    Token::Text(message.get(start..end)?.to_vec(), true),
                    begin..end,
                ));
                i = end;
            }
            _ => {
                let start = i;
                while i < message.len() && !b" ()\r\n\"{".contains(&message[i]) {
                    i += 1;
                }
                tokens.push((Token::Text(message[start..i].to_vec(), false), start..i));
            }
        }
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(message: &[u8]) -> Extended {
        parse(message).unwrap()
    }

    #[test]
    fn ios_mail_form() {
        let Extended::List {
            tag,
            reference,
            patterns,
            special_use_only,
            return_subscribed,
            ..
        } = list(b"A3 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n")
        else {
            panic!("not an extended list")
        };
        assert_eq!(tag.as_ref(), "A3");
        assert_eq!(reference, "");
        assert_eq!(patterns, ["*"]);
        assert!(!special_use_only);
        assert!(!return_subscribed);
    }

    #[test]
    fn selection_and_several_patterns_and_literals() {
        let Extended::List {
            patterns,
            special_use_only,
            return_subscribed,
            ..
        } = list(
            b"t LIST (SPECIAL-USE) \"\" (\"INBOX\" {5}\r\nSe&-t) RETURN (CHILDREN SUBSCRIBED)\r\n",
        )
        else {
            panic!("not an extended list")
        };
        assert_eq!(patterns, ["INBOX", "Se&t"]);
        assert!(special_use_only);
        assert!(return_subscribed);
    }

    #[test]
    fn search_return_options() {
        let Extended::Search { command, options } =
            parse(b"t UID SEARCH RETURN (MIN COUNT SAVE) SEEN\r\n").unwrap()
        else {
            panic!("not an extended search")
        };
        assert_eq!(command.tag.as_ref(), "t");
        assert!(options.min && options.count && options.save && !options.all);
        let Extended::Search { options, .. } = parse(b"t SEARCH RETURN () ALL\r\n").unwrap() else {
            panic!()
        };
        assert!(options.all);
        assert_eq!(parse(b"t SEARCH RETURN (BOGUS) ALL\r\n"), Err(NotExtended));
    }

    #[test]
    fn saved_results() {
        let Extended::Saved {
            tag,
            message,
            options,
        } = parse(b"f UID FETCH $ (FLAGS)\r\n").unwrap()
        else {
            panic!()
        };
        assert_eq!(tag.as_ref(), "f");
        assert!(options.is_none());
        assert_eq!(
            substitute_saved(&message, "1:3,7", "9").unwrap(),
            b"f UID FETCH 1:3,7 (FLAGS)\r\n"
        );
        let Extended::Saved {
            message, options, ..
        } = parse(b"s SEARCH RETURN (COUNT) $ SUBJECT \"$\"\r\n").unwrap()
        else {
            panic!()
        };
        assert!(options.unwrap().count);
        assert_eq!(
            substitute_saved(&message, "2", "9").unwrap(),
            b"s SEARCH 2 SUBJECT \"$\"\r\n"
        );
        let Extended::Saved { message, .. } =
            parse(b"u UID SEARCH $ UID $ SUBJECT UID $ OR UID 1,$ $\r\n").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            substitute_saved(&message, "2:3", "7,9").unwrap(),
            b"u UID SEARCH 2:3 UID 7,9 SUBJECT UID 2:3 OR UID 1,7,9 2:3\r\n"
        );
    }

    #[test]
    fn other_commands_are_not_extended() {
        assert_eq!(
            parse(b"t LIST \"\" \"*\" RETURN (STATUS (MESSAGES))\r\n"),
            Err(NotExtended)
        );
        assert_eq!(parse(b"t SELECT INBOX\r\n"), Err(NotExtended));
        assert_eq!(parse(b"t LIST (REMOTE) \"\" *\r\n"), Err(NotExtended));
        assert_eq!(parse(b"t LIST \"\" {99}\r\nab\r\n"), Err(NotExtended));
        assert_eq!(parse(b"t LIST \"unterminated\r\n"), Err(NotExtended));
    }
}
