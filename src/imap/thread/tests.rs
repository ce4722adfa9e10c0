//! The threading algorithms on RFC 5256's examples and on the cases real mail has: missing
//! parents, loops in References, duplicate Message-IDs, reply and forward subjects.

use super::*;

/// A message numbered `number`, sent at `sent`, with `subject`, its Message-ID (`None`:
/// none) and a References field.
fn msg(number: u32, sent: i64, subject: &str, id: Option<&str>, refs: &str) -> ThreadMessage {
    let id = id.map(|id| format!("<{id}>"));
    ThreadMessage::new(
        number,
        sent,
        BaseSubject::of(subject),
        id.as_deref().map(str::as_bytes),
        None,
        Some(refs.as_bytes()),
    )
}

fn by_references(messages: &[ThreadMessage]) -> String {
    references(messages).thread_lists()
}

#[test]
fn message_ids_of_a_field() {
    assert_eq!(message_ids(b"<a@b> <c@d>"), ["a@b", "c@d"]);
    assert_eq!(message_ids(b"  <a@b>\r\n <c\r\n @d>"), ["a@b", "c@d"]);
    assert_eq!(message_ids(b"<no-at> <x@y>"), ["x@y"]);
    assert_eq!(message_ids(b"<a <b@c> junk <"), ["b@c"]);
    assert!(message_ids(b"<@x> <x@> <> plain@text").is_empty());
    assert_eq!(
        message_ids(b"Fred's message of Monday <m@x> (comment)"),
        ["m@x"]
    );
}

#[test]
fn in_reply_to_counts_only_without_valid_references() {
    let subject = BaseSubject::default();
    let with = |refs: &[u8]| {
        ThreadMessage::new(
            1,
            0,
            subject.clone(),
            None,
            Some(b"<p@x> <q@x>"),
            Some(refs),
        )
    };
    assert_eq!(with(b"garbage <no-at>").references, ["p@x"]);
    assert_eq!(with(b"<r@x> <s@x>").references, ["r@x", "s@x"]);
    let none = ThreadMessage::new(1, 0, subject, Some(b"bare@id"), None, None);
    assert_eq!(none.message_id, None);
    assert!(none.references.is_empty());
}

#[test]
fn rfc_5256_response_example() {
    // The tree of the example response `(2)(3 6 (4 23)(44 7 96))`, from references.
    let messages = [
        msg(2, 1, "Two", Some("2@x"), ""),
        msg(3, 2, "Three", Some("3@x"), ""),
        msg(6, 3, "Re: Three", Some("6@x"), "<3@x>"),
        msg(4, 4, "Re: Three", Some("4@x"), "<3@x> <6@x>"),
        msg(23, 5, "Re: Three", Some("23@x"), "<3@x> <6@x> <4@x>"),
        msg(44, 6, "Re: Three", Some("44@x"), "<3@x> <6@x>"),
        msg(7, 7, "Re: Three", Some("7@x"), "<3@x> <6@x> <44@x>"),
        msg(96, 8, "Re: Three", Some("96@x"), "<3@x> <6@x> <44@x> <7@x>"),
    ];
    assert_eq!(by_references(&messages), "(2)(3 6 (4 23)(44 7 96))");
}

#[test]
fn dummy_parents() {
    // Two replies to a message that is not there: a dummy holds them (`((3)(5))`).
    let siblings = [
        msg(3, 1, "Plan", Some("3@x"), "<gone@x>"),
        msg(5, 2, "Lunch", Some("5@x"), "<gone@x>"),
    ];
    assert_eq!(by_references(&siblings), "((3)(5))");
    // One reply only: it stands for itself.
    assert_eq!(by_references(&siblings[..1]), "(3)");
    // A missing message in the middle of a chain disappears.
    let chain = [
        msg(1, 1, "Plan", Some("a@x"), ""),
        msg(3, 3, "Re: Plan", Some("c@x"), "<a@x> <b@x>"),
    ];
    assert_eq!(by_references(&chain), "(1 3)");
    // The dummy's place among the threads is its first child's.
    let placed = [
        msg(1, 5, "Early", Some("1@x"), ""),
        msg(2, 9, "Late", Some("2@x"), "<gone@x>"),
        msg(3, 1, "First", Some("3@x"), "<gone@x>"),
    ];
    assert_eq!(by_references(&placed), "((3)(2))(1)");
}

#[test]
fn the_last_reference_is_the_parent() {
    // Message 3 claims that c is a reply to a (step 1A), but c itself names b (step 1B).
    let messages = [
        msg(1, 1, "S1", Some("a@x"), ""),
        msg(2, 2, "S2", Some("b@x"), ""),
        msg(3, 3, "S3", Some("r@x"), "<a@x> <c@x>"),
        msg(4, 4, "S4", Some("c@x"), "<b@x>"),
    ];
    assert_eq!(by_references(&messages), "(1)(2 4 3)");
    // A message without references has no parent, whatever others said.
    let messages = [
        msg(1, 1, "S1", Some("a@x"), ""),
        msg(2, 2, "S2", Some("r@x"), "<a@x> <c@x>"),
        msg(3, 3, "S3", Some("c@x"), ""),
    ];
    assert_eq!(by_references(&messages), "(1)(3 2)");
}

#[test]
fn loops_in_references_are_not_made() {
    let mutual = [
        msg(1, 1, "S1", Some("a@x"), "<b@x>"),
        msg(2, 2, "S2", Some("b@x"), "<a@x>"),
    ];
    assert_eq!(by_references(&mutual), "(2 1)");
    let itself = [msg(1, 1, "S1", Some("a@x"), "<a@x>")];
    assert_eq!(by_references(&itself), "(1)");
    let circular = [msg(1, 1, "S1", Some("m@x"), "<x@x> <y@x> <x@x>")];
    assert_eq!(by_references(&circular), "(1)");
}

#[test]
fn duplicate_message_ids_and_missing_ones() {
    let messages = [
        msg(1, 1, "One", Some("d@x"), ""),
        msg(2, 2, "Two", Some("d@x"), ""),
        msg(3, 3, "Re: One", Some("r@x"), "<d@x>"),
        msg(4, 4, "Four", None, ""),
        msg(5, 5, "Five", None, ""),
    ];
    assert_eq!(by_references(&messages), "(1 3)(2)(4)(5)");
}

#[test]
fn children_by_sent_date_then_mailbox_order() {
    let messages = [
        msg(1, 10, "S", Some("a@x"), ""),
        msg(2, 30, "Re: S", Some("b@x"), "<a@x>"),
        msg(3, 20, "Re: S", Some("c@x"), "<a@x>"),
        msg(4, 20, "Re: S", Some("d@x"), "<a@x>"),
    ];
    assert_eq!(by_references(&messages), "(1 (3)(4)(2))");
}

#[test]
fn threads_with_one_subject_are_gathered() {
    // Replies and forwards join the thread of the message that is neither.
    let replies = [
        msg(1, 1, "Budget", Some("1@x"), ""),
        msg(2, 2, "Re: Budget", Some("2@x"), "<gone@x>"),
        msg(3, 3, "[team] Fwd: budget", Some("3@x"), ""),
    ];
    assert_eq!(by_references(&replies), "(1 (2)(3))");
    // Two that are not replies: a new dummy holds both.
    let originals = [
        msg(1, 1, "Budget", Some("1@x"), ""),
        msg(2, 2, "budget ", Some("2@x"), ""),
    ];
    assert_eq!(by_references(&originals), "((1)(2))");
    // The reply came first: the original takes its place, the reply goes under it.
    let reply_first = [
        msg(1, 1, "Re: Budget", Some("1@x"), ""),
        msg(2, 2, "Budget", Some("2@x"), ""),
    ];
    assert_eq!(by_references(&reply_first), "(2 1)");
    // Two dummies with one subject become one.
    let dummies = [
        msg(3, 3, "Plan", Some("3@x"), "<gone1@x>"),
        msg(5, 5, "Re: Plan", Some("5@x"), "<gone1@x>"),
        msg(7, 7, "Re: Plan", Some("7@x"), "<gone2@x>"),
        msg(8, 8, "Re: Plan", Some("8@x"), "<gone2@x>"),
    ];
    assert_eq!(by_references(&dummies), "((3)(5)(7)(8))");
    // A dummy takes a message of its subject in.
    let into_dummy = [
        msg(1, 1, "Plan", Some("1@x"), ""),
        msg(3, 3, "Re: Plan", Some("3@x"), "<gone@x>"),
        msg(5, 5, "Re: Plan", Some("5@x"), "<gone@x>"),
    ];
    assert_eq!(by_references(&into_dummy), "((1)(3)(5))");
    // Empty subjects are never gathered.
    let empty = [
        msg(1, 1, "", Some("1@x"), ""),
        msg(2, 2, "Re:", Some("2@x"), ""),
    ];
    assert_eq!(by_references(&empty), "(1)(2)");
}

#[test]
fn ordered_subject_threads() {
    let messages = [
        msg(1, 5, "Budget", None, ""),
        msg(2, 1, "Agenda", None, ""),
        msg(3, 3, "Re: budget", None, ""),
        msg(4, 2, "Fwd: Agenda", None, ""),
        msg(5, 4, "[team] Budget", None, ""),
        msg(6, 6, "Lunch", None, "<ignored@x>"),
        msg(7, 3, "Re: budget", None, ""),
    ];
    assert_eq!(
        ordered_subject(&messages).thread_lists(),
        "(2 4)(3 (7)(5)(1))(6)"
    );
    assert_eq!(ordered_subject(&[]).thread_lists(), "");
    assert_eq!(references(&[]).thread_lists(), "");
}

#[test]
fn deep_threads_need_no_deep_recursion() {
    let count = 50_000u32;
    let messages: Vec<ThreadMessage> = (1..=count)
        .map(|n| {
            let id = format!("<{n}@x>");
            let parent = format!("<{}@x>", n - 1);
            ThreadMessage::new(
                n,
                i64::from(n),
                BaseSubject::of("Re: long"),
                Some(id.as_bytes()),
                (n > 1).then_some(parent.as_bytes()),
                None,
            )
        })
        .collect();
    let chain: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    assert_eq!(by_references(&messages), format!("({})", chain.join(" ")));
    // One message naming thousands of ancestors.
    let refs: Vec<String> = (0..20_000).map(|n| format!("<a{n}@x>")).collect();
    let long = [msg(1, 1, "S", Some("m@x"), &refs.join(" "))];
    assert_eq!(by_references(&long), "(1)");
}
