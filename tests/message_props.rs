//! Property tests of the message module: for generated MIME trees the summary finds exactly the
//! parts that were written (sizes and line counts equal the section bytes), and no input at all
//! makes the parser, the summary, the IMAP conversions, the sections or the metadata panic.

use std::num::NonZeroU32;

use alfresco_imap::message::metadata::{email_metadata, referenced_nodes};
use alfresco_imap::message::section::{self, binary};
use alfresco_imap::message::{MessageSummary, PartKind, PartSummary, summarize};
use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use imap_codec::imap_types::core::{AString, Vec1};
use imap_codec::imap_types::fetch::{MessageDataItem, Part, Section};
use imap_codec::imap_types::response::{Data, Response};
use proptest::prelude::*;

/// A generated MIME tree.
#[derive(Debug, Clone)]
enum Tree {
    Leaf {
        content_type: &'static str,
        body: Vec<String>,
    },
    Multipart {
        subtype: &'static str,
        parts: Vec<Tree>,
    },
    Message {
        subject: String,
        inner: Box<Tree>,
    },
}

fn line() -> impl Strategy<Value = String> {
    // Body lines never start with "--", so they cannot look like boundaries.
    "[a-zA-Z0-9 .,;:=?!]{0,40}".prop_map(|s| format!("x{s}"))
}

fn leaf() -> impl Strategy<Value = Tree> {
    (
        prop::sample::select(vec![
            "text/plain",
            "text/html; charset=utf-8",
            "application/octet-stream",
            "image/png",
        ]),
        prop::collection::vec(line(), 0..6),
    )
        .prop_map(|(content_type, body)| Tree::Leaf { content_type, body })
}

fn tree() -> impl Strategy<Value = Tree> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (
                prop::sample::select(vec!["mixed", "alternative", "related"]),
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(subtype, parts)| Tree::Multipart { subtype, parts }),
            ("[a-z ]{0,20}", inner).prop_map(|(subject, inner)| Tree::Message {
                subject,
                inner: Box::new(inner)
            }),
        ]
    })
}

/// The bytes written for every part, in the order the summary lists them.
struct Written {
    header: Vec<u8>,
    body: Vec<u8>,
}

/// Writes `tree` as a complete entity (header + body); returns the entity and records parts.
fn write(tree: &Tree, depth: &mut usize, parts: &mut Vec<Written>) -> Vec<u8> {
    *depth += 1;
    let id = *depth;
    let index = parts.len();
    parts.push(Written {
        header: Vec::new(),
        body: Vec::new(),
    });
    let (header, body) = match tree {
        Tree::Leaf { content_type, body } => (
            format!("Content-Type: {content_type}\r\n\r\n").into_bytes(),
            body.join("\r\n").into_bytes(),
        ),
        Tree::Multipart {
            subtype,
            parts: children,
        } => {
            let boundary = format!("b{id}-{subtype}");
            let mut body = b"preamble\r\n".to_vec();
            for child in children {
                body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                body.extend(write(child, depth, parts));
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\nepilogue").as_bytes());
            (
                format!("Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n")
                    .into_bytes(),
                body,
            )
        }
        Tree::Message { subject, inner } => {
            let mut body = format!("Subject: {subject}\r\nMIME-Version: 1.0\r\n").into_bytes();
            let entity = write(inner, depth, parts);
            body.extend(entity);
            // The encapsulated message's header starts with the Subject line.
            let inner_part = &mut parts[index + 1];
            let mut header = format!("Subject: {subject}\r\nMIME-Version: 1.0\r\n").into_bytes();
            header.extend_from_slice(&inner_part.header);
            inner_part.header = header;
            (b"Content-Type: message/rfc822\r\n\r\n".to_vec(), body)
        }
    };
    parts[index].header = header.clone();
    parts[index].body = body.clone();
    [header, body].concat()
}

fn message(tree: &Tree) -> (Vec<u8>, Vec<Written>) {
    let mut parts = Vec::new();
    let entity = write(tree, &mut 0, &mut parts);
    let mut msg = b"From: a@example.com\r\nSubject: generated\r\nMIME-Version: 1.0\r\n".to_vec();
    msg.extend_from_slice(&entity);
    parts[0].header = [
        b"From: a@example.com\r\nSubject: generated\r\nMIME-Version: 1.0\r\n".to_vec(),
        parts[0].header.clone(),
    ]
    .concat();
    (msg, parts)
}

fn bytes_of(msg: &[u8], from: u64, to: u64) -> &[u8] {
    &msg[from as usize..to as usize]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_trees_are_found_exactly(tree in tree()) {
        let (msg, written) = message(&tree);
        let summary = summarize(&msg);
        prop_assert_eq!(summary.parts.len(), written.len());
        for (part, expected) in summary.parts.iter().zip(&written) {
            prop_assert_eq!(bytes_of(&msg, part.header_start, part.body_start), &expected.header[..]);
            prop_assert_eq!(bytes_of(&msg, part.body_start, part.body_end), &expected.body[..]);
            let lines = expected.body.iter().filter(|&&b| b == b'\n').count() as u32;
            prop_assert_eq!(part.body_lines, lines);
        }
        check_everything(&msg, &summary);
    }

    #[test]
    fn arbitrary_bytes_never_panic(msg in prop::collection::vec(any::<u8>(), 0..600)) {
        let summary = summarize(&msg);
        check_everything(&msg, &summary);
    }

    #[test]
    fn mime_like_fragments_never_panic(pieces in prop::collection::vec(prop::sample::select(vec![
        "--b\r\n", "--b--\r\n", "--c\n", "\r\n", "\n", "\r", " ", "x", "=?utf-8?q?=C3?=",
        "Content-Type: multipart/mixed; boundary=b\r\n",
        "Content-Type: multipart/digest; boundary=c\n",
        "Content-Type: message/rfc822\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Disposition: attachment; filename*0*=a; filename*1=b\r\n",
        "From: \"a\" <b@c>, (x) d@e, g: h@i;\r\n", "Subject: s\r\n", "\0", "\u{e9}",
    ]), 0..60)) {
        let msg = pieces.concat().into_bytes();
        let summary = summarize(&msg);
        check_everything(&msg, &summary);
    }
}

/// Every answer can be computed, encoded, and agrees with the bytes.
fn check_everything(msg: &[u8], summary: &MessageSummary) {
    assert_eq!(summary.size(), msg.len() as u64);
    assert_eq!(
        &MessageSummary::from_bytes(&summary.to_bytes()).unwrap(),
        summary
    );
    for part in &summary.parts {
        assert!(part.header_start <= part.body_start);
        assert!(part.body_start <= part.body_end);
        assert!(part.body_end <= summary.size());
        let body = bytes_of(msg, part.body_start, part.body_end);
        assert_eq!(
            part.body_lines as usize,
            body.iter().filter(|&&b| b == b'\n').count()
        );
    }
    let items = vec![
        MessageDataItem::Body(summary.body_structure(false)),
        MessageDataItem::BodyStructure(summary.body_structure(true)),
        MessageDataItem::Envelope(summary.envelope()),
        MessageDataItem::Rfc822Size(summary.size() as u32),
    ];
    let response = Response::Data(Data::Fetch {
        seq: NonZeroU32::new(1).unwrap(),
        items: Vec1::try_from(items).unwrap(),
    });
    let encoded = ResponseCodec::default().encode(&response).dump();
    assert!(encoded.ends_with(b"\r\n"));

    let names = Vec1::try_from(vec![AString::try_from("subject").unwrap()]).unwrap();
    let mut sections = vec![
        None,
        Some(Section::Header(None)),
        Some(Section::Text(None)),
        Some(Section::HeaderFields(None, names.clone())),
        Some(Section::HeaderFieldsNot(None, names.clone())),
    ];
    for (num, part) in numbered(summary) {
        let p = Part(Vec1::try_from(num.clone()).unwrap());
        let body = section::section_bytes(summary, msg, Some(&Section::Part(p.clone())), None);
        assert_eq!(body.len() as u64, part.body_size());
        sections.push(Some(Section::Mime(p.clone())));
        sections.push(Some(Section::Header(Some(p.clone()))));
        sections.push(Some(Section::Text(Some(p.clone()))));
        sections.push(Some(Section::HeaderFields(Some(p.clone()), names.clone())));
        if let Ok(plan) = binary(summary, &num) {
            let source = bytes_of(msg, plan.range.start, plan.range.end);
            if let (Ok(decoded), Some(size)) = (plan.decode(source), plan.size) {
                assert_eq!(decoded.len() as u64, size);
            }
        }
    }
    for s in &sections {
        let whole = section::section_bytes(summary, msg, s.as_ref(), None);
        let partial = section::section_bytes(
            summary,
            msg,
            s.as_ref(),
            Some((3, NonZeroU32::new(5).unwrap())),
        );
        assert!(partial.len() <= 5);
        assert_eq!(&whole[whole.len().min(3)..whole.len().min(8)], &partial[..]);
    }
    let _ = email_metadata(msg);
    let _ = referenced_nodes(msg);
}

/// Every part with its IMAP part number.
fn numbered(summary: &MessageSummary) -> Vec<(Vec<NonZeroU32>, &PartSummary)> {
    fn visit<'a>(
        s: &'a MessageSummary,
        part: &'a PartSummary,
        num: Vec<NonZeroU32>,
        out: &mut Vec<(Vec<NonZeroU32>, &'a PartSummary)>,
    ) {
        out.push((num.clone(), part));
        let container = match s.inner_message(part) {
            Some(inner) if inner.kind != PartKind::Multipart => {
                let mut n = num.clone();
                n.push(NonZeroU32::MIN);
                visit(s, inner, n, out);
                return;
            }
            Some(inner) => inner,
            None if part.kind == PartKind::Multipart => part,
            None => return,
        };
        for (i, child) in s.children(container).enumerate() {
            let mut n = num.clone();
            n.push(NonZeroU32::new(i as u32 + 1).unwrap());
            visit(s, child, n, out);
        }
    }
    let mut out = Vec::new();
    let root = summary.root();
    if root.kind == PartKind::Multipart {
        for (i, child) in summary.children(root).enumerate() {
            visit(
                summary,
                child,
                vec![NonZeroU32::new(i as u32 + 1).unwrap()],
                &mut out,
            );
        }
    } else {
        visit(summary, root, vec![NonZeroU32::MIN], &mut out);
    }
    out
}

mod generated_messages {
    use alfresco_imap::message::metadata::email_metadata;
    use alfresco_imap::message::summarize;
    use alfresco_imap::message::virtual_message::{Mailbox, VirtualMessage, VirtualMessageSpec};
    use chrono::{FixedOffset, TimeZone};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn spec(title: &str, name: &str) -> VirtualMessageSpec {
        VirtualMessageSpec {
            node_id: Uuid::parse_str("12345678-9abc-4def-8123-456789abcdef").unwrap(),
            from: Mailbox {
                name: Some(name.to_owned()),
                address: "alfresco@alfresco.org".into(),
            },
            to: vec![Mailbox {
                name: None,
                address: "to@example.com".into(),
            }],
            subject: title.to_owned(),
            date: FixedOffset::east_opt(0)
                .unwrap()
                .with_ymd_and_hms(2024, 1, 2, 3, 4, 5)
                .unwrap(),
            text_body: title.to_owned(),
            html_body: format!("<p>{title}</p>"),
            extra_headers: Vec::new(),
            attachment: None,
        }
    }

    proptest! {
        /// Any title and display name give a well-formed header (lines of at most 78 ASCII
        /// characters, no injected fields) that decodes back to the title without CR, LF, NUL.
        #[test]
        fn titles_round_trip_through_the_header(
            title in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}]{0,150}",
            name in "\\PC{0,40}",
        ) {
            let msg = VirtualMessage::build(&spec(&title, &name));
            let bytes = msg.to_bytes(None).unwrap();
            prop_assert_eq!(msg.summary(), &summarize(&bytes));
            prop_assert_eq!(msg.summary().parts.len(), 3);
            let header_len = msg.summary().header_len() as usize;
            let header = std::str::from_utf8(&bytes[..header_len]).unwrap();
            for line in header.split("\r\n") {
                prop_assert!(line.len() <= 78 && line.is_ascii(), "{}", line);
            }
            let fields: Vec<_> = header
                .split("\r\n")
                .filter(|l| !l.is_empty() && !l.starts_with([' ', '\t']))
                .map(|l| l.split(':').next().unwrap().to_owned())
                .collect();
            prop_assert_eq!(
                fields,
                vec!["MIME-Version", "Date", "From", "To", "Subject", "Message-ID",
                     "X-Alfresco-NodeRef-ID", "Content-Type"]
            );
            let expected: String = title.chars().filter(|&c| c != '\r' && c != '\n').collect();
            let expected = expected.split_whitespace().collect::<Vec<_>>().join(" ");
            let subject = email_metadata(&bytes).subject.unwrap_or_default();
            let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(subject, expected);
        }
    }
}
