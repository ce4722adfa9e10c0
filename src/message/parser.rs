//! The MIME structure parser: splits a message into parts with exact byte offsets.
//!
//! It follows RFC 2046 and, where mail is broken, the choices Dovecot makes, so that sizes,
//! line counts and part numbers agree with Dovecot's answers:
//! - a boundary line is `--` + boundary at the start of a line; anything may follow it
//!   (`--b--` closes the multipart, even with trailing garbage); boundaries are matched from the
//!   innermost multipart outwards, longest match first, so a nested multipart may reuse its
//!   parent's boundary and a missing closing boundary is closed by an outer one or the end;
//! - the line break before a boundary line belongs to the boundary, not to the part;
//! - a header is ended by an empty line, by the end of input, or by a boundary line of an
//!   enclosing multipart (then the header's last line break goes to the parent);
//! - a multipart needs a boundary parameter and an empty line after its header, otherwise it has
//!   no parts; a part without Content-Type is text/plain, or message/rfc822 inside
//!   multipart/digest; Content-* fields count only in MIME headers (MIME-Version or
//!   Content-Type present, or a part of a multipart);
//! - nesting stops at 100 levels and 10 000 parts; deeper structures stay opaque.
//!
//! The parser works on the message as one byte slice and never panics on any input. The
//! slice may be a memory map of a file: [`summarize_paged`] reports the ranges it has read, so
//! that the caller can let those pages go, and reads the slice from front to back (the part
//! tree first, then line counts and decoded sizes, one part after the other), so a message much
//! larger than memory needs only a window of it resident at a time.

use super::envelope;
use super::header::{self, FieldBuilder};
use super::mime_fields;
use super::summary::{
    EnvelopeFields, MessageSummary, MimeFields, PartKind, PartSummary, SUMMARY_VERSION,
};
use super::transfer;

/// Deepest nesting of parts followed.
const MAX_NESTING: usize = 100;
/// Most parts in one message.
const MAX_PARTS: usize = 10_000;
/// Longest line tail compared against boundaries when a boundary line has no line break.
const BOUNDARY_LINE_MAX: usize = 80 + 4;

/// Computes the summary of a message.
pub fn summarize(message: &[u8]) -> MessageSummary {
    summarize_paged(message, &mut |_| {})
}

/// How much of the message is read between two reports to the pager.
pub const PAGE_WINDOW: usize = 4 * 1024 * 1024;

/// Computes the summary of a message, calling `done_with` with ranges of `message` that have
/// been read and are not needed again soon (they may still be read again: a pager that drops
/// them must keep them readable, as a memory map of a file does).
pub fn summarize_paged(
    message: &[u8],
    done_with: &mut dyn FnMut(std::ops::Range<usize>),
) -> MessageSummary {
    let mut parser = Parser {
        data: message,
        nodes: vec![Node::new(None, 0, 0)],
        boundaries: Vec::new(),
        current: 0,
        pos: 0,
        released: 0,
        done_with,
    };
    parser.run();
    parser.finish()
}

/// The length of the message header (blank line included) if `prefix` holds all of it: what
/// to read with a Range request before a summary exists.
pub fn header_end(prefix: &[u8]) -> Option<u64> {
    let mut pos = 0;
    while pos < prefix.len() {
        let line = header::line_at(prefix, pos);
        if line.newline_len() == 0 {
            return None;
        }
        pos = line.end;
        if line.content_end == line.start {
            return Some(pos as u64);
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    None,
    Text,
    Multipart,
    Message,
}

struct Node {
    parent: Option<usize>,
    depth: usize,
    children: Vec<usize>,
    header_start: usize,
    header_size: usize,
    body_size: usize,
    has_blank_line: bool,
    is_mime: bool,
    flag: Flag,
    digest: bool,
    /// Set when a multipart or message/rfc822 could not be opened.
    opaque: bool,
    seen_content_type: bool,
    boundary: Option<Vec<u8>>,
    mime: MimeFields,
    envelope: Option<EnvelopeFields>,
}

impl Node {
    fn new(parent: Option<usize>, depth: usize, header_start: usize) -> Self {
        Node {
            parent,
            depth,
            children: Vec::new(),
            header_start,
            header_size: 0,
            body_size: 0,
            has_blank_line: false,
            is_mime: false,
            flag: Flag::None,
            digest: false,
            opaque: false,
            seen_content_type: false,
            boundary: None,
            mime: MimeFields::default(),
            envelope: None,
        }
    }

    fn end(&self) -> usize {
        self.header_start + self.header_size + self.body_size
    }
}

struct Boundary {
    text: Vec<u8>,
    node: usize,
}

/// A boundary line found at some line start.
struct Found {
    index: usize,
    closes: bool,
}

enum Next {
    Header,
    BodyToBoundary,
    BodyToEnd,
    BoundaryLineRest,
    Done,
}

struct Parser<'a> {
    data: &'a [u8],
    nodes: Vec<Node>,
    /// Open boundaries, innermost last.
    boundaries: Vec<Boundary>,
    current: usize,
    pos: usize,
    /// Where the last range reported to `done_with` ended.
    released: usize,
    done_with: &'a mut dyn FnMut(std::ops::Range<usize>),
}

impl Parser<'_> {
    /// The parser has read up to `at`: everything a window before it is reported as done.
    fn reached(&mut self, at: usize) {
        let keep_from = at.saturating_sub(PAGE_WINDOW);
        if keep_from >= self.released + PAGE_WINDOW {
            (self.done_with)(self.released..keep_from);
            self.released = keep_from;
        }
    }

    fn run(&mut self) {
        let mut next = Next::Header;
        loop {
            next = match next {
                Next::Header => self.header(),
                Next::BodyToBoundary => self.body_to_boundary(),
                Next::BodyToEnd => {
                    let len = self.data.len().saturating_sub(self.pos);
                    self.add_to_body(len);
                    Next::Done
                }
                Next::BoundaryLineRest => self.boundary_line_rest(),
                Next::Done => break,
            };
        }
        while let Some(parent) = self.nodes[self.current].parent {
            self.finish_current(parent);
        }
    }

    fn node(&mut self) -> &mut Node {
        &mut self.nodes[self.current]
    }

    fn add_to_body(&mut self, len: usize) {
        self.node().body_size += len;
        self.pos += len;
    }

    fn finish_current(&mut self, parent: usize) {
        let size = self.nodes[self.current].header_size + self.nodes[self.current].body_size;
        self.nodes[parent].body_size += size;
        self.current = parent;
    }

    fn total_parts_reached(&self) -> bool {
        self.nodes.len() >= MAX_PARTS
    }

    fn too_deep(&self) -> bool {
        self.nodes[self.current].depth + 1 >= MAX_NESTING
    }

    fn append_child(&mut self, is_mime: bool) {
        let parent = self.current;
        let start = self.nodes[parent].end();
        let depth = self.nodes[parent].depth + 1;
        let mut node = Node::new(Some(parent), depth, start);
        node.is_mime = is_mime;
        self.nodes.push(node);
        let index = self.nodes.len() - 1;
        self.nodes[parent].children.push(index);
        self.current = index;
    }

    /// Whether the line at `at` is a boundary line of an open multipart.
    fn boundary_at(&self, at: usize) -> Option<Found> {
        if self.boundaries.is_empty() || self.total_parts_reached() {
            return None;
        }
        let rest = self.data.get(at..)?;
        let after = rest.strip_prefix(b"--")?;
        let (line, trailing_dashes) = match after.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                let mut line = after.get(..lf).unwrap_or_default();
                if let [head @ .., b'\r'] = line {
                    line = head;
                }
                let dashes = line.len() > 2 && line.ends_with(b"--");
                (line, dashes)
            }
            None => (
                after
                    .get(..after.len().min(BOUNDARY_LINE_MAX))
                    .unwrap_or(after),
                false,
            ),
        };
        let mut best: Option<usize> = None;
        for (i, b) in self.boundaries.iter().enumerate().rev() {
            let len = b.text.len();
            let longer = best.is_none_or(|j| self.boundaries[j].text.len() < len);
            if len <= line.len() && line.starts_with(&b.text) && longer {
                best = Some(i);
                if len == line.len() || (trailing_dashes && len + 2 == line.len()) {
                    break;
                }
            }
        }
        let index = best?;
        let len = self.boundaries[index].text.len();
        let closes = after.get(len..len + 2) == Some(b"--");
        Some(Found { index, closes })
    }

    fn header(&mut self) -> Next {
        let mut builder = FieldBuilder::default();
        let mut continued = false;
        let mut last_newline = 0;
        let mut blank_line_seen = false;
        loop {
            if self.pos >= self.data.len() {
                break;
            }
            let at_blank = matches!(
                self.data.get(self.pos..),
                Some([b'\n', ..] | [b'\r', b'\n', ..])
            );
            if at_blank && !continued && !blank_line_seen {
                self.open_multipart();
            }
            if self.enclosing_boundary_at(self.pos) {
                self.give_newline_to_parent(last_newline);
                break;
            }
            if blank_line_seen {
                break;
            }
            self.reached(self.pos);
            let line = header::line_at(self.data, self.pos);
            let len = line.end - line.start;
            self.node().header_size += len;
            self.pos = line.end;
            last_newline = line.newline_len();
            if !continued && line.content_end == line.start {
                // The blank line ends the header, unless an enclosing boundary follows it
                // directly: then the blank line's break belongs to that boundary.
                self.node().has_blank_line = true;
                blank_line_seen = true;
                continue;
            }
            continued = header::continues(self.data, &line);
            if let Some(field) = builder.push(self.data, &line, continued) {
                self.header_field(&field);
            }
        }
        self.end_of_header()
    }

    /// At the blank line ending a MIME multipart's header, its boundary opens (unless the
    /// nesting is too deep).
    fn open_multipart(&mut self) {
        if !self.node().is_mime {
            return;
        }
        let Some(boundary) = self.node().boundary.take() else {
            return;
        };
        if self.too_deep() {
            self.node().opaque = true;
            self.node().flag = Flag::None;
        } else {
            let node = self.current;
            self.boundaries.push(Boundary {
                text: boundary,
                node,
            });
        }
    }

    /// Whether a boundary of an enclosing multipart (not the current part's own) starts here.
    fn enclosing_boundary_at(&self, at: usize) -> bool {
        self.boundary_at(at)
            .is_some_and(|found| self.boundaries[found.index].node != self.current)
    }

    /// A boundary ended the header: the header's last line break belongs to that boundary,
    /// which is in the parent's body.
    fn give_newline_to_parent(&mut self, newline: usize) {
        if newline == 0 {
            return;
        }
        let current = self.current;
        self.nodes[current].header_size -= newline;
        self.nodes[current].has_blank_line = false;
        if let Some(parent) = self.nodes[current].parent {
            self.nodes[parent].body_size += newline;
        }
    }

    fn header_field(&mut self, field: &header::Field) {
        let is_message_root = self.nodes[self.current]
            .parent
            .is_none_or(|p| self.nodes[p].flag == Flag::Message);
        let node = self.node();
        if field.name.eq_ignore_ascii_case(b"MIME-Version") {
            node.is_mime = true;
        } else if field.name.eq_ignore_ascii_case(b"Content-Type") {
            node.is_mime = true;
            if !node.seen_content_type {
                node.seen_content_type = true;
                let structure = mime_fields::structure_type(&field.value);
                node.flag = if structure.message {
                    Flag::Message
                } else if structure.text {
                    Flag::Text
                } else if structure.multipart {
                    Flag::Multipart
                } else {
                    Flag::None
                };
                node.digest = structure.digest;
                node.boundary = structure.boundary;
            }
        }
        mime_fields::add_field(&mut node.mime, field);
        if is_message_root && envelope::is_envelope_field(&field.name) {
            envelope::add_field(node.envelope.get_or_insert_with(Default::default), field);
        }
    }

    fn end_of_header(&mut self) -> Next {
        let parent_digest = self.nodes[self.current]
            .parent
            .is_some_and(|p| self.nodes[p].digest && self.nodes[p].flag == Flag::Multipart);
        let opened_multipart = self
            .boundaries
            .last()
            .is_some_and(|b| b.node == self.current);
        let node = self.node();
        node.boundary = None;
        if !node.is_mime {
            node.flag = Flag::None;
            node.digest = false;
            node.mime = MimeFields::default();
        }
        if !node.seen_content_type || !node.is_mime {
            node.flag = if parent_digest {
                Flag::Message
            } else {
                Flag::Text
            };
        }
        if opened_multipart {
            return Next::BodyToBoundary;
        }
        if node.flag == Flag::Message {
            if !self.too_deep() && !self.total_parts_reached() {
                self.append_child(false);
                return Next::Header;
            }
            let node = self.node();
            node.flag = Flag::None;
            node.opaque = true;
        }
        if self.boundaries.is_empty() {
            Next::BodyToEnd
        } else {
            Next::BodyToBoundary
        }
    }

    fn body_to_boundary(&mut self) -> Next {
        let start = self.pos;
        let mut line_start = start;
        loop {
            self.reached(line_start);
            if let Some(found) = self.boundary_at(line_start) {
                let (body_end, newline) = if line_start == start {
                    (start, 0)
                } else if line_start >= start + 2 && self.data.get(line_start - 2) == Some(&b'\r') {
                    (line_start - 2, 2)
                } else {
                    (line_start - 1, 1)
                };
                self.add_to_body(body_end - start);
                self.boundary_found(found, newline);
                return Next::BoundaryLineRest;
            }
            match self
                .data
                .get(line_start..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            {
                Some(lf) => line_start += lf + 1,
                None => {
                    let len = self.data.len().saturating_sub(start);
                    self.add_to_body(len);
                    return Next::Done;
                }
            }
        }
    }

    fn boundary_found(&mut self, found: Found, newline: usize) {
        let owner = self.boundaries[found.index].node;
        while self.current != owner {
            match self.nodes[self.current].parent {
                Some(parent) => self.finish_current(parent),
                None => break,
            }
        }
        let len = self.boundaries[found.index].text.len();
        self.boundaries.truncate(if found.closes {
            found.index
        } else {
            found.index + 1
        });
        let line = newline + 2 + len + if found.closes { 2 } else { 0 };
        let line = line.min(self.data.len().saturating_sub(self.pos));
        self.add_to_body(line);
    }

    fn boundary_line_rest(&mut self) -> Next {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            self.add_to_body(rest.len());
            return Next::Done;
        };
        self.add_to_body(lf + 1);
        let ours = self
            .boundaries
            .last()
            .is_some_and(|b| b.node == self.current);
        if ours {
            self.append_child(true);
            Next::Header
        } else if self.boundaries.is_empty() {
            Next::BodyToEnd
        } else {
            Next::BodyToBoundary
        }
    }

    fn finish(mut self) -> MessageSummary {
        let data = self.data;
        (self.done_with)(self.released..self.pos.min(data.len()));
        let nodes = std::mem::take(&mut self.nodes);
        let lines = LineCounts::of(data, &nodes, &mut *self.done_with);
        let binary_sizes = decoded_sizes(data, &nodes, &mut *self.done_with);
        let parts = nodes
            .iter()
            .zip(binary_sizes)
            .map(|(node, binary_size)| {
                let body_start = node.header_start + node.header_size;
                let body_end = body_start + node.body_size;
                let kind = kind_of(node);
                PartSummary {
                    header_start: node.header_start as u64,
                    body_start: body_start as u64,
                    body_end: body_end as u64,
                    body_lines: u32::try_from(lines.between(body_start, body_end))
                        .unwrap_or(u32::MAX),
                    has_blank_line: node.has_blank_line,
                    kind,
                    children: node
                        .children
                        .iter()
                        .filter_map(|&c| u32::try_from(c).ok())
                        .collect(),
                    mime: node.mime.clone(),
                    envelope: node
                        .envelope
                        .clone()
                        .or_else(|| is_message_root(&nodes, node).then(EnvelopeFields::default)),
                    binary_size,
                }
            })
            .collect();
        MessageSummary {
            version: SUMMARY_VERSION,
            size: data.len() as u64,
            parts,
        }
    }
}

/// Line feeds before each part boundary, counted in one pass from the front: the line count of
/// a body is the difference between its end's and its start's (nested bodies overlap, so each
/// is not counted on its own).
struct LineCounts {
    /// Sorted offsets and the line feeds before each.
    before: Vec<(usize, usize)>,
}

impl LineCounts {
    fn of(data: &[u8], nodes: &[Node], done_with: &mut dyn FnMut(std::ops::Range<usize>)) -> Self {
        let mut offsets: Vec<usize> = nodes
            .iter()
            .flat_map(|node| {
                let start = node.header_start + node.header_size;
                [start, start + node.body_size]
            })
            .map(|offset| offset.min(data.len()))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut before = Vec::with_capacity(offsets.len());
        let mut at = 0;
        let mut count = 0;
        for offset in offsets {
            while at < offset {
                let end = offset.min(at + PAGE_WINDOW);
                count += data
                    .get(at..end)
                    .unwrap_or_default()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                done_with(at..end);
                at = end;
            }
            before.push((offset, count));
        }
        Self { before }
    }

    /// Line feeds in `start..end`, both offsets of part boundaries.
    fn between(&self, start: usize, end: usize) -> usize {
        let at = |offset: usize| {
            let i = self.before.partition_point(|&(o, _)| o < offset);
            self.before.get(i).map(|&(_, count)| count).unwrap_or(0)
        };
        at(end).saturating_sub(at(start))
    }
}

/// The decoded size of every part's body (`None` for multiparts and undecodable bodies), each
/// body read once from front to back in windows.
fn decoded_sizes(
    data: &[u8],
    nodes: &[Node],
    done_with: &mut dyn FnMut(std::ops::Range<usize>),
) -> Vec<Option<u64>> {
    nodes
        .iter()
        .map(|node| {
            if kind_of(node) == PartKind::Multipart {
                return None;
            }
            let start = (node.header_start + node.header_size).min(data.len());
            let end = (start + node.body_size).min(data.len());
            let encoding = transfer::TransferEncoding::of(node.mime.encoding.as_ref());
            if encoding == transfer::TransferEncoding::Identity {
                return Some((end - start) as u64);
            }
            let mut decoder = transfer::StreamDecoder::new(encoding);
            let mut counted = transfer::Counted::default();
            let mut at = start;
            while at < end {
                let next = end.min(at + PAGE_WINDOW);
                decoder.push(data.get(at..next).unwrap_or_default(), &mut counted);
                done_with(at..next);
                at = next;
            }
            decoder.finish(&mut counted).then_some(counted.0)
        })
        .collect()
}

fn is_message_root(nodes: &[Node], node: &Node) -> bool {
    node.parent
        .is_none_or(|p| nodes.get(p).is_some_and(|p| p.flag == Flag::Message))
}

fn kind_of(node: &Node) -> PartKind {
    match node.flag {
        Flag::Multipart => PartKind::Multipart,
        Flag::Message => PartKind::Message,
        Flag::Text => PartKind::Text,
        Flag::None => {
            let ty = node.mime.content_type.as_ref().map(|t| t.as_bytes());
            let sub = node
                .mime
                .subtype
                .as_ref()
                .map(|t| t.as_bytes())
                .unwrap_or_default();
            let unopened = match ty {
                Some(t) => {
                    (t.eq_ignore_ascii_case(b"message") && sub.eq_ignore_ascii_case(b"rfc822"))
                        || t.eq_ignore_ascii_case(b"multipart")
                }
                None => node.opaque,
            };
            if unopened || node.opaque && ty.is_none() {
                PartKind::Opaque
            } else if ty.is_none_or(|t| t.eq_ignore_ascii_case(b"text")) {
                PartKind::Text
            } else {
                PartKind::Basic
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(s: &MessageSummary) -> Vec<(u64, u64, u64, u32)> {
        s.parts
            .iter()
            .map(|p| (p.header_start, p.body_start, p.body_end, p.body_lines))
            .collect()
    }

    #[test]
    fn simple_message_has_one_text_part() {
        let msg = b"Subject: x\r\n\r\nHello\r\nWorld\r\n";
        let s = summarize(msg);
        assert_eq!(s.size, msg.len() as u64);
        assert_eq!(offsets(&s), vec![(0, 14, 28, 2)]);
        assert_eq!(s.parts[0].kind, PartKind::Text);
        assert!(s.parts[0].has_blank_line);
    }

    #[test]
    fn multipart_bodies_exclude_the_line_break_before_boundaries() {
        let msg = b"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>\r\n--b--\r\nepi\r\n";
        let s = summarize(msg);
        assert_eq!(s.parts.len(), 3);
        let one = &s.parts[1];
        assert_eq!(&msg[one.body_start as usize..one.body_end as usize], b"one");
        let two = &s.parts[2];
        assert_eq!(
            &msg[two.header_start as usize..two.body_start as usize],
            b"Content-Type: text/html\r\n\r\n"
        );
        assert_eq!(&msg[two.body_start as usize..two.body_end as usize], b"<p>");
        assert_eq!(s.parts[0].body_end, msg.len() as u64);
    }

    #[test]
    fn boundary_in_header_moves_the_line_break_to_the_parent() {
        let msg = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nX-Inner: 1\r\n--b--\r\n";
        let s = summarize(msg);
        let message = &s.parts[1];
        let inner = &s.parts[2];
        assert_eq!(message.kind, PartKind::Message);
        assert_eq!(
            &msg[message.body_start as usize..message.body_end as usize],
            b"X-Inner: 1\r\n"
        );
        assert_eq!(
            &msg[inner.header_start as usize..inner.body_start as usize],
            b"X-Inner: 1"
        );
        assert_eq!(inner.body_start, inner.body_end);
    }

    #[test]
    fn header_end_needs_the_blank_line() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(header_end(b"A: b\r\n c\n\nbody"), Some(10));
        assert_eq!(header_end(b"A: b\r\nB: "), None);
        let msg = b"A: b\r\n\r\nbody";
        assert_eq!(header_end(msg), Some(summarize(msg).header_len()));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for msg in [
            &b""[..],
            b"\r",
            b"\n",
            b"--",
            b"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
            b"Content-Type: message/rfc822\n\n",
            b"a: b\r\n\r",
        ] {
            let s = summarize(msg);
            for p in &s.parts {
                assert!(p.header_start <= p.body_start && p.body_start <= p.body_end);
                assert!(p.body_end <= msg.len() as u64);
            }
        }
    }
}
