//! STOMP 1.2 frames without I/O: a [`Frame`] type, an encoder and an incremental [`Decoder`]
//! that is fed bytes as they arrive.
//!
//! What the decoder accepts, following the STOMP 1.2 specification:
//! - any number of end-of-lines (`\n` or `\r\n`) before a frame: these are heart-beats, and
//!   ActiveMQ also sends one after every frame's NUL;
//! - header lines ending in `\n` or `\r\n`, split at the first `:`, with the escapes `\\`,
//!   `\n`, `\r` and `\c` undone (except in `CONNECT` and `CONNECTED`, which are never
//!   escaped); any other escape is a protocol error; when a header repeats, the first wins;
//! - a body of exactly `content-length` bytes followed by a NUL, or, without that header, the
//!   bytes up to the first NUL (a JMS text message published over OpenWire, as Alfresco's
//!   events are, reaches a STOMP subscriber without `content-length`).
//!
//! Every frame is bounded by [`FrameLimits`]; a frame over a limit is an error, and the
//! connection cannot be resynchronised after it.

use std::fmt;

/// A STOMP command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Client: open a session.
    Connect,
    /// Client: open a session (the 1.2 synonym of `CONNECT`).
    Stomp,
    /// Client: publish a message.
    Send,
    /// Client: subscribe to a destination.
    Subscribe,
    /// Client: end a subscription.
    Unsubscribe,
    /// Client: acknowledge a message.
    Ack,
    /// Client: refuse a message.
    Nack,
    /// Client: start a transaction.
    Begin,
    /// Client: commit a transaction.
    Commit,
    /// Client: roll back a transaction.
    Abort,
    /// Client: close the session.
    Disconnect,
    /// Server: the session is open.
    Connected,
    /// Server: a message for a subscription.
    Message,
    /// Server: a client frame with a `receipt` header was processed.
    Receipt,
    /// Server: something went wrong; the server closes the connection after it.
    Error,
}

impl Command {
    /// The command as it is written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Connected => "CONNECTED",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// The command named by `name` (case-sensitive, as the specification has it).
    pub fn parse(name: &[u8]) -> Option<Self> {
        const ALL: [Command; 15] = [
            Command::Connect,
            Command::Stomp,
            Command::Send,
            Command::Subscribe,
            Command::Unsubscribe,
            Command::Ack,
            Command::Nack,
            Command::Begin,
            Command::Commit,
            Command::Abort,
            Command::Disconnect,
            Command::Connected,
            Command::Message,
            Command::Receipt,
            Command::Error,
        ];
        ALL.into_iter().find(|c| c.as_str().as_bytes() == name)
    }

    /// Whether header names and values are escaped in this frame (all but `CONNECT` and
    /// `CONNECTED`, STOMP 1.2 "Value Encoding").
    fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Connected)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One STOMP frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command.
    pub command: Command,
    /// The headers in wire order, unescaped; a repeated name keeps every occurrence, and
    /// [`Frame::header`] returns the first.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Frame {
    /// A frame without headers or body.
    pub fn new(command: Command) -> Self {
        Self {
            command,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header_line(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The frame in wire form. Without a `content-length` header the body is terminated by the
    /// NUL alone, so it must not contain one.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let declared = self.header("content-length").is_some();
        if !declared && self.body.contains(&0) {
            return Err(FrameError::NulInBody);
        }
        let escape = self.command.escapes_headers();
        let mut out = Vec::with_capacity(64 + self.body.len());
        out.extend_from_slice(self.command.as_str().as_bytes());
        out.push(b'\n');
        for (name, value) in &self.headers {
            if escape {
                escape_into(name, &mut out);
                out.push(b':');
                escape_into(value, &mut out);
            } else {
                let breaks_line = |s: &str| s.contains(['\n', '\r']);
                if breaks_line(name) || breaks_line(value) || name.contains(':') {
                    return Err(FrameError::Unencodable(name.clone()));
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b':');
                out.extend_from_slice(value.as_bytes());
            }
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out.push(0);
        Ok(out)
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials never reach a log through a frame's Debug form.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if n == "passcode" { "****" } else { v.as_str() };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("Frame")
            .field("command", &self.command)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why bytes could not be decoded, or a frame not encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The command line names no STOMP command.
    #[error("unknown STOMP command {0:?}")]
    UnknownCommand(String),
    /// A header line has no `:`, is not UTF-8, or holds an undefined escape sequence.
    #[error("malformed STOMP header line {0:?}")]
    BadHeader(String),
    /// `content-length` is not a decimal number.
    #[error("invalid content-length {0:?}")]
    BadContentLength(String),
    /// The byte after a `content-length` body is not NUL.
    #[error("the body is not followed by NUL")]
    MissingNul,
    /// The frame is larger than the limits allow.
    #[error("STOMP frame over the limit: {0}")]
    TooLarge(&'static str),
    /// A body with a NUL byte needs a `content-length` header.
    #[error("a body containing NUL needs a content-length header")]
    NulInBody,
    /// A `CONNECT`/`CONNECTED` header cannot be written without escaping.
    #[error("header {0:?} cannot be written in a frame without escaping")]
    Unencodable(String),
}

/// Bounds on what the decoder buffers for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Bytes of the command and header lines together.
    pub max_header_bytes: usize,
    /// Number of header lines.
    pub max_headers: usize,
    /// Bytes of the body.
    pub max_body: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        // Alfresco's events are a few kilobytes; a node with many large properties stays well
        // below a few megabytes.
        Self {
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_body: 8 * 1024 * 1024,
        }
    }
}

/// Turns a byte stream into frames.
#[derive(Debug)]
pub struct Decoder {
    buffer: Vec<u8>,
    limits: FrameLimits,
    /// A decoded head waiting for its body.
    head: Option<Head>,
    /// How far the search for a NUL (a body without `content-length`) has got.
    scanned: usize,
}

#[derive(Debug)]
struct Head {
    command: Command,
    headers: Vec<(String, String)>,
    /// Bytes of the buffer the head takes.
    len: usize,
    content_length: Option<usize>,
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: FrameLimits) -> Self {
        Self {
            buffer: Vec::new(),
            limits,
            head: None,
            scanned: 0,
        }
    }

    /// Adds bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next complete frame, `None` when more bytes are needed. Heart-beats (end-of-lines
    /// between frames) are consumed silently. After an error the stream cannot be resumed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.head.is_none() {
            self.skip_heart_beats();
            match self.read_head()? {
                Some(head) => self.head = Some(head),
                None => return Ok(None),
            }
        }
        let Some(head) = self.head.as_ref() else {
            return Ok(None);
        };
        let body_start = head.len;
        let (body_end, frame_end) = match head.content_length {
            Some(length) => {
                let end = body_start.saturating_add(length);
                if self.buffer.len() <= end {
                    return Ok(None);
                }
                if self.buffer[end] != 0 {
                    return Err(FrameError::MissingNul);
                }
                (end, end + 1)
            }
            None => {
                let from = body_start.max(self.scanned);
                match self.buffer[from..].iter().position(|&b| b == 0) {
                    Some(offset) => (from + offset, from + offset + 1),
                    None => {
                        self.scanned = self.buffer.len();
                        if self.buffer.len() - body_start > self.limits.max_body {
                            return Err(FrameError::TooLarge("body"));
                        }
                        return Ok(None);
                    }
                }
            }
        };
        if body_end - body_start > self.limits.max_body {
            return Err(FrameError::TooLarge("body"));
        }
        let Some(head) = self.head.take() else {
            return Ok(None);
        };
        let body = self.buffer[body_start..body_end].to_vec();
        self.buffer.drain(..frame_end);
        self.scanned = 0;
        Ok(Some(Frame {
            command: head.command,
            headers: head.headers,
            body,
        }))
    }

    fn skip_heart_beats(&mut self) {
        let mut start = 0;
        loop {
            match self.buffer.get(start..start + 1) {
                Some(b"\n") => start += 1,
                Some(b"\r") if self.buffer.get(start + 1) == Some(&b'\n') => start += 2,
                _ => break,
            }
        }
        self.buffer.drain(..start);
    }

    /// Parses the command and headers once the blank line that ends them has arrived.
    fn read_head(&mut self) -> Result<Option<Head>, FrameError> {
        let Some(end) = head_end(&self.buffer) else {
            if self.buffer.len() > self.limits.max_header_bytes {
                return Err(FrameError::TooLarge("headers"));
            }
            return Ok(None);
        };
        if end > self.limits.max_header_bytes {
            return Err(FrameError::TooLarge("headers"));
        }
        let mut lines = self.buffer[..end].split(|&b| b == b'\n').map(strip_cr);
        let command_line = lines.next().unwrap_or_default();
        let command = Command::parse(command_line).ok_or_else(|| {
            FrameError::UnknownCommand(String::from_utf8_lossy(command_line).into_owned())
        })?;
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            if headers.len() == self.limits.max_headers {
                return Err(FrameError::TooLarge("header count"));
            }
            headers.push(parse_header(line, command.escapes_headers())?);
        }
        let content_length = match headers.iter().find(|(n, _)| n == "content-length") {
            None => None,
            Some((_, value)) => {
                let length = value
                    .parse::<usize>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| FrameError::BadContentLength(value.clone()))?;
                if length > self.limits.max_body {
                    return Err(FrameError::TooLarge("body"));
                }
                Some(length)
            }
        };
        Ok(Some(Head {
            command,
            headers,
            len: end,
            content_length,
        }))
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(FrameLimits::default())
    }
}

/// The length of the head (command line, header lines and the blank line), once complete.
fn head_end(buffer: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in buffer.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        let line = strip_cr(&buffer[line_start..i]);
        if line.is_empty() && line_start > 0 {
            return Some(i + 1);
        }
        line_start = i + 1;
    }
    None
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn parse_header(line: &[u8], escaped: bool) -> Result<(String, String), FrameError> {
    let bad = || FrameError::BadHeader(String::from_utf8_lossy(line).into_owned());
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    if escaped {
        Ok((
            unescape(name).ok_or_else(bad)?,
            unescape(value).ok_or_else(bad)?,
        ))
    } else {
        Ok((name.to_owned(), value.to_owned()))
    }
}

/// Undoes STOMP 1.2 header escaping; `None` for an undefined escape sequence.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'c' => out.push(':'),
            '\\' => out.push('\\'),
            _ => return None,
        }
    }
    Some(out)
}

fn escape_into(text: &str, out: &mut Vec<u8>) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' => out.extend_from_slice(b"\\c"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Result<Vec<Frame>, FrameError> {
        let mut decoder = Decoder::default();
        decoder.push(bytes);
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame()? {
            frames.push(frame);
        }
        Ok(frames)
    }

    #[test]
    fn encodes_with_escaped_headers_and_a_nul() {
        let frame = Frame::new(Command::Send)
            .header_line("destination", "/topic/a:b")
            .header_line("x-note", "line1\nline2\r\\end")
            .with_body(b"{\"a\":1}".to_vec());
        assert_eq!(
            frame.encode().unwrap(),
            b"SEND\ndestination:/topic/a\\cb\nx-note:line1\\nline2\\r\\\\end\n\n{\"a\":1}\0"
        );
    }

    #[test]
    fn connect_headers_are_written_as_they_are() {
        let frame = Frame::new(Command::Connect)
            .header_line("accept-version", "1.2")
            .header_line("host", "a\\b");
        assert_eq!(
            frame.encode().unwrap(),
            b"CONNECT\naccept-version:1.2\nhost:a\\b\n\n\0"
        );
        let broken = Frame::new(Command::Connect).header_line("login", "a\nb");
        assert_eq!(
            broken.encode(),
            Err(FrameError::Unencodable("login".into()))
        );
    }

    #[test]
    fn a_nul_in_the_body_needs_content_length() {
        let frame = Frame::new(Command::Send).with_body(b"a\0b".to_vec());
        assert_eq!(frame.encode(), Err(FrameError::NulInBody));
        let frame = frame.header_line("content-length", "3");
        assert_eq!(frame.encode().unwrap(), b"SEND\ncontent-length:3\n\na\0b\0");
    }

    #[test]
    fn decodes_a_message_without_content_length_and_unescapes_headers() {
        let frames = decode_all(
            b"MESSAGE\r\nmessage-id:ID\\cvm-1\\c2\r\ndestination:/topic/alfresco.repo.event2\r\n\
              subscription:0\r\nx:a\\\\b\\nc\\rd\r\n\r\n{\"type\":\"x\"}\0\n",
        )
        .unwrap();
        assert_eq!(frames.len(), 1);
        let frame = &frames[0];
        assert_eq!(frame.command, Command::Message);
        assert_eq!(
            frame.headers,
            vec![
                ("message-id".to_owned(), "ID:vm-1:2".to_owned()),
                (
                    "destination".to_owned(),
                    "/topic/alfresco.repo.event2".to_owned()
                ),
                ("subscription".to_owned(), "0".to_owned()),
                ("x".to_owned(), "a\\b\nc\rd".to_owned()),
            ]
        );
        assert_eq!(frame.body, b"{\"type\":\"x\"}");
    }

    #[test]
    fn decodes_a_body_with_content_length_holding_nul_bytes() {
        let frames = decode_all(b"MESSAGE\ncontent-length:5\n\na\0b\0c\0").unwrap();
        assert_eq!(frames[0].body, b"a\0b\0c");
        assert_eq!(frames[0].header("content-length"), Some("5"));
    }

    #[test]
    fn content_length_must_be_followed_by_nul() {
        assert_eq!(
            decode_all(b"MESSAGE\ncontent-length:2\n\nabc\0"),
            Err(FrameError::MissingNul)
        );
        assert_eq!(
            decode_all(b"MESSAGE\ncontent-length:-1\n\n\0"),
            Err(FrameError::BadContentLength("-1".into()))
        );
        assert_eq!(
            decode_all(b"MESSAGE\ncontent-length:+1\n\na\0"),
            Err(FrameError::BadContentLength("+1".into()))
        );
    }

    #[test]
    fn the_first_of_repeated_headers_wins() {
        let frames = decode_all(b"MESSAGE\nfoo:first\nfoo:second\n\n\0").unwrap();
        assert_eq!(frames[0].header("foo"), Some("first"));
        assert_eq!(frames[0].headers.len(), 2);
    }

    #[test]
    fn connected_headers_are_not_unescaped() {
        let frames =
            decode_all(b"CONNECTED\nversion:1.2\nserver:ActiveMQ/5.17.2\\c\n\n\0").unwrap();
        assert_eq!(frames[0].header("server"), Some("ActiveMQ/5.17.2\\c"));
    }

    #[test]
    fn undefined_escapes_and_lines_without_colon_are_errors() {
        assert_eq!(
            decode_all(b"MESSAGE\nfoo:a\\tb\n\n\0"),
            Err(FrameError::BadHeader("foo:a\\tb".into()))
        );
        assert_eq!(
            decode_all(b"MESSAGE\nfoo:a\\\n\n\0"),
            Err(FrameError::BadHeader("foo:a\\".into()))
        );
        assert_eq!(
            decode_all(b"MESSAGE\nnocolon\n\n\0"),
            Err(FrameError::BadHeader("nocolon".into()))
        );
        assert_eq!(
            decode_all(b"HELLO\n\n\0"),
            Err(FrameError::UnknownCommand("HELLO".into()))
        );
        assert_eq!(
            decode_all(b"message\n\n\0"),
            Err(FrameError::UnknownCommand("message".into()))
        );
    }

    #[test]
    fn heart_beats_between_frames_are_skipped() {
        let mut decoder = Decoder::default();
        decoder.push(b"\n\r\n\n");
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered(), 0);
        decoder.push(b"RECEIPT\nreceipt-id:1\n\n\0\n\nMESSAGE\n\nx\0\r\n");
        assert_eq!(
            decoder.next_frame().unwrap().map(|f| f.command),
            Some(Command::Receipt)
        );
        assert_eq!(
            decoder.next_frame().unwrap().map(|f| f.body),
            Some(b"x".to_vec())
        );
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn a_carriage_return_alone_waits_for_its_line_feed() {
        let mut decoder = Decoder::default();
        decoder.push(b"\r");
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(b"\nRECEIPT\n\n\0");
        assert_eq!(
            decoder.next_frame().unwrap().map(|f| f.command),
            Some(Command::Receipt)
        );
    }

    #[test]
    fn frames_split_at_every_byte_decode_the_same() {
        let wire: &[u8] = b"\nMESSAGE\r\nmessage-id:ID\\c1\r\n\r\n{\"a\":\"b\"}\0\n\
                            MESSAGE\ncontent-length:3\n\n\0\0\0\0\n";
        let whole = decode_all(wire).unwrap();
        assert_eq!(whole.len(), 2);
        let mut decoder = Decoder::default();
        let mut frames = Vec::new();
        for byte in wire {
            decoder.push(std::slice::from_ref(byte));
            while let Some(frame) = decoder.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        assert_eq!(frames, whole);
        assert_eq!(frames[1].body, vec![0, 0, 0]);
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn oversized_frames_are_refused() {
        let limits = FrameLimits {
            max_header_bytes: 32,
            max_headers: 2,
            max_body: 8,
        };
        let decode = |bytes: &[u8]| {
            let mut decoder = Decoder::new(limits);
            decoder.push(bytes);
            decoder.next_frame()
        };
        // Headers that never end.
        assert_eq!(decode(&[b'x'; 33]), Err(FrameError::TooLarge("headers")));
        assert_eq!(
            decode(b"MESSAGE\na:1\nb:2\nc:3\n\n\0"),
            Err(FrameError::TooLarge("header count"))
        );
        // A declared length over the limit is refused before the body arrives.
        assert_eq!(
            decode(b"MESSAGE\ncontent-length:9\n\n"),
            Err(FrameError::TooLarge("body"))
        );
        // A body without a length that grows past the limit without a NUL.
        assert_eq!(
            decode(b"MESSAGE\n\n123456789"),
            Err(FrameError::TooLarge("body"))
        );
        // Exactly at the limits is fine.
        assert_eq!(
            decode(b"MESSAGE\n\n12345678\0").unwrap().map(|f| f.body),
            Some(b"12345678".to_vec())
        );
    }

    #[test]
    fn encoded_frames_decode_to_themselves() {
        let frame = Frame::new(Command::Message)
            .header_line("a:b", "c\\d\ne\rf")
            .header_line("content-length", "4")
            .with_body(b"\0x\0y".to_vec());
        let frames = decode_all(&frame.encode().unwrap()).unwrap();
        assert_eq!(frames, vec![frame]);
    }

    #[test]
    fn debug_hides_the_passcode() {
        let frame = Frame::new(Command::Connect)
            .header_line("login", "ci")
            .header_line("passcode", "s3cret");
        let shown = format!("{frame:?}");
        assert!(shown.contains("****"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
