//! Sequence sets (RFC 3501 §9 `sequence-set`) as sorted ranges, without ever expanding them
//! (`1:4294967295` is a valid UID set).

use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

/// A sequence set with `*` resolved, as sorted, merged, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    /// Resolves `set`, where `*` stands for `largest` (the highest MSN or UID in use; 0 in an
    /// empty mailbox, where `*` matches nothing).
    pub fn new(set: &SequenceSet, largest: u32) -> Self {
        let value = |v: &SeqOrUid| match v {
            SeqOrUid::Value(n) => n.get(),
            SeqOrUid::Asterisk => largest,
        };
        let mut ranges: Vec<(u32, u32)> = set
            .0
            .as_ref()
            .iter()
            .filter_map(|sequence| {
                let (a, b) = match sequence {
                    Sequence::Single(v) => (value(v), value(v)),
                    Sequence::Range(a, b) => (value(a), value(b)),
                };
                let (low, high) = if a <= b { (a, b) } else { (b, a) };
                (high > 0).then_some((low.max(1), high))
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (low, high) in ranges {
            match merged.last_mut() {
                Some(last) if low <= last.1.saturating_add(1) => last.1 = last.1.max(high),
                _ => merged.push((low, high)),
            }
        }
        Self(merged)
    }

    /// Whether `n` is in the set.
    pub fn contains(&self, n: u32) -> bool {
        match self.0.binary_search_by(|&(low, _)| low.cmp(&n)) {
            Ok(_) => true,
            Err(0) => false,
            Err(index) => self.0[index - 1].1 >= n,
        }
    }

    /// The highest number in the set, if any.
    pub fn max(&self) -> Option<u32> {
        self.0.last().map(|&(_, high)| high)
    }

    /// The ranges, sorted and merged.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.0
    }
}

/// Writes ascending numbers as a compact sequence set (`1:3,7,9:10`); `None` when empty.
pub fn compact(numbers: impl IntoIterator<Item = u32>) -> Option<String> {
    let mut out = String::new();
    let mut run: Option<(u32, u32)> = None;
    let push = |out: &mut String, (low, high): (u32, u32)| {
        if !out.is_empty() {
            out.push(',');
        }
        if low == high {
            out.push_str(&low.to_string());
        } else {
            out.push_str(&format!("{low}:{high}"));
        }
    };
    for n in numbers {
        run = match run {
            Some((low, high)) if n == high.wrapping_add(1) => Some((low, n)),
            Some(done) => {
                push(&mut out, done);
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(done) = run {
        push(&mut out, done);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ranges(set: &str, largest: u32) -> Ranges {
        Ranges::new(&SequenceSet::try_from(set).unwrap(), largest)
    }

    #[test]
    fn resolves_and_merges() {
        assert_eq!(
            ranges("1:3,2:5,7,9:*", 12).ranges(),
            &[(1, 5), (7, 7), (9, 12)]
        );
        assert_eq!(ranges("5:1", 3).ranges(), &[(1, 5)]);
        assert_eq!(ranges("1:4294967295", 3).ranges(), &[(1, u32::MAX)]);
        assert!(ranges("*", 0).ranges().is_empty());
        assert_eq!(ranges("3:*", 0).ranges(), &[(1, 3)]);
        assert_eq!(ranges("559:*", 500).ranges(), &[(500, 559)]);
    }

    #[test]
    fn membership() {
        let r = ranges("2:4,10,20:30", 100);
        let members: Vec<u32> = (0..35).filter(|&n| r.contains(n)).collect();
        assert_eq!(
            members,
            [2, 3, 4, 10, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]
        );
        assert_eq!(r.max(), Some(30));
    }

    #[test]
    fn compacts() {
        assert_eq!(compact([1, 2, 3, 7, 9, 10]).as_deref(), Some("1:3,7,9:10"));
        assert_eq!(compact([]), None);
        assert_eq!(compact([u32::MAX]).as_deref(), Some("4294967295"));
    }

    proptest! {
        #[test]
        fn membership_matches_a_naive_model(
            pairs in proptest::collection::vec((1u32..60, 1u32..60), 1..6),
            largest in 0u32..70,
        ) {
            let text: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}:{b}")).collect();
            let set = SequenceSet::try_from(text.join(",").as_str()).unwrap();
            let r = Ranges::new(&set, largest);
            for n in 0..80 {
                let naive = pairs.iter().any(|&(a, b)| n >= a.min(b) && n <= a.max(b));
                prop_assert_eq!(r.contains(n), naive);
            }
        }
    }
}
