//! Splitting the client's byte stream into commands (RFC 3501 §2.2, RFC 7888), without I/O.
//!
//! A command is one or more lines; a line that ends with `{n}`, `{n+}` or `~{n}` announces a
//! literal of `n` bytes that follows it. The [`Framer`] assembles lines and literals into
//! complete messages for the decoder, and stops at every announcement so the caller can
//! decide: keep the literal in memory, stream it elsewhere (a large APPEND spooled to disk), or
//! refuse it. Memory is bounded by [`FramingLimits`]; whatever exceeds them is discarded in a
//! way that never lets literal bytes be read as commands.

use bytes::{Buf, Bytes, BytesMut};

/// Bounds on what one command may hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramingLimits {
    /// The longest line (without literal data), CRLF included.
    pub max_line: usize,
    /// The most bytes one command may hold in memory (lines plus in-memory literals).
    pub max_command: usize,
    /// The most literals one command may announce.
    pub max_literals: usize,
}

impl Default for FramingLimits {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_command: 128 * 1024,
            max_literals: 16,
        }
    }
}

/// What the framer reads next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Commands, with literals.
    Command,
    /// A single line without literals (AUTHENTICATE responses, IDLE's `DONE`).
    Line,
}

/// A literal announced at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announcement {
    /// Its length in bytes.
    pub length: u64,
    /// `{n}`: the client waits for a continuation request before sending it.
    pub synchronizing: bool,
    /// `~{n}`: a literal8 (RFC 3516), which may contain NUL.
    pub binary: bool,
}

/// Why a command was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// A line longer than [`FramingLimits::max_line`].
    LineTooLong,
    /// More bytes than [`FramingLimits::max_command`].
    CommandTooLong,
    /// More literals than [`FramingLimits::max_literals`].
    TooManyLiterals,
    /// A literal length that is not a number we can hold.
    BadLiteralLength,
}

/// The next thing the framer found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// More input is needed.
    NeedMore,
    /// A complete message: a command with its literals (a streamed literal appears as `{0}`),
    /// or one line in [`Mode::Line`].
    Message(Vec<u8>),
    /// A line ended with a literal announcement. Call [`Framer::accept`],
    /// [`Framer::stream`] or [`Framer::refuse`] before asking for the next frame;
    /// [`Framer::message_so_far`] shows the command up to here.
    Literal(Announcement),
    /// Bytes of a literal being streamed (see [`Framer::stream`]).
    LiteralChunk(Bytes),
    /// The streamed literal is complete; the command goes on.
    LiteralEnd,
    /// The command broke a limit and is discarded (the rest of it is skipped safely). The
    /// caller answers with a tagged BAD; `tag` is the command's first token, if any.
    Discarded {
        /// The command's tag, if one could be read.
        tag: Option<Vec<u8>>,
        /// The limit that was broken.
        reason: Overflow,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a line of the current command.
    Line,
    /// An announcement was reported; waiting for the caller's decision.
    Announced(Announcement),
    /// Literal bytes go into the message.
    Inline { remaining: u64 },
    /// Literal bytes go to the caller as chunks.
    Streaming { remaining: u64 },
    /// Literal bytes are thrown away; then the command continues (still discarded) or ends.
    SkipLiteral { remaining: u64, then: After },
    /// The current line is thrown away up to its end (it was too long).
    SkipLine,
}

/// What follows a skipped literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// The command goes on normally (a refused non-synchronizing literal of a command that is
    /// then answered as a whole).
    Continue,
    /// The rest of the command is skipped too.
    SkipCommand,
}

/// The sans-I/O command framer.
#[derive(Debug)]
pub struct Framer {
    limits: FramingLimits,
    mode: Mode,
    input: BytesMut,
    message: Vec<u8>,
    /// Where the current line starts in `message`.
    line_start: usize,
    literals: usize,
    state: State,
    /// The current command is being skipped (it broke a limit or was refused); its lines and
    /// literals are consumed, nothing is reported until it ends.
    skipping: bool,
    /// The tail of a line being skipped, to spot a literal announcement at its end.
    tail: Vec<u8>,
    /// The first bytes of a discarded command, to recover its tag.
    head: Vec<u8>,
    overflow: Option<Overflow>,
    /// Whether the skipped command must be reported (false after a refusal the caller
    /// already answered).
    report: bool,
}

const TAIL: usize = 32;
const HEAD: usize = 128;

impl Framer {
    /// A framer with the given limits, reading commands.
    pub fn new(limits: FramingLimits) -> Self {
        Self {
            limits,
            mode: Mode::Command,
            input: BytesMut::new(),
            message: Vec::new(),
            line_start: 0,
            literals: 0,
            state: State::Line,
            skipping: false,
            tail: Vec::new(),
            head: Vec::new(),
            overflow: None,
            report: true,
        }
    }

    /// Adds bytes read from the client.
    pub fn push(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Switches between commands and single lines; takes effect for the next frame.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// Drops everything buffered (after STARTTLS, bytes sent in clear before the handshake
    /// must never be read as commands).
    pub fn clear_input(&mut self) {
        self.input.clear();
        self.reset_message();
    }

    /// Bytes buffered but not yet framed.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// Whether a command has started but not ended.
    pub fn in_command(&self) -> bool {
        !self.message.is_empty() || self.skipping || self.state != State::Line
    }

    /// The current command up to the last announcement (to see which command it is).
    pub fn message_so_far(&self) -> &[u8] {
        &self.message
    }

    /// Keeps the announced literal in memory, as part of the message.
    pub fn accept(&mut self) {
        if let State::Announced(announcement) = self.state {
            if self.message.len() as u64 + announcement.length > self.limits.max_command as u64 {
                self.state = State::SkipLiteral {
                    remaining: announcement.length,
                    then: After::SkipCommand,
                };
                self.start_skipping(Overflow::CommandTooLong, true);
            } else {
                self.state = State::Inline {
                    remaining: announcement.length,
                };
            }
        }
    }

    /// Hands the announced literal to the caller as [`Frame::LiteralChunk`]s; in the message
    /// it becomes an empty literal (`{0}`).
    pub fn stream(&mut self) {
        if let State::Announced(announcement) = self.state {
            self.replace_announcement_with_empty();
            self.state = State::Streaming {
                remaining: announcement.length,
            };
        }
    }

    /// Refuses the announced literal; the caller has answered the command already. A
    /// synchronizing literal is never sent by the client after a refusal; a
    /// non-synchronizing one is read and thrown away with the rest of the command.
    pub fn refuse(&mut self) {
        if let State::Announced(announcement) = self.state {
            if announcement.synchronizing {
                self.reset_message();
            } else {
                self.state = State::SkipLiteral {
                    remaining: announcement.length,
                    then: After::SkipCommand,
                };
                self.skipping = true;
                self.report = false;
            }
        }
    }

    /// Finds the next frame in the buffered input.
    pub fn next_frame(&mut self) -> Frame {
        loop {
            match self.state {
                State::Announced(announcement) => return Frame::Literal(announcement),
                State::Inline { remaining } => {
                    if self.input.is_empty() {
                        return Frame::NeedMore;
                    }
                    let take = remaining.min(self.input.len() as u64) as usize;
                    self.message.extend_from_slice(&self.input[..take]);
                    self.input.advance(take);
                    let remaining = remaining - take as u64;
                    if remaining == 0 {
                        self.state = State::Line;
                        self.line_start = self.message.len();
                    } else {
                        self.state = State::Inline { remaining };
                    }
                }
                State::Streaming { remaining } => {
                    if remaining == 0 {
                        self.state = State::Line;
                        self.line_start = self.message.len();
                        return Frame::LiteralEnd;
                    }
                    if self.input.is_empty() {
                        return Frame::NeedMore;
                    }
                    let take = remaining.min(self.input.len() as u64) as usize;
                    let chunk = self.input.split_to(take).freeze();
                    self.state = State::Streaming {
                        remaining: remaining - take as u64,
                    };
                    return Frame::LiteralChunk(chunk);
                }
                State::SkipLiteral { remaining, then } => {
                    if remaining == 0 {
                        self.state = State::Line;
                        if then == After::Continue {
                            self.skipping = false;
                        }
                        continue;
                    }
                    if self.input.is_empty() {
                        return Frame::NeedMore;
                    }
                    let take = remaining.min(self.input.len() as u64) as usize;
                    self.input.advance(take);
                    self.state = State::SkipLiteral {
                        remaining: remaining - take as u64,
                        then,
                    };
                }
                State::SkipLine => match self.input.iter().position(|&b| b == b'\n') {
                    None => {
                        let len = self.input.len();
                        self.remember_tail(len);
                        self.input.clear();
                        return Frame::NeedMore;
                    }
                    Some(end) => {
                        self.remember_tail(end + 1);
                        self.input.advance(end + 1);
                        let tail = std::mem::take(&mut self.tail);
                        match parse_announcement(line_content(&tail)) {
                            Some(Ok(announcement))
                                if self.mode == Mode::Command && !announcement.synchronizing =>
                            {
                                self.state = State::SkipLiteral {
                                    remaining: announcement.length,
                                    then: After::SkipCommand,
                                };
                            }
                            _ => {
                                if let Some(frame) = self.end_of_skipped_command() {
                                    return frame;
                                }
                            }
                        }
                    }
                },
                State::Line => {
                    if let Some(frame) = self.read_line() {
                        return frame;
                    }
                }
            }
        }
    }

    /// Reads one line of the current command; `None` means "keep going".
    fn read_line(&mut self) -> Option<Frame> {
        let Some(end) = self.input.iter().position(|&b| b == b'\n') else {
            let pending_line = self.message.len() - self.line_start + self.input.len();
            if pending_line > self.limits.max_line {
                self.overflow_line(Overflow::LineTooLong);
                return None;
            }
            return Some(Frame::NeedMore);
        };
        let line_len = self.message.len() - self.line_start + end + 1;
        if line_len > self.limits.max_line {
            self.overflow_line(Overflow::LineTooLong);
            return None;
        }
        if self.skipping {
            let line = self.input.split_to(end + 1);
            return self.after_skipped_line(&line);
        }
        if self.message.len() + end + 1 > self.limits.max_command {
            self.overflow_line(Overflow::CommandTooLong);
            return None;
        }
        self.message.extend_from_slice(&self.input[..end + 1]);
        self.input.advance(end + 1);
        let line = &self.message[self.line_start..];
        if self.mode == Mode::Line {
            let message = std::mem::take(&mut self.message);
            self.reset_message();
            return Some(Frame::Message(message));
        }
        match parse_announcement(line_content(line)) {
            None => {
                let message = std::mem::take(&mut self.message);
                self.reset_message();
                Some(Frame::Message(message))
            }
            Some(Err(())) => {
                self.start_skipping(Overflow::BadLiteralLength, true);
                self.state = State::Line;
                self.end_of_skipped_command()
            }
            Some(Ok(announcement)) => {
                self.literals += 1;
                if self.literals > self.limits.max_literals {
                    self.start_skipping(Overflow::TooManyLiterals, true);
                    if announcement.synchronizing {
                        self.state = State::Line;
                        return self.end_of_skipped_command();
                    }
                    self.state = State::SkipLiteral {
                        remaining: announcement.length,
                        then: After::SkipCommand,
                    };
                    return None;
                }
                self.state = State::Announced(announcement);
                Some(Frame::Literal(announcement))
            }
        }
    }

    /// A line of a command being skipped has been read.
    fn after_skipped_line(&mut self, line: &[u8]) -> Option<Frame> {
        match parse_announcement(line_content(line)) {
            Some(Ok(announcement)) if !announcement.synchronizing => {
                self.state = State::SkipLiteral {
                    remaining: announcement.length,
                    then: After::SkipCommand,
                };
                None
            }
            _ => self.end_of_skipped_command(),
        }
    }

    fn overflow_line(&mut self, reason: Overflow) {
        self.start_skipping(reason, true);
        self.state = State::SkipLine;
    }

    fn start_skipping(&mut self, reason: Overflow, report: bool) {
        if !self.skipping {
            let mut head = self.message.clone();
            if head.is_empty() {
                head.extend_from_slice(&self.input[..self.input.len().min(HEAD)]);
            }
            head.truncate(HEAD);
            self.head = head;
            self.overflow = Some(reason);
            self.report = report;
        }
        self.skipping = true;
        self.message.clear();
        self.line_start = 0;
    }

    fn end_of_skipped_command(&mut self) -> Option<Frame> {
        let report = self.report;
        let reason = self.overflow.take();
        let head = std::mem::take(&mut self.head);
        self.reset_message();
        match (report, reason) {
            (true, Some(reason)) => Some(Frame::Discarded {
                tag: first_token(&head),
                reason,
            }),
            _ => None,
        }
    }

    fn remember_tail(&mut self, len: usize) {
        self.tail.extend_from_slice(&self.input[..len]);
        if self.tail.len() > TAIL {
            let cut = self.tail.len() - TAIL;
            self.tail.drain(..cut);
        }
    }

    fn replace_announcement_with_empty(&mut self) {
        let line = &self.message[self.line_start..];
        let content_len = line_content(line).len();
        let Some(open) = line[..content_len].iter().rposition(|&b| b == b'{') else {
            return;
        };
        let start = self.line_start + open;
        self.message.truncate(start);
        self.message.extend_from_slice(b"{0}\r\n");
    }

    fn reset_message(&mut self) {
        self.message.clear();
        self.line_start = 0;
        self.literals = 0;
        self.state = State::Line;
        self.skipping = false;
        self.tail.clear();
        self.head.clear();
        self.overflow = None;
        self.report = true;
    }
}

/// A line without its line ending (CRLF, or a bare LF).
fn line_content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A literal announcement at the end of a line: `None` if there is none, `Err` if the
/// length is unusable.
fn parse_announcement(line: &[u8]) -> Option<Result<Announcement, ()>> {
    let body = line.strip_suffix(b"}")?;
    let (body, plus) = match body.strip_suffix(b"+") {
        Some(body) => (body, true),
        None => (body, false),
    };
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let binary = open > 0 && body[open - 1] == b'~';
    let length = std::str::from_utf8(digits)
        .ok()
        .and_then(|digits| digits.parse::<u64>().ok());
    Some(match length {
        Some(length) => Ok(Announcement {
            length,
            synchronizing: !plus,
            binary,
        }),
        None => Err(()),
    })
}

/// Whether a framed command nests parenthesised lists deeper than `max`. Quoted strings and
/// literal data are skipped; one pass over the bytes, stopping as soon as the limit is broken,
/// so a command of thousands of `(` is refused before any recursive parser sees it.
pub fn nesting_exceeds(message: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b'(' => {
                depth += 1;
                if depth > max {
                    return true;
                }
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < message.len() && message[i] != b'"' {
                    if message[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'{' => i = after_literal(message, i).unwrap_or(i + 1),
            _ => i += 1,
        }
    }
    false
}

/// Where the data of a literal announced at `open` (`{n}`, `{n+}` then a line ending) ends.
fn after_literal(message: &[u8], open: usize) -> Option<usize> {
    // `{` + at most 20 digits + `+` + `}`: looking further would make a line of `{` quadratic.
    let close = open + message[open..].iter().take(23).position(|&b| b == b'}')?;
    let line_end = message.get(close + 1..)?;
    let data = match line_end {
        [b'\r', b'\n', ..] => close + 3,
        [b'\n', ..] => close + 2,
        _ => return None,
    };
    let digits = &message[open + 1..close];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let length: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(data.saturating_add(length).min(message.len()))
}

/// The first space-delimited token of a command (its tag), if it looks like one.
pub fn first_token(message: &[u8]) -> Option<Vec<u8>> {
    let end = message
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(message.len());
    let token = &message[..end];
    let valid = !token.is_empty()
        && token
            .iter()
            .all(|&b| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b));
    valid.then(|| token.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framer() -> Framer {
        Framer::new(FramingLimits {
            max_line: 64,
            max_command: 128,
            max_literals: 2,
        })
    }

    fn message(bytes: &[u8]) -> Frame {
        Frame::Message(bytes.to_vec())
    }

    #[test]
    fn lines_become_messages() {
        let mut f = framer();
        f.push(b"a1 NOOP\r\na2 CAPA");
        assert_eq!(f.next_frame(), message(b"a1 NOOP\r\n"));
        assert_eq!(f.next_frame(), Frame::NeedMore);
        f.push(b"BILITY\r\n");
        assert_eq!(f.next_frame(), message(b"a2 CAPABILITY\r\n"));
        assert_eq!(f.next_frame(), Frame::NeedMore);
    }

    #[test]
    fn synchronizing_literal_waits_for_a_decision() {
        let mut f = framer();
        f.push(b"a LOGIN {5}\r\n");
        let announced = Announcement {
            length: 5,
            synchronizing: true,
            binary: false,
        };
        assert_eq!(f.next_frame(), Frame::Literal(announced));
        assert_eq!(f.message_so_far(), b"a LOGIN {5}\r\n");
        // Asking again without deciding repeats the question.
        assert_eq!(f.next_frame(), Frame::Literal(announced));
        f.accept();
        assert_eq!(f.next_frame(), Frame::NeedMore);
        f.push(b"alice {3+}\r\nabc\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::Literal(Announcement {
                length: 3,
                synchronizing: false,
                binary: false
            })
        );
        f.accept();
        assert_eq!(
            f.next_frame(),
            message(b"a LOGIN {5}\r\nalice {3+}\r\nabc\r\n")
        );
    }

    #[test]
    fn streamed_literal_becomes_empty_in_the_message() {
        let mut f = framer();
        f.push(b"a APPEND INBOX (\\Seen) {10+}\r\n0123");
        assert!(matches!(f.next_frame(), Frame::Literal(_)));
        f.stream();
        assert_eq!(
            f.next_frame(),
            Frame::LiteralChunk(Bytes::from_static(b"0123"))
        );
        assert_eq!(f.next_frame(), Frame::NeedMore);
        f.push(b"456789\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::LiteralChunk(Bytes::from_static(b"456789"))
        );
        assert_eq!(f.next_frame(), Frame::LiteralEnd);
        assert_eq!(
            f.next_frame(),
            message(b"a APPEND INBOX (\\Seen) {0}\r\n\r\n")
        );
    }

    #[test]
    fn literal8_is_recognised() {
        let mut f = framer();
        f.push(b"a APPEND INBOX ~{2}\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::Literal(Announcement {
                length: 2,
                synchronizing: true,
                binary: true
            })
        );
    }

    #[test]
    fn refused_synchronizing_literal_drops_the_command() {
        let mut f = framer();
        f.push(b"a APPEND INBOX {99999}\r\nb NOOP\r\n");
        assert!(matches!(f.next_frame(), Frame::Literal(_)));
        f.refuse();
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn refused_non_synchronizing_literal_is_skipped_with_its_command() {
        let mut f = framer();
        f.push(b"a APPEND INBOX {5+}\r\nhello {3+}\r\nabc\r\nb NOOP\r\n");
        assert!(matches!(f.next_frame(), Frame::Literal(_)));
        f.refuse();
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn too_long_line_is_discarded_with_its_tag() {
        let mut f = framer();
        let mut line = b"t1 NOOP ".to_vec();
        line.extend(std::iter::repeat_n(b'x', 100));
        line.extend_from_slice(b"\r\nt2 NOOP\r\n");
        f.push(&line);
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"t1".to_vec()),
                reason: Overflow::LineTooLong
            }
        );
        assert_eq!(f.next_frame(), message(b"t2 NOOP\r\n"));
    }

    #[test]
    fn too_long_line_arriving_in_pieces_is_discarded() {
        let mut f = framer();
        f.push(b"t1 NOOP ");
        assert_eq!(f.next_frame(), Frame::NeedMore);
        for _ in 0..10 {
            f.push(&[b'x'; 20]);
            let _ = f.next_frame();
        }
        f.push(b"\r\nt2 NOOP\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"t1".to_vec()),
                reason: Overflow::LineTooLong
            }
        );
        assert_eq!(f.next_frame(), message(b"t2 NOOP\r\n"));
    }

    #[test]
    fn over_long_line_announcing_a_non_synchronizing_literal_skips_the_literal() {
        let mut f = framer();
        let mut bytes = b"t1 X ".to_vec();
        bytes.extend(std::iter::repeat_n(b'y', 100));
        bytes.extend_from_slice(b" {4+}\r\nNOOP\r\nt2 NOOP\r\n");
        f.push(&bytes);
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"t1".to_vec()),
                reason: Overflow::LineTooLong
            }
        );
        assert_eq!(f.next_frame(), message(b"t2 NOOP\r\n"));
    }

    #[test]
    fn too_many_literals() {
        let mut f = framer();
        f.push(b"a X {1+}\r\n1 {1+}\r\n2 {1+}\r\n3\r\nb NOOP\r\n");
        for _ in 0..2 {
            assert!(matches!(f.next_frame(), Frame::Literal(_)));
            f.accept();
        }
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"a".to_vec()),
                reason: Overflow::TooManyLiterals
            }
        );
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn accepted_literal_over_the_command_limit_is_discarded() {
        let mut f = framer();
        f.push(b"a X {200+}\r\n");
        assert!(matches!(f.next_frame(), Frame::Literal(_)));
        f.accept();
        f.push(&[b'z'; 200]);
        f.push(b"\r\nb NOOP\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"a".to_vec()),
                reason: Overflow::CommandTooLong
            }
        );
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn unusable_literal_length() {
        let mut f = framer();
        f.push(b"a X {99999999999999999999999}\r\nb NOOP\r\n");
        assert_eq!(
            f.next_frame(),
            Frame::Discarded {
                tag: Some(b"a".to_vec()),
                reason: Overflow::BadLiteralLength
            }
        );
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn line_mode_reads_one_line_without_literals() {
        let mut f = framer();
        f.set_mode(Mode::Line);
        f.push(b"AGFsaWNlAGFsaWNl {5}\r\nDONE\r\n");
        assert_eq!(f.next_frame(), message(b"AGFsaWNlAGFsaWNl {5}\r\n"));
        assert_eq!(f.next_frame(), message(b"DONE\r\n"));
    }

    #[test]
    fn bare_lf_ends_a_line() {
        let mut f = framer();
        f.push(b"a NOOP\nb NOOP\r\n");
        assert_eq!(f.next_frame(), message(b"a NOOP\n"));
        assert_eq!(f.next_frame(), message(b"b NOOP\r\n"));
    }

    #[test]
    fn clear_input_drops_pipelined_bytes() {
        let mut f = framer();
        f.push(b"a STARTTLS\r\nb LOGIN x y\r\n");
        assert_eq!(f.next_frame(), message(b"a STARTTLS\r\n"));
        f.clear_input();
        assert_eq!(f.next_frame(), Frame::NeedMore);
    }

    #[test]
    fn first_token_recovers_tags() {
        assert_eq!(first_token(b"a1 FOO\r\n"), Some(b"a1".to_vec()));
        assert_eq!(first_token(b"4.189 X"), Some(b"4.189".to_vec()));
        assert_eq!(first_token(b"* X"), None);
        assert_eq!(first_token(b"+ X"), None);
        assert_eq!(first_token(b""), None);
        assert_eq!(first_token(b"a\"b X"), None);
    }

    #[test]
    fn nesting_depth_skips_strings_and_literals() {
        assert!(!nesting_exceeds(b"a SEARCH (OR (A) (B))\r\n", 2));
        assert!(nesting_exceeds(b"a SEARCH (OR ((A)) (B))\r\n", 2));
        assert!(!nesting_exceeds(
            b"a SEARCH SUBJECT \"(((\\\"(((\" (X)\r\n",
            1
        ));
        assert!(!nesting_exceeds(b"a SEARCH SUBJECT {4}\r\n((((\r\n", 0));
        assert!(!nesting_exceeds(b"a SEARCH SUBJECT {4+}\n(((( (X)\r\n", 1));
        assert!(nesting_exceeds(b"a SEARCH SUBJECT {x}\r\n((\r\n", 1));
        let deep: Vec<u8> = std::iter::repeat_n(b'(', 10_000).collect();
        assert!(nesting_exceeds(&deep, 16));
        assert!(!nesting_exceeds(b"a X )))))((\r\n", 2));
        assert!(nesting_exceeds(b"a X {99999999999999999999999}\r\n(((", 0));
    }

    #[test]
    fn announcements() {
        let ann = |l: &[u8]| parse_announcement(l);
        assert_eq!(
            ann(b"a X {12}"),
            Some(Ok(Announcement {
                length: 12,
                synchronizing: true,
                binary: false
            }))
        );
        assert_eq!(ann(b"a X {}"), None);
        assert_eq!(ann(b"a X {1a}"), None);
        assert_eq!(ann(b"a X \"}\""), None);
        assert_eq!(ann(b"a X {99999999999999999999999+}"), Some(Err(())));
    }
}
