//! Search (`POST search`, AFTS), and quoting of AFTS phrases.
//!
//! Without explicit limits the repository stops checking permissions after 1000 results or
//! 10 s and silently returns fewer hits, so [`SearchRequest`] cannot be built without
//! [`SearchLimits`]. Searches that need the index are eventually consistent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::client::Call;
use super::date;
use super::error::RestError;
use super::model::{Node, UserInfo};
use super::paging::Pagination;
use super::params::Include;
use super::route::{Api, check_list_item};
use super::session::RepoSession;

/// A search request; build it with [`SearchRequest::afts`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// The query.
    pub query: SearchQuery,
    /// Which page of results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paging: Option<SearchPaging>,
    /// Extra information per hit.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "include_names"
    )]
    pub include: Vec<Include>,
    /// Keep only these fields of each hit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Sort order (not allowed with CMIS queries).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<SearchSort>,
    /// Permission-evaluation limits: always sent.
    pub limits: SearchLimits,
    /// Where to search (live nodes by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<SearchScope>,
}

fn include_names<S: Serializer>(include: &[Include], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(include.iter().map(|i| i.as_str()))
}

impl SearchRequest {
    /// An AFTS query with the given limits and the repository's default paging.
    pub fn afts(query: impl Into<String>, limits: SearchLimits) -> Self {
        Self {
            query: SearchQuery {
                query: query.into(),
                language: QueryLanguage::Afts,
            },
            paging: None,
            include: Vec::new(),
            fields: Vec::new(),
            sort: Vec::new(),
            limits,
            scope: None,
        }
    }

    fn check(&self) -> Result<(), RestError> {
        for include in &self.include {
            if matches!(include, Include::Definition | Include::IsDirectLinkEnabled) {
                return Err(RestError::invalid(format!(
                    "search cannot include {}",
                    include.as_str()
                )));
            }
        }
        for field in &self.fields {
            check_list_item("field", field)?;
        }
        if let Some(paging) = &self.paging
            && paging.max_items == 0
        {
            return Err(RestError::invalid("maxItems must be at least 1"));
        }
        Ok(())
    }
}

/// The query text and its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchQuery {
    /// The query, e.g. `PARENT:"workspace://SpacesStore/<id>" AND TYPE:"cm:content"`.
    pub query: String,
    /// The language.
    pub language: QueryLanguage,
}

/// A query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryLanguage {
    /// Alfresco Full Text Search.
    Afts,
    /// Lucene.
    Lucene,
    /// CMIS query language.
    Cmis,
}

/// Paging of search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPaging {
    /// Page size.
    pub max_items: u32,
    /// Hits to skip.
    pub skip_count: u64,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchSort {
    /// How to sort.
    #[serde(rename = "type")]
    pub kind: SortKind,
    /// The field for [`SortKind::Field`], e.g. `cm:created`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Ascending instead of descending.
    pub ascending: bool,
}

impl SearchSort {
    /// Sort by a field.
    pub fn field(field: impl Into<String>, ascending: bool) -> Self {
        Self {
            kind: SortKind::Field,
            field: Some(field.into()),
            ascending,
        }
    }
}

/// What a sort key sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SortKind {
    /// A field.
    Field,
    /// Index order.
    Document,
    /// Relevance.
    Score,
}

/// How many results the repository may check for permissions, and for how long.
/// There is deliberately no default: every search states its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchLimits {
    /// The most results whose permissions are checked.
    pub permission_evaluation_count: u32,
    /// The longest time for permission checks, in milliseconds.
    pub permission_evaluation_time: u32,
}

/// Where to search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchScope {
    /// Sent as a JSON array, which is what the server reads (its definition says string).
    pub locations: Vec<SearchLocation>,
}

/// A search location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SearchLocation {
    /// Live nodes.
    #[serde(rename = "nodes")]
    Nodes,
    /// Versions.
    #[serde(rename = "versions")]
    Versions,
    /// The trashcan.
    #[serde(rename = "deleted-nodes")]
    DeletedNodes,
}

/// One search hit: a node plus search information.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SearchHit {
    /// The node.
    #[serde(flatten)]
    pub node: Node,
    /// Score and highlights.
    pub search: Option<SearchEntry>,
    /// For the `deleted-nodes` scope: when it was deleted.
    #[serde(with = "date::option")]
    pub archived_at: Option<DateTime<Utc>>,
    /// For the `deleted-nodes` scope: who deleted it.
    pub archived_by_user: Option<UserInfo>,
    /// For the `versions` scope.
    pub version_label: Option<String>,
    /// For the `versions` scope.
    pub version_comment: Option<String>,
}

/// Search information of a hit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SearchEntry {
    /// Relevance.
    pub score: Option<f64>,
    /// Highlight fragments, as sent.
    pub highlight: Vec<Value>,
}

/// The results of one search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The hits of this page.
    pub hits: Vec<SearchHit>,
    /// Where the page lies; `total_items` may be missing or inexact.
    pub pagination: Pagination,
    /// `list.context` as sent (consistency, facets, …), if any.
    pub context: Option<Value>,
}

impl RepoSession {
    /// Runs a search (`POST search`).
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchResults, RestError> {
        #[derive(Deserialize)]
        struct Envelope {
            list: List,
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            pagination: Pagination,
            #[serde(default)]
            context: Option<Value>,
            #[serde(default)]
            entries: Vec<Row>,
        }
        #[derive(Deserialize)]
        struct Row {
            entry: SearchHit,
        }
        request.check()?;
        let call = Call::post(Api::Search, "/search", &[]).with_json(request)?;
        let sent = self.exchange(&call).await?;
        if !super::session::is_success(sent.status()) {
            return Err(self.error(sent).await);
        }
        let list = sent.json::<Envelope>().await?.list;
        Ok(SearchResults {
            hits: list.entries.into_iter().map(|row| row.entry).collect(),
            pagination: list.pagination,
            context: list.context,
        })
    }
}

/// Quotes text as one AFTS phrase: `"…"` with `\` and `"` escaped and control characters
/// (line breaks included) removed, so the text can never end the phrase or add query terms.
pub fn afts_phrase(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars().filter(|c| !c.is_control()) {
        if c == '\\' || c == '"' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SearchLimits = SearchLimits {
        permission_evaluation_count: 20000,
        permission_evaluation_time: 20000,
    };

    #[test]
    fn the_request_always_carries_limits() {
        let request = SearchRequest::afts("TYPE:\"cm:content\"", LIMITS);
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"query":{"query":"TYPE:\"cm:content\"","language":"afts"},"limits":{"permissionEvaluationCount":20000,"permissionEvaluationTime":20000}}"#
        );
    }

    #[test]
    fn a_full_request() {
        let mut request = SearchRequest::afts("PARENT:\"workspace://SpacesStore/f\"", LIMITS);
        request.paging = Some(SearchPaging {
            max_items: 500,
            skip_count: 0,
        });
        request.include = vec![Include::Properties, Include::AspectNames];
        request.fields = vec!["id".into(), "name".into()];
        request.sort = vec![SearchSort::field("cm:created", true)];
        request.scope = Some(SearchScope {
            locations: vec![SearchLocation::DeletedNodes],
        });
        let json: Value = serde_json::to_value(&request).unwrap();
        let expected: Value = serde_json::json!({
            "query": {"query": "PARENT:\"workspace://SpacesStore/f\"", "language": "afts"},
            "paging": {"maxItems": 500, "skipCount": 0},
            "include": ["properties", "aspectNames"],
            "fields": ["id", "name"],
            "sort": [{"type": "FIELD", "field": "cm:created", "ascending": true}],
            "limits": {"permissionEvaluationCount": 20000, "permissionEvaluationTime": 20000},
            "scope": {"locations": ["deleted-nodes"]}
        });
        assert_eq!(json, expected);
        assert!(request.check().is_ok());
        request.include.push(Include::Definition);
        assert!(request.check().is_err());
    }

    #[test]
    fn afts_phrases_cannot_escape_their_quotes() {
        assert_eq!(afts_phrase("hello world"), r#""hello world""#);
        assert_eq!(afts_phrase(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(afts_phrase(r"C:\temp\"), r#""C:\\temp\\""#);
        assert_eq!(
            afts_phrase("a\" OR TYPE:\"cm:person"),
            r#""a\" OR TYPE:\"cm:person""#
        );
        assert_eq!(
            afts_phrase("line\r\nbreak\ttab\u{0}nul"),
            r#""linebreaktabnul""#
        );
        assert_eq!(afts_phrase("<abc@example.com>"), r#""<abc@example.com>""#);
        assert_eq!(afts_phrase(""), r#""""#);
        assert_eq!(afts_phrase("Grüße"), "\"Grüße\"");
    }

    #[test]
    fn hits_read_with_scores_and_trashcan_fields() {
        let hit: SearchHit = serde_json::from_str(
            r#"{"id":"6d1c","name":"Message_1.eml","nodeType":"cm:content","isFile":true,
               "isFolder":false,"properties":{"imap:flagSeen":true},
               "archivedAt":"2026-11-28T12:57:32.509+0000","search":{"score":1.5}}"#,
        )
        .unwrap();
        assert_eq!(hit.node.id, "6d1c");
        assert_eq!(hit.node.property_bool("imap:flagSeen"), Some(true));
        assert_eq!(hit.search.unwrap().score, Some(1.5));
        assert!(hit.archived_at.is_some());
    }
}
