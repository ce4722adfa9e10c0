//! A small parser for the command forms real clients send that imap-codec cannot decode:
//! the LIST-EXTENDED (RFC 5258) forms of SPECIAL-USE (RFC 6154), such as iOS Mail's
//! `LIST "" "*" RETURN (SPECIAL-USE)`. It works on the framed bytes, so a literal inside such a
//! command works like anywhere else.

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
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b' ' | b'\r' | b'\n' => i += 1,
            b'(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            b')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            b'"' => {
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
                tokens.push(Token::Text(text, true));
            }
            b'{' => {
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
                tokens.push(Token::Text(message.get(start..end)?.to_vec(), true));
                i = end;
            }
            _ => {
                let start = i;
                while i < message.len() && !b" ()\r\n\"{".contains(&message[i]) {
                    i += 1;
                }
                tokens.push(Token::Text(message[start..i].to_vec(), false));
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
        } = list(b"A3 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n");
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
        );
        assert_eq!(patterns, ["INBOX", "Se&t"]);
        assert!(special_use_only);
        assert!(return_subscribed);
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
