//! RFC 822/5322 and MIME token lexer over one header field value.
//!
//! The functions follow the tokenizing rules Dovecot applies when it builds BODYSTRUCTURE and
//! ENVELOPE (comments, folding, quoted pairs, MIME tokens, the obsolete syntax it tolerates), so
//! that our answers agree with Dovecot's on real mail. Every function advances the cursor and
//! reports whether more input follows ([`Step::More`]), the input ended ([`Step::End`]), or the
//! syntax was broken ([`Step::Invalid`]); reading past the end sees a NUL byte, never panics.

/// What a lexer step found after it finished (and skipped the white space behind it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    /// Broken syntax.
    Invalid,
    /// The input ended.
    End,
    /// More input follows.
    More,
}

/// One step of a `; key=value` parameter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    /// A parameter.
    Pair(Vec<u8>, Vec<u8>),
    /// No more input.
    End,
    /// Broken syntax at the cursor.
    Broken,
}

/// UTF-8 of U+FFFD, which replaces NUL bytes inside strings.
pub(crate) const NUL_REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Character classes: 1 = atext, 2 = letters, digits and 8-bit bytes, 4 = atext that is a MIME
/// tspecial (`/`, `=`, `?`).
const fn atext_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || b >= 0x80 {
            2
        } else {
            match b {
                b'/' | b'=' | b'?' => 4,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'^' | b'_'
                | b'`' | b'{' | b'|' | b'}' | b'~' => 1,
                _ => 0,
            }
        };
        c += 1;
    }
    t
}

static ATEXT: [u8; 256] = atext_table();

/// `atext` of RFC 5322 (8-bit bytes included).
pub(crate) fn is_atext(b: u8) -> bool {
    ATEXT[usize::from(b)] != 0
}

/// A MIME `token` character (atext without `/`, `=`, `?`).
fn is_token_char(b: u8) -> bool {
    ATEXT[usize::from(b)] & 3 != 0
}

/// A cursor over one header value.
pub(crate) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    /// The text of the last comment skipped, when the caller wants it.
    pub(crate) last_comment: Option<Vec<u8>>,
    /// Replace NUL bytes in quoted strings, comments and domain literals with U+FFFD.
    pub(crate) replace_nul: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Lexer {
            data,
            pos: 0,
            last_comment: None,
            replace_nul: false,
        }
    }

    /// The byte under the cursor, NUL at the end.
    pub(crate) fn peek(&self) -> u8 {
        self.data.get(self.pos).copied().unwrap_or(0)
    }

    /// Whether the cursor reached the end.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Moves the cursor one byte on.
    pub(crate) fn advance(&mut self) {
        self.pos += 1;
    }

    /// The cursor position, for backtracking.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor back to a saved position.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos;
    }

    fn status(&self) -> Step {
        if self.at_end() { Step::End } else { Step::More }
    }

    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.data.get(from..to).unwrap_or_default()
    }

    /// Appends `data[from..to]` to `out`, the way folding inside strings is removed: a line break
    /// ending at `to` drops its CR.
    fn push_unfolded(&self, out: &mut Vec<u8>, from: usize, to: usize) {
        let mut piece = self.slice(from, to);
        if let [rest @ .., b'\r'] = piece {
            piece = rest;
        }
        out.extend_from_slice(piece);
    }

    /// Skips a (nested) comment; the cursor is on `(`.
    pub(crate) fn skip_comment(&mut self) -> Step {
        let mut level = 1usize;
        let mut comment = self.last_comment.as_ref().map(|_| Vec::new());
        self.pos += 1;
        let mut start = self.pos;
        while self.pos < self.data.len() {
            match self.peek() {
                0 => {
                    if let Some(c) = comment.as_mut().filter(|_| self.replace_nul) {
                        c.extend_from_slice(self.slice(start, self.pos));
                        c.extend_from_slice(NUL_REPLACEMENT);
                        start = self.pos + 1;
                    }
                }
                b'(' => level += 1,
                b')' => {
                    level -= 1;
                    if level == 0 {
                        if let Some(mut c) = comment {
                            c.extend_from_slice(self.slice(start, self.pos));
                            self.last_comment = Some(c);
                        }
                        self.pos += 1;
                        return self.status();
                    }
                }
                b'\n' => {
                    if let Some(c) = comment.as_mut() {
                        self.push_unfolded(c, start, self.pos);
                        start = self.pos + 1;
                    }
                }
                b'\\' => {
                    self.pos += 1;
                    if self.at_end() {
                        return Step::Invalid;
                    }
                    if matches!(self.peek(), b'\r' | b'\n' | 0) {
                        self.pos -= 1;
                    } else {
                        if let Some(c) = comment.as_mut() {
                            c.extend_from_slice(self.slice(start, self.pos - 1));
                        }
                        start = self.pos;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Step::Invalid
    }

    /// Skips white space, line breaks and comments.
    pub(crate) fn skip_lwsp(&mut self) -> Step {
        while !self.at_end() {
            match self.peek() {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => {
                    if self.skip_comment() == Step::Invalid {
                        return Step::Invalid;
                    }
                }
                _ => break,
            }
        }
        self.status()
    }

    /// An atom (atext only).
    pub(crate) fn atom(&mut self, out: &mut Vec<u8>) -> Step {
        if self.at_end() || !is_atext(self.peek()) {
            return Step::Invalid;
        }
        let start = self.pos;
        while !self.at_end() && is_atext(self.peek()) {
            self.pos += 1;
        }
        out.extend_from_slice(self.slice(start, self.pos));
        if self.at_end() {
            Step::End
        } else {
            self.skip_lwsp()
        }
    }

    /// A dot-atom, allowing white space around the dots (RFC 822).
    pub(crate) fn dot_atom(&mut self, out: &mut Vec<u8>) -> Step {
        if self.at_end() || !is_atext(self.peek()) {
            return Step::Invalid;
        }
        let mut start = self.pos;
        self.pos += 1;
        while !self.at_end() {
            if is_atext(self.peek()) {
                self.pos += 1;
                continue;
            }
            if start == self.pos {
                return Step::Invalid;
            }
            out.extend_from_slice(self.slice(start, self.pos));
            let step = self.skip_lwsp();
            if step <= Step::End {
                return step;
            }
            if self.peek() != b'.' {
                return Step::More;
            }
            self.pos += 1;
            out.push(b'.');
            if self.skip_lwsp() <= Step::End {
                return Step::Invalid;
            }
            start = self.pos;
        }
        out.extend_from_slice(self.slice(start, self.pos));
        Step::End
    }

    /// A MIME token (dots allowed, no white space inside); may be empty.
    pub(crate) fn mime_token(&mut self, out: &mut Vec<u8>) -> Step {
        let start = self.pos;
        while !self.at_end() && (is_token_char(self.peek()) || self.peek() == b'.') {
            self.pos += 1;
        }
        out.extend_from_slice(self.slice(start, self.pos));
        if self.at_end() {
            Step::End
        } else {
            self.skip_lwsp()
        }
    }

    /// A quoted string; the cursor is on `"`. Quoting and folding are removed.
    pub(crate) fn quoted_string(&mut self, out: &mut Vec<u8>) -> Step {
        self.pos += 1;
        let mut start = self.pos;
        while !self.at_end() {
            match self.peek() {
                0 if self.replace_nul => {
                    out.extend_from_slice(self.slice(start, self.pos));
                    out.extend_from_slice(NUL_REPLACEMENT);
                    start = self.pos + 1;
                }
                b'"' => {
                    out.extend_from_slice(self.slice(start, self.pos));
                    self.pos += 1;
                    return self.skip_lwsp();
                }
                b'\n' => {
                    self.push_unfolded(out, start, self.pos);
                    start = self.pos + 1;
                }
                b'\\' => {
                    self.pos += 1;
                    if self.at_end() {
                        return Step::Invalid;
                    }
                    if matches!(self.peek(), b'\r' | b'\n' | 0) {
                        self.pos -= 1;
                    } else {
                        out.extend_from_slice(self.slice(start, self.pos - 1));
                        start = self.pos;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Step::Invalid
    }

    /// Atoms and dots, keeping the white space decisions to the caller.
    fn atom_or_dot(&mut self, out: &mut Vec<u8>) -> Step {
        let start = self.pos;
        while !self.at_end() && (is_atext(self.peek()) || self.peek() == b'.') {
            self.pos += 1;
        }
        out.extend_from_slice(self.slice(start, self.pos));
        if self.at_end() {
            Step::End
        } else {
            self.skip_lwsp()
        }
    }

    /// A phrase (display name): words joined by single spaces.
    pub(crate) fn phrase(&mut self, out: &mut Vec<u8>) -> Step {
        if self.at_end() {
            return Step::End;
        }
        if self.peek() == b'.' {
            return Step::Invalid;
        }
        loop {
            let step = if self.peek() == b'"' {
                self.quoted_string(out)
            } else {
                self.atom_or_dot(out)
            };
            if step <= Step::End {
                return step;
            }
            let next = self.peek();
            if !is_atext(next) && next != b'"' && next != b'.' {
                break;
            }
            out.push(b' ');
        }
        self.skip_lwsp()
    }

    /// A domain literal; the cursor is on `[`. Brackets and backslashes are kept.
    fn domain_literal(&mut self, out: &mut Vec<u8>) -> Step {
        let mut start = self.pos;
        self.pos += 1;
        while !self.at_end() {
            match self.peek() {
                0 if self.replace_nul => {
                    out.extend_from_slice(self.slice(start, self.pos));
                    out.extend_from_slice(NUL_REPLACEMENT);
                    start = self.pos + 1;
                }
                b'[' => return Step::Invalid,
                b']' => {
                    out.extend_from_slice(self.slice(start, self.pos + 1));
                    self.pos += 1;
                    return self.skip_lwsp();
                }
                b'\n' => {
                    self.push_unfolded(out, start, self.pos);
                    start = self.pos + 1;
                }
                b'\\' => {
                    self.pos += 1;
                    if self.at_end() {
                        return Step::Invalid;
                    }
                    if matches!(self.peek(), b'\r' | b'\n' | 0) {
                        out.extend_from_slice(self.slice(start, self.pos));
                        start = self.pos;
                        self.pos -= 1;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Step::Invalid
    }

    /// A domain after `@`; the cursor is on `@`.
    pub(crate) fn domain(&mut self, out: &mut Vec<u8>) -> Step {
        self.pos += 1;
        if self.skip_lwsp() <= Step::End {
            return Step::Invalid;
        }
        if self.peek() == b'[' {
            self.domain_literal(out)
        } else {
            self.dot_atom(out)
        }
    }

    /// `type "/" subtype` of a Content-Type value. On broken syntax `out` keeps what could be
    /// read (the type alone, or nothing).
    pub(crate) fn content_type(&mut self, out: &mut Vec<u8>) -> Step {
        let start_len = out.len();
        if self.skip_lwsp() <= Step::End {
            return Step::Invalid;
        }
        if self.mime_token(out) <= Step::End || out.len() == start_len {
            return Step::Invalid;
        }
        if self.peek() != b'/' {
            out.truncate(start_len);
            return Step::Invalid;
        }
        self.pos += 1;
        if self.skip_lwsp() <= Step::End {
            out.truncate(start_len);
            return Step::Invalid;
        }
        out.push(b'/');
        let subtype_start = out.len();
        let step = self.mime_token(out);
        if step == Step::Invalid
            || out.len() == subtype_start
            || (!self.at_end() && self.peek() != b';')
        {
            out.truncate(start_len);
            return Step::Invalid;
        }
        step
    }

    /// One `; attribute = value` parameter.
    pub(crate) fn content_param(&mut self) -> Param {
        if self.at_end() {
            return Param::End;
        }
        if self.peek() != b';' {
            return Param::Broken;
        }
        self.pos += 1;
        if self.skip_lwsp() <= Step::End {
            return Param::Broken;
        }
        let mut key = Vec::new();
        if self.mime_token(&mut key) <= Step::End {
            return Param::Broken;
        }
        if self.peek() != b'=' {
            return Param::Broken;
        }
        self.pos += 1;
        let mut value = Vec::new();
        let step = self.skip_lwsp();
        let step = if step <= Step::End {
            step
        } else if self.peek() == b'"' {
            self.quoted_string(&mut value)
        } else if self.peek() == b'=' {
            // Broken input seen in the wild: name==?utf-8?b?...?=
            while !self.at_end() && !matches!(self.peek(), b';' | b' ' | b'\t' | b'\r' | b'\n') {
                value.push(self.peek());
                self.pos += 1;
            }
            Step::More
        } else {
            self.mime_token(&mut value)
        };
        if step == Step::Invalid {
            Param::Broken
        } else {
            Param::Pair(key, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl Fn(&mut Lexer<'_>, &mut Vec<u8>) -> Step, input: &str) -> (Step, String) {
        let mut lexer = Lexer::new(input.as_bytes());
        let mut out = Vec::new();
        let step = f(&mut lexer, &mut out);
        (step, String::from_utf8(out).unwrap())
    }

    #[test]
    fn content_type_accepts_comments_and_rejects_garbage() {
        let ct = |l: &mut Lexer<'_>, o: &mut Vec<u8>| l.content_type(o);
        assert_eq!(run(ct, "text/plain"), (Step::End, "text/plain".into()));
        assert_eq!(
            run(ct, " text/plain (c) ; x=y"),
            (Step::More, "text/plain".into())
        );
        assert_eq!(run(ct, "text"), (Step::Invalid, "text".into()));
        assert_eq!(run(ct, "/weird"), (Step::Invalid, "".into()));
        assert_eq!(run(ct, "text/plain junk"), (Step::Invalid, "".into()));
    }

    #[test]
    fn phrase_joins_words_and_unquotes() {
        let ph = |l: &mut Lexer<'_>, o: &mut Vec<u8>| l.phrase(o);
        assert_eq!(
            run(ph, r#""Smith, John \"Jack\"" <x>"#).1,
            r#"Smith, John "Jack""#
        );
        assert_eq!(run(ph, "Alice\r\n Example <a@b>").1, "Alice Example");
    }

    #[test]
    fn comments_are_recorded_when_asked() {
        let mut lexer = Lexer::new(b"(a (nested) comment) x");
        lexer.last_comment = Some(Vec::new());
        assert_eq!(lexer.skip_lwsp(), Step::More);
        assert_eq!(
            lexer.last_comment.as_deref(),
            Some(&b"a (nested) comment"[..])
        );
        assert_eq!(Lexer::new(b"(open").skip_lwsp(), Step::Invalid);
    }

    #[test]
    fn params_tolerate_broken_values() {
        let mut lexer = Lexer::new(b"; a=\"q \\\"x\\\"\"; b==?utf-8?q?x?=; c");
        assert_eq!(
            lexer.content_param(),
            Param::Pair(b"a".to_vec(), b"q \"x\"".to_vec())
        );
        assert_eq!(
            lexer.content_param(),
            Param::Pair(b"b".to_vec(), b"=?utf-8?q?x?=".to_vec())
        );
        assert_eq!(lexer.content_param(), Param::Broken);
    }
}
