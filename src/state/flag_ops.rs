//! Flag arithmetic shared by every store: applying a STORE to a set of flags and comparing
//! flag sets, with keywords compared case-insensitively (RFC 3501 §2.3.2) but kept in the
//! spelling a client first used.

use std::collections::BTreeSet;

use super::{FlagOp, Flags};

/// The case-insensitive comparison key of a keyword.
fn fold(keyword: &str) -> String {
    keyword.to_ascii_lowercase()
}

/// `flags` with keywords that differ only in case reduced to one (the first in sort order).
pub(crate) fn normalized(flags: &Flags) -> Flags {
    let mut seen = BTreeSet::new();
    let keywords = flags
        .keywords
        .iter()
        .filter(|k| seen.insert(fold(k)))
        .cloned()
        .collect();
    Flags {
        keywords,
        ..flags.clone()
    }
}

/// Whether two flag sets are equal, keywords compared case-insensitively.
pub(crate) fn same(a: &Flags, b: &Flags) -> bool {
    let folded = |f: &Flags| f.keywords.iter().map(|k| fold(k)).collect::<BTreeSet<_>>();
    a.answered == b.answered
        && a.flagged == b.flagged
        && a.deleted == b.deleted
        && a.seen == b.seen
        && a.draft == b.draft
        && folded(a) == folded(b)
}

/// The result of applying `op` with `requested` to `current`.
///
/// A keyword already present (in any case) keeps its stored spelling, so that asking for a
/// keyword that is already set changes nothing; a new keyword takes the client's spelling.
pub(crate) fn apply(op: FlagOp, current: &Flags, requested: &Flags) -> Flags {
    let current = normalized(current);
    let requested = normalized(requested);
    let present: BTreeSet<String> = current.keywords.iter().map(|k| fold(k)).collect();
    let asked: BTreeSet<String> = requested.keywords.iter().map(|k| fold(k)).collect();
    match op {
        FlagOp::Add => {
            let mut keywords = current.keywords.clone();
            keywords.extend(
                requested
                    .keywords
                    .iter()
                    .filter(|k| !present.contains(&fold(k)))
                    .cloned(),
            );
            Flags {
                answered: current.answered || requested.answered,
                flagged: current.flagged || requested.flagged,
                deleted: current.deleted || requested.deleted,
                seen: current.seen || requested.seen,
                draft: current.draft || requested.draft,
                keywords,
            }
        }
        FlagOp::Remove => Flags {
            answered: current.answered && !requested.answered,
            flagged: current.flagged && !requested.flagged,
            deleted: current.deleted && !requested.deleted,
            seen: current.seen && !requested.seen,
            draft: current.draft && !requested.draft,
            keywords: current
                .keywords
                .iter()
                .filter(|k| !asked.contains(&fold(k)))
                .cloned()
                .collect(),
        },
        FlagOp::Replace => {
            let mut keywords: BTreeSet<String> = current
                .keywords
                .iter()
                .filter(|k| asked.contains(&fold(k)))
                .cloned()
                .collect();
            keywords.extend(
                requested
                    .keywords
                    .iter()
                    .filter(|k| !present.contains(&fold(k)))
                    .cloned(),
            );
            Flags {
                keywords,
                ..requested
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(system: &[&str], keywords: &[&str]) -> Flags {
        Flags {
            answered: system.contains(&"answered"),
            flagged: system.contains(&"flagged"),
            deleted: system.contains(&"deleted"),
            seen: system.contains(&"seen"),
            draft: system.contains(&"draft"),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn add_unions_and_keeps_stored_spelling() {
        let current = flags(&["seen"], &["$Label1"]);
        let result = apply(
            FlagOp::Add,
            &current,
            &flags(&["flagged"], &["$label1", "Todo"]),
        );
        assert_eq!(result, flags(&["seen", "flagged"], &["$Label1", "Todo"]));
    }

    #[test]
    fn remove_is_case_insensitive() {
        let current = flags(&["seen", "deleted"], &["$Label1", "Todo"]);
        let result = apply(FlagOp::Remove, &current, &flags(&["deleted"], &["$LABEL1"]));
        assert_eq!(result, flags(&["seen"], &["Todo"]));
    }

    #[test]
    fn replace_takes_request_but_keeps_spelling_of_kept_keywords() {
        let current = flags(&["seen", "answered"], &["$Label1", "Todo"]);
        let result = apply(
            FlagOp::Replace,
            &current,
            &flags(&["draft"], &["$LABEL1", "New"]),
        );
        assert_eq!(result, flags(&["draft"], &["$Label1", "New"]));
    }

    #[test]
    fn replace_with_same_set_in_other_case_is_no_change() {
        let current = flags(&["flagged"], &["$Label1"]);
        let result = apply(
            FlagOp::Replace,
            &current,
            &flags(&["flagged"], &["$label1"]),
        );
        assert_eq!(result, current);
        assert!(same(&result, &current));
    }

    #[test]
    fn same_folds_case_and_normalized_dedups() {
        assert!(same(&flags(&[], &["A"]), &flags(&[], &["a"])));
        assert!(!same(&flags(&[], &["A"]), &flags(&["seen"], &["a"])));
        assert_eq!(
            normalized(&flags(&[], &["Ab", "aB", "c"])),
            flags(&[], &["Ab", "c"])
        );
    }
}
