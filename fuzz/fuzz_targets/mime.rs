//! Arbitrary bytes as a stored message, down the path FETCH takes: the summary (MIME tree,
//! ENVELOPE, BODYSTRUCTURE), its stored form read back, and the bytes of every section and
//! part. Nothing panics; every range lies inside the message; the stored summary reads back
//! equal.

#![no_main]

use std::num::NonZeroU32;

use alfresco_imap::message::section::{locate, select_fields};
use alfresco_imap::message::{MessageSummary, summarize};
use imap_types::fetch::{Part, PartSpecifier, Section};
use libfuzzer_sys::fuzz_target;

fn sections(depth: &[NonZeroU32]) -> Vec<Section<'static>> {
    let part = Part(depth.to_vec().try_into().expect("non-empty"));
    vec![
        Section::Part(part.clone()),
        Section::Header(Some(part.clone())),
        Section::Text(Some(part.clone())),
        Section::Mime(part),
    ]
}

fuzz_target!(|data: &[u8]| {
    let summary = summarize(data);
    let stored = summary.to_bytes();
    let read = MessageSummary::from_bytes(&stored).expect("a stored summary reads back");
    assert_eq!(read, summary);
    let _ = summary.envelope();
    let _ = summary.body_structure(true);
    let _ = summary.body_structure(false);
    let size = data.len() as u64;
    let mut wanted: Vec<Option<Section<'static>>> =
        vec![None, Some(Section::Header(None)), Some(Section::Text(None))];
    for a in 1..=3u32 {
        let a = NonZeroU32::new(a).expect("non-zero");
        for section in sections(&[a]) {
            wanted.push(Some(section));
        }
        for b in 1..=2u32 {
            let b = NonZeroU32::new(b).expect("non-zero");
            for section in sections(&[a, b]) {
                wanted.push(Some(section));
            }
        }
    }
    for section in &wanted {
        let plan = locate(&summary, section.as_ref());
        let range = plan.source();
        assert!(range.start <= range.end && range.end <= size, "{range:?} outside {size}");
        let rendered = plan.render(&data[range.start as usize..range.end as usize]);
        if let Some(len) = plan.known_len() {
            assert_eq!(len, rendered.len() as u64);
        }
    }
    let _ = PartSpecifier::Header;
    let header = &data[..summary.header_len().min(size) as usize];
    let _ = select_fields(header, &[b"Subject".to_vec(), b"FROM".to_vec()], false);
    let _ = select_fields(header, &[b"received".to_vec()], true);
});
