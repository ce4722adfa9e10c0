//! Children listings: the `where` filter (`isFolder`, `isFile`, `nodeType` with
//! `INCLUDESUBTYPES`, `isPrimary`, `assocType`) and `orderBy` (the documented fields or any
//! property, at most three keys, default folders first then name).

use std::cmp::Ordering;

use super::acl::Perm;
use super::node::Node;
use super::{Actor, Repository};
use crate::emulator::dictionary::{self, PropValue, compare, is_subclass};
use crate::emulator::json::ApiError;

/// Which children a listing keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildFilter {
    /// `isFolder`.
    pub is_folder: Option<bool>,
    /// `isFile`.
    pub is_file: Option<bool>,
    /// `nodeType` and whether subtypes count.
    pub node_type: Option<(String, bool)>,
    /// `isPrimary` (every child is primary in the emulator).
    pub is_primary: Option<bool>,
    /// `assocType` (every child is `cm:contains`).
    pub assoc_type: Option<String>,
}

fn invalid_where(detail: &str) -> ApiError {
    ApiError::invalid(format!("An invalid WHERE query was received. {detail}"))
}

fn bool_value(v: &str) -> Result<bool, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid_where(&format!("Invalid boolean: {v}"))),
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .unwrap_or(v)
        .to_owned()
}

/// Splits on ` and ` outside quotes, case-insensitively.
fn split_and(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            in_quote = !in_quote;
        }
        if !in_quote && c.is_whitespace() {
            let rest: String = chars[i..].iter().collect();
            let lower = rest.to_ascii_lowercase();
            let trimmed = lower.trim_start();
            if let Some(after) = trimmed.strip_prefix("and")
                && after.starts_with(char::is_whitespace)
            {
                parts.push(std::mem::take(&mut current));
                let skip = rest.len() - trimmed.len() + 3;
                i += rest[..skip].chars().count();
                continue;
            }
        }
        current.push(c);
        i += 1;
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

impl ChildFilter {
    /// Parses a `where` parameter such as `(isFile=true)` or `(nodeType='cm:content INCLUDESUBTYPES')`.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let inner = raw
            .trim()
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| invalid_where("The where clause must be in parentheses"))?;
        let mut filter = ChildFilter::default();
        for clause in split_and(inner) {
            let (name, value) = clause
                .split_once('=')
                .ok_or_else(|| invalid_where(&format!("Cannot read '{clause}'")))?;
            let name = name.trim();
            let value = value.trim();
            match name {
                "isFolder" => filter.is_folder = Some(bool_value(value)?),
                "isFile" => filter.is_file = Some(bool_value(value)?),
                "isPrimary" => filter.is_primary = Some(bool_value(value)?),
                "assocType" => filter.assoc_type = Some(unquote(value)),
                "nodeType" => {
                    let v = unquote(value);
                    let (ty, sub) = match v.rsplit_once(' ') {
                        Some((t, suffix)) if suffix.eq_ignore_ascii_case("INCLUDESUBTYPES") => {
                            (t.trim().to_owned(), true)
                        }
                        _ => (v.clone(), false),
                    };
                    filter.node_type = Some((ty, sub));
                }
                other => return Err(invalid_where(&format!("Unsupported property: {other}"))),
            }
        }
        if filter.is_file == Some(true) && filter.is_folder == Some(true) {
            return Err(ApiError::invalid(
                "Invalid filter (isFile=true and isFolder=true) - a node cannot be both a file and a folder",
            ));
        }
        if filter.node_type.is_some() && (filter.is_file.is_some() || filter.is_folder.is_some()) {
            return Err(ApiError::invalid(
                "Invalid filter - nodeType and isFile/isFolder are mutually exclusive",
            ));
        }
        if let Some((ty, _)) = &filter.node_type
            && dictionary::known_type(ty).is_err()
        {
            return Err(ApiError::invalid(format!("Unknown filter nodeType: {ty}")));
        }
        if let Some(assoc) = &filter.assoc_type {
            dictionary::check_qname(assoc)?;
            if assoc != "cm:contains" && dictionary::association(assoc).is_none() {
                return Err(ApiError::invalid(format!("Unknown assocType: {assoc}")));
            }
        }
        Ok(filter)
    }

    /// Whether a child passes the filter.
    pub fn accepts(&self, node: &Node) -> bool {
        let t = node.node_type.as_str();
        if is_subclass(t, "cm:systemfolder") || !is_subclass(t, "cm:cmobject") {
            return false;
        }
        if let Some((ty, sub)) = &self.node_type {
            let ok = if *sub { is_subclass(t, ty) } else { t == ty };
            if !ok {
                return false;
            }
        }
        if let Some(f) = self.is_folder
            && node.is_folder() != f
        {
            return false;
        }
        if let Some(f) = self.is_file
            && node.is_file() != f
        {
            return false;
        }
        if self.is_primary == Some(false) {
            return false;
        }
        self.assoc_type
            .as_deref()
            .is_none_or(|a| a == "cm:contains")
    }
}

/// A sort key of `orderBy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Field name or property QName.
    pub field: String,
    /// Ascending.
    pub ascending: bool,
}

const FIELDS: &[&str] = &[
    "isFolder",
    "name",
    "mimeType",
    "nodeType",
    "sizeInBytes",
    "modifiedAt",
    "createdAt",
    "modifiedByUser",
    "createdByUser",
];

/// The most `orderBy` keys a children listing accepts.
pub const MAX_SORT_KEYS: usize = 3;

/// Parses `orderBy` for children; the default is folders first, then name.
pub fn parse_order_by(values: &[String]) -> Result<Vec<SortKey>, ApiError> {
    let mut keys = Vec::new();
    for item in values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let mut words = item.split_whitespace();
        let field = words.next().unwrap_or_default().to_owned();
        let ascending = match words.next() {
            None => true,
            Some(d) if d.eq_ignore_ascii_case("asc") => true,
            Some(d) if d.eq_ignore_ascii_case("desc") => false,
            Some(d) => return Err(ApiError::invalid(format!("Invalid sort direction: {d}"))),
        };
        if words.next().is_some() {
            return Err(ApiError::invalid(format!("Invalid orderBy: {item}")));
        }
        if !FIELDS.contains(&field.as_str()) {
            dictionary::check_qname(&field)?;
        }
        keys.push(SortKey { field, ascending });
    }
    if keys.len() > MAX_SORT_KEYS {
        return Err(ApiError::invalid(format!(
            "Too many sort keys: at most {MAX_SORT_KEYS} are supported, got {}",
            keys.len()
        )));
    }
    if keys.is_empty() {
        keys = vec![
            SortKey {
                field: "isFolder".into(),
                ascending: false,
            },
            SortKey {
                field: "name".into(),
                ascending: true,
            },
        ];
    }
    Ok(keys)
}

fn sort_value(repo: &Repository, node: &Node, field: &str) -> Option<PropValue> {
    Some(match field {
        "isFolder" => PropValue::Bool(node.is_folder()),
        "name" | "cm:name" => PropValue::Text(node.name.clone()),
        "mimeType" => PropValue::Text(node.content.as_ref()?.mimetype.clone()),
        "nodeType" => PropValue::Text(node.node_type.clone()),
        "sizeInBytes" => PropValue::Long(node.content.as_ref()?.data.len() as i64),
        "modifiedAt" | "cm:modified" => PropValue::Date(node.modified_at),
        "createdAt" | "cm:created" => PropValue::Date(node.created_at),
        "modifiedByUser" | "cm:modifier" => PropValue::Text(repo.display_name(&node.modified_by)),
        "createdByUser" | "cm:creator" => PropValue::Text(repo.display_name(&node.created_by)),
        prop => node.props.get(prop)?.clone(),
    })
}

impl Repository {
    /// The readable children of a folder that pass `filter`, sorted by `keys`.
    pub fn children(
        &self,
        actor: &Actor,
        parent: &str,
        filter: &ChildFilter,
        keys: &[SortKey],
    ) -> Result<Vec<&Node>, ApiError> {
        self.children_window(actor, parent, filter, keys, usize::MAX)
    }

    /// [`Repository::children`], with only the first `window` in order (the rest follow in
    /// no particular order): a page, or the one-item change check, of a big folder does not
    /// sort the whole folder.
    pub fn children_window(
        &self,
        actor: &Actor,
        parent: &str,
        filter: &ChildFilter,
        keys: &[SortKey],
        window: usize,
    ) -> Result<Vec<&Node>, ApiError> {
        let folder = self.readable(actor, parent)?;
        if !is_subclass(&folder.node_type, "cm:folder") {
            return Err(ApiError::invalid(format!(
                "NodeId of folder is expected: {parent}"
            )));
        }
        // Each child's sort values are computed once, not once per comparison: a folder of
        // 10 000 documents is sorted for every page and every change check.
        let mut children: Vec<(Vec<Option<PropValue>>, &Node)> = folder
            .children
            .iter()
            .filter_map(|c| self.live(c))
            .filter(|c| filter.accepts(c))
            .filter(|c| self.has_perm_on(actor, c, Perm::Read))
            .map(|c| {
                let values = keys
                    .iter()
                    .map(|key| sort_value(self, c, &key.field))
                    .collect();
                (values, c)
            })
            .collect();
        let order = |(a_values, a): &(Vec<Option<PropValue>>, &Node),
                     (b_values, b): &(Vec<Option<PropValue>>, &Node)| {
            for ((key, a_value), b_value) in keys.iter().zip(a_values).zip(b_values) {
                let ord = compare(a_value.as_ref(), b_value.as_ref());
                let ord = if key.ascending { ord } else { ord.reverse() };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            a.seq.cmp(&b.seq)
        };
        if window < children.len() {
            // The first `window` (in any order) before the rest, then only they are sorted.
            children.select_nth_unstable_by(window, order);
            children[..window].sort_by(order);
        } else {
            children.sort_by(order);
        }
        Ok(children.into_iter().map(|(_, node)| node).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_where() {
        assert_eq!(
            ChildFilter::parse("(isFile=true)").unwrap().is_file,
            Some(true)
        );
        let f = ChildFilter::parse("(nodeType='cm:content INCLUDESUBTYPES')").unwrap();
        assert_eq!(f.node_type, Some(("cm:content".into(), true)));
        let f = ChildFilter::parse("(isFolder=true AND isPrimary=true)").unwrap();
        assert_eq!((f.is_folder, f.is_primary), (Some(true), Some(true)));
        assert!(ChildFilter::parse("(isFile=true and isFolder=true)").is_err());
        assert!(ChildFilter::parse("(nodeType='cm:content' and isFile=true)").is_err());
        assert!(ChildFilter::parse("(cm:title='x')").is_err());
        assert!(ChildFilter::parse("isFile=true").is_err());
        assert!(ChildFilter::parse("(nodeType='cm:nothing')").is_err());
    }

    #[test]
    fn parses_order_by() {
        let keys = parse_order_by(&["modifiedAt DESC,imap:dateReceived asc".into()]).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(!keys[0].ascending);
        assert_eq!(keys[1].field, "imap:dateReceived");
        assert!(parse_order_by(&["a:b,name,createdAt,modifiedAt".into()]).is_err());
        assert!(parse_order_by(&["name UP".into()]).is_err());
        assert!(parse_order_by(&["bogus".into()]).is_err());
        assert_eq!(parse_order_by(&[]).unwrap()[0].field, "isFolder");
    }
}
