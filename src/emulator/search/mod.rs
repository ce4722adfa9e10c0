//! Search: an index that follows the repository with a configurable lag (Alfresco's index is
//! eventually consistent), the AFTS subset ([`afts`]) and its evaluation against indexed
//! documents.

pub mod afts;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::dictionary::{PropValue, is_subclass};
use super::extraction;
use super::repo::node::Node;
use afts::{Expr, Field, Range, Term};

/// What the index knows about a node (a snapshot taken when the node changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Node id.
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// Type.
    pub node_type: String,
    /// Aspects.
    pub aspects: BTreeSet<String>,
    /// Properties, including the auditable ones.
    pub props: BTreeMap<String, PropValue>,
    /// Primary parent.
    pub parent: Option<String>,
    /// Lower-cased full text of the content, when it is text or an e-mail.
    pub text: Option<String>,
    /// The words of `text`, split once when the document is indexed.
    pub words: Vec<String>,
    /// Creation order.
    pub seq: u64,
}

impl Doc {
    /// Indexes a node.
    pub fn of(node: &Node) -> Self {
        let mut props = node.props.clone();
        props.insert("cm:name".into(), PropValue::Text(node.name.clone()));
        props.insert("cm:created".into(), PropValue::Date(node.created_at));
        props.insert("cm:modified".into(), PropValue::Date(node.modified_at));
        props.insert(
            "cm:creator".into(),
            PropValue::Text(node.created_by.clone()),
        );
        props.insert(
            "cm:modifier".into(),
            PropValue::Text(node.modified_by.clone()),
        );
        let text = node.content.as_ref().and_then(|c| {
            let bytes = c.data.all();
            if c.mimetype == "message/rfc822" {
                extraction::body_text(&bytes)
            } else if c.mimetype.starts_with("text/") {
                Some(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                None
            }
        });
        let text = text.map(|t| t.to_lowercase());
        Self {
            id: node.id.clone(),
            name: node.name.clone(),
            node_type: node.node_type.clone(),
            aspects: node.aspects.clone(),
            props,
            parent: node.parent.clone(),
            words: text.as_deref().map(tokens).unwrap_or_default(),
            text,
            seq: node.seq,
        }
    }
}

#[derive(Debug)]
struct Pending {
    due: DateTime<Utc>,
    id: String,
    doc: Option<Doc>,
}

/// The search index.
#[derive(Debug, Default)]
pub struct Index {
    docs: BTreeMap<String, Doc>,
    /// Node ids in index order (creation order), kept as documents come and go.
    order: BTreeMap<u64, String>,
    pending: Vec<Pending>,
    last_tx: u64,
}

impl Index {
    /// Queues a change (a new snapshot, or `None` for a removal) to become visible at `due`.
    pub fn schedule(&mut self, due: DateTime<Utc>, id: String, doc: Option<Doc>) {
        self.pending.push(Pending { due, id, doc });
    }

    /// Applies every queued change that is due; returns how many there were.
    pub fn apply_due(&mut self, now: DateTime<Utc>) -> usize {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due <= now);
        self.pending = later;
        let applied = due.len();
        for p in due {
            self.last_tx += 1;
            match p.doc {
                Some(doc) => {
                    let seq = doc.seq;
                    if let Some(old) = self.docs.insert(p.id.clone(), doc)
                        && old.seq != seq
                    {
                        self.order.remove(&old.seq);
                    }
                    self.order.insert(seq, p.id);
                }
                None => {
                    if let Some(old) = self.docs.remove(&p.id) {
                        self.order.remove(&old.seq);
                    }
                }
            }
        }
        applied
    }

    /// The indexed documents in index order (creation order).
    pub fn docs(&self) -> Vec<&Doc> {
        self.order
            .values()
            .filter_map(|id| self.docs.get(id))
            .collect()
    }

    /// The id of the last transaction the index has applied.
    pub fn last_tx(&self) -> u64 {
        self.last_tx
    }
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Glob match with `*` and `?`, case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn is_wildcard(value: &str) -> bool {
    value.contains('*') || value.contains('?')
}

/// Tokenised ("contains") match of a query value against a text field.
fn text_matches(value: &str, quoted: bool, text: &str) -> bool {
    if is_wildcard(value) && !quoted {
        return wildcard_matches(value, text, || tokens(text));
    }
    words_match(value, quoted, &tokens(text))
}

/// [`text_matches`] against a text already lower-cased and split into `words`.
fn indexed_text_matches(value: &str, quoted: bool, text: &str, words: &[String]) -> bool {
    if is_wildcard(value) && !quoted {
        return wildcard_matches(value, text, || words.to_vec());
    }
    words_match(value, quoted, words)
}

/// A wildcard value matches the whole text or one of its words. `*word*` (the form the
/// sidecar sends) is a substring test: any word containing it lies within the whole text.
fn wildcard_matches(value: &str, text: &str, words: impl FnOnce() -> Vec<String>) -> bool {
    if let Some(inner) = value.strip_prefix('*').and_then(|v| v.strip_suffix('*'))
        && !inner.is_empty()
        && !is_wildcard(inner)
    {
        return text.to_lowercase().contains(&inner.to_lowercase());
    }
    glob(value, text) || words().iter().any(|t| glob(value, t))
}

/// The non-wildcard match: every word of the value (in sequence, for a quoted phrase).
fn words_match(value: &str, quoted: bool, have: &[String]) -> bool {
    let wanted = tokens(value);
    if wanted.is_empty() {
        return false;
    }
    if quoted && wanted.len() > 1 {
        return have.windows(wanted.len()).any(|w| w == wanted.as_slice());
    }
    wanted.iter().all(|w| have.contains(w))
}

fn strip_store(value: &str) -> &str {
    value
        .strip_prefix("workspace://SpacesStore/")
        .unwrap_or(value)
}

fn term_matches(term: &Term, doc: &Doc) -> bool {
    match &term.field {
        Field::Parent => doc.parent.as_deref() == Some(strip_store(&term.value)),
        Field::Id => doc.id == strip_store(&term.value),
        Field::Type if term.exact => doc.node_type == term.value,
        Field::Type => is_subclass(&doc.node_type, &term.value),
        Field::Aspect if term.exact => doc.aspects.contains(&term.value),
        Field::Aspect => doc.aspects.iter().any(|a| is_subclass(a, &term.value)),
        Field::Text => doc
            .text
            .as_deref()
            .is_some_and(|text| indexed_text_matches(&term.value, term.quoted, text, &doc.words)),
        Field::Property(name) => {
            let Some(value) = doc.props.get(name) else {
                return false;
            };
            let values: Vec<String> = match value {
                PropValue::List(items) => items.iter().map(PropValue::as_text).collect(),
                other => vec![other.as_text()],
            };
            if term.exact {
                values.contains(&term.value)
            } else {
                values
                    .iter()
                    .any(|v| text_matches(&term.value, term.quoted, v))
            }
        }
    }
}

/// Whether a document matches a query.
pub fn matches(expr: &Expr, doc: &Doc) -> bool {
    match expr {
        Expr::And(items) => items.iter().all(|e| matches(e, doc)),
        Expr::Or(items) => items.iter().any(|e| matches(e, doc)),
        Expr::Not(inner) => !matches(inner, doc),
        Expr::Term(term) => term_matches(term, doc),
        Expr::Range(range) => range_matches(range, doc),
    }
}

/// Whether a property lies within a range: dates compare as instants (a bare date is its
/// midnight UTC), numbers as numbers, text by its characters. A bound that cannot be read as
/// the property's type matches nothing.
fn range_matches(range: &Range, doc: &Doc) -> bool {
    let Some(value) = doc.props.get(&range.property) else {
        return false;
    };
    let values = match value {
        PropValue::List(items) => items.iter().collect(),
        other => vec![other],
    };
    values.into_iter().any(|value| {
        let within = |bound: &Option<(String, bool)>, below: bool| {
            let Some((text, inclusive)) = bound else {
                return true;
            };
            let order = match value {
                PropValue::Date(date) => match parse_date_bound(text) {
                    Some(bound) => date.cmp(&bound),
                    None => return false,
                },
                PropValue::Long(number) => match text.parse::<i64>() {
                    Ok(bound) => number.cmp(&bound),
                    Err(_) => return false,
                },
                other => other.as_text().as_str().cmp(text.as_str()),
            };
            match order {
                std::cmp::Ordering::Equal => *inclusive,
                std::cmp::Ordering::Less => below,
                std::cmp::Ordering::Greater => !below,
            }
        };
        within(&range.lower, false) && within(&range.upper, true)
    })
}

/// `2026-11-02`, `2026-11-02T09:00:00Z` or `2026-11-02T09:00:00.000+0000`.
fn parse_date_bound(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, text: Option<&str>) -> Doc {
        let mut props = BTreeMap::new();
        props.insert("cm:name".into(), PropValue::Text(name.into()));
        props.insert("imap:messageId".into(), PropValue::Text("<a@b>".into()));
        Doc {
            id: "n1".into(),
            name: name.into(),
            node_type: "cm:content".into(),
            aspects: ["imap:imapContent".to_owned()].into_iter().collect(),
            props,
            parent: Some("p1".into()),
            text: text.map(str::to_lowercase),
            words: text.map(|t| tokens(&t.to_lowercase())).unwrap_or_default(),
            seq: 1,
        }
    }

    fn q(query: &str, d: &Doc) -> bool {
        matches(&afts::parse(query, true).unwrap(), d)
    }

    #[test]
    fn evaluates_terms() {
        let d = doc(
            "Quarterly Report.pdf",
            Some("The budget for Q3 is approved"),
        );
        assert!(q("PARENT:\"workspace://SpacesStore/p1\"", &d));
        assert!(!q("PARENT:p2", &d));
        assert!(q("TYPE:\"cm:cmobject\"", &d));
        assert!(!q("EXACTTYPE:\"cm:cmobject\"", &d));
        assert!(q("ASPECT:\"imap:flaggable\"", &d));
        assert!(!q("EXACTASPECT:\"imap:flaggable\"", &d));
        assert!(q("=imap:messageId:\"<a@b>\"", &d));
        assert!(!q("=imap:messageId:\"<A@b>\"", &d));
        assert!(q("cm:name:report", &d));
        assert!(q("cm:name:quart*", &d));
        assert!(q("cm:name:\"Quarterly Report\"", &d));
        assert!(!q("cm:name:\"Report Quarterly\"", &d));
        assert!(q("TEXT:budget AND -TEXT:rejected", &d));
        assert!(q("budget approved", &d));
        assert!(!q("budget AND rejected", &d));
        assert!(q("(rejected OR approved) AND NOT cm:name:draft", &d));
    }

    #[test]
    fn ranges() {
        let mut d = doc("Quarterly Report.pdf", None);
        let date = parse_date_bound("2026-11-02T09:00:00.000+0000").unwrap();
        d.props.insert("cm:modified".into(), PropValue::Date(date));
        d.props.insert("cm:size".into(), PropValue::Long(1000));
        assert!(q("cm:modified:[2026-11-02 TO MAX]", &d));
        assert!(q("cm:modified:[MIN TO 2026-11-02T09:00:00Z]", &d));
        assert!(!q("cm:modified:[MIN TO 2026-11-02T09:00:00Z}", &d));
        assert!(!q("cm:modified:[2026-11-03 TO MAX]", &d));
        assert!(q("cm:size:{999 TO 1000]", &d));
        assert!(!q("cm:size:{1000 TO MAX]", &d));
        assert!(q("cm:name:[P TO R} AND PARENT:p1", &d));
        assert!(!q("cm:size:[x TO 3]", &d));
        assert!(afts::parse("cm:modified:[NOW TO MAX]", true).is_err());
        assert!(afts::parse("cm:modified:[a b]", true).is_err());
        assert!(afts::parse("TEXT:[a TO b]", true).is_err());
    }

    #[test]
    fn glob_matches() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(glob("*", ""));
    }
}
