//! Header lines and fields of one header block, split the way Dovecot splits them.
//!
//! A physical line ends at LF (the LF belongs to it); a line starting with a space or tab
//! continues the field above; an empty line ends the block. The name is everything before the
//! first colon (white space before the colon removed); the value starts after the colon with its
//! leading white space skipped, and a folded value keeps its line breaks. A line without a colon
//! is a field with an empty name, so it never matches a name a client asks for.

/// Header names longer than this are treated as part of the value (RFC 5322 §2.1.1).
const MAX_NAME_LEN: usize = 1000;

/// One physical line of a header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    /// Offset of the first byte.
    pub(crate) start: usize,
    /// Offset just after the content (before CR LF / LF).
    pub(crate) content_end: usize,
    /// Offset just after the line, its line break included.
    pub(crate) end: usize,
}

impl Line {
    /// Size of the line break (0 when the input ended without one).
    pub(crate) fn newline_len(&self) -> usize {
        self.end - self.content_end
    }
}

/// Splits the line that starts at `start` (which must be inside `data`).
pub(crate) fn line_at(data: &[u8], start: usize) -> Line {
    let rest = data.get(start..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let lf = start + i;
            let content_end = if i > 0 && rest.get(i - 1) == Some(&b'\r') {
                lf - 1
            } else {
                lf
            };
            Line {
                start,
                content_end,
                end: lf + 1,
            }
        }
        None => Line {
            start,
            content_end: data.len(),
            end: data.len(),
        },
    }
}

/// Whether the line after `line` continues the same field.
pub(crate) fn continues(data: &[u8], line: &Line) -> bool {
    line.newline_len() > 0 && matches!(data.get(line.end), Some(b' ' | b'\t'))
}

/// A complete header field (one or more physical lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The name as written (may be empty for a line without colon).
    pub(crate) name: Vec<u8>,
    /// The value: first line after the colon and its white space, then every continuation line
    /// with the line break before it.
    pub(crate) value: Vec<u8>,
    /// Offset of the field's first byte.
    pub(crate) start: usize,
    /// Offset just after the field's last line break.
    pub(crate) end: usize,
}

/// Accumulates the physical lines of a block into fields.
#[derive(Debug, Default)]
pub(crate) struct FieldBuilder {
    current: Option<Field>,
    last_newline: usize,
}

impl FieldBuilder {
    /// Adds a line; returns the field it completes, if `continued_next` says no line follows.
    pub(crate) fn push(&mut self, data: &[u8], line: &Line, continued_next: bool) -> Option<Field> {
        let content = data.get(line.start..line.content_end).unwrap_or_default();
        match self.current.as_mut() {
            Some(field) => {
                field
                    .value
                    .extend_from_slice(newline_bytes(self.last_newline));
                field.value.extend_from_slice(content);
                field.end = line.end;
            }
            None => self.current = Some(first_line_field(content, line)),
        }
        self.last_newline = line.newline_len();
        if continued_next {
            None
        } else {
            self.current.take()
        }
    }
}

fn newline_bytes(len: usize) -> &'static [u8] {
    match len {
        2 => b"\r\n",
        1 => b"\n",
        _ => b"",
    }
}

fn is_lwsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn first_line_field(content: &[u8], line: &Line) -> Field {
    let whole_line = |content: &[u8]| Field {
        name: Vec::new(),
        value: content.to_vec(),
        start: line.start,
        end: line.end,
    };
    let Some(colon) = content.iter().position(|&b| b == b':') else {
        return whole_line(content);
    };
    let mut name_end = colon;
    while name_end > 0 && content.get(name_end - 1).copied().is_some_and(is_lwsp) {
        name_end -= 1;
    }
    if name_end > MAX_NAME_LEN {
        return whole_line(content);
    }
    let value = content.get(colon + 1..).unwrap_or_default();
    let mut skip = value.iter().take_while(|&&b| is_lwsp(b)).count();
    if skip == value.len() && skip > 0 {
        // A value of only white space keeps all but the first blank.
        skip = 1;
    }
    Field {
        name: content.get(..name_end).unwrap_or_default().to_vec(),
        value: value.get(skip..).unwrap_or_default().to_vec(),
        start: line.start,
        end: line.end,
    }
}

/// The fields of the header block `data[start..end]` and whether it ended with an empty line.
pub(crate) fn fields(data: &[u8], start: usize, end: usize) -> (Vec<Field>, Option<Line>) {
    let block = data.get(..end).unwrap_or(data);
    let mut out = Vec::new();
    let mut builder = FieldBuilder::default();
    let mut pos = start;
    let mut continued = false;
    while pos < block.len() {
        let line = line_at(block, pos);
        if !continued && line.content_end == line.start {
            return (out, Some(line));
        }
        continued = continues(block, &line);
        if let Some(field) = builder.push(block, &line, continued) {
            out.push(field);
        }
        pos = line.end;
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_folding_and_trim_the_name() {
        let data = b"Subject :  Hello\r\n  world\r\nNo colon here\r\nX:\r\n\r\nbody";
        let (fields, eoh) = fields(data, 0, data.len());
        let eoh = eoh.unwrap();
        assert_eq!(&data[eoh.start..eoh.end], b"\r\n");
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].name, b"Subject");
        assert_eq!(fields[0].value, b"Hello\r\n  world");
        assert_eq!((fields[0].start, fields[0].end), (0, 27));
        assert_eq!(fields[1].name, b"");
        assert_eq!(fields[1].value, b"No colon here");
        assert_eq!(fields[2].value, b"");
    }

    #[test]
    fn blank_values_keep_all_but_one_space() {
        let data = b"A:   \nB:\tx\n";
        let (fields, eoh) = fields(data, 0, data.len());
        assert!(eoh.is_none());
        assert_eq!(fields[0].value, b"  ");
        assert_eq!(fields[1].value, b"x");
    }

    #[test]
    fn lines_without_newline_end_at_the_input() {
        let line = line_at(b"abc", 0);
        assert_eq!((line.content_end, line.end, line.newline_len()), (3, 3, 0));
        let line = line_at(b"a\r\nb", 0);
        assert_eq!((line.content_end, line.end), (1, 3));
    }
}
