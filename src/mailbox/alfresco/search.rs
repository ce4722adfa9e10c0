//! TEXT and BODY through the repository's full-text index (Solr or Elasticsearch behind the
//! search API), instead of reading every message.
//!
//! The index matches analysed tokens, not substrings: each word of the search string becomes
//! a `*word*` wildcard term on the content, name, title and description, so every message
//! containing the string is found (more may be).
//! The index is eventually consistent: the session also reads messages newer than the
//! configured lag. Everything the user typed is reduced to letters and digits before it goes
//! into the query, so it can never change the query's meaning.

use std::collections::HashSet;

use super::errors::mailbox_error;
use super::session::AlfrescoMailboxes;
use super::tree::{FolderRef, Place};
use crate::alfresco::{SearchLimits, SearchPaging, SearchRequest};
use crate::mailbox::{MailboxError, MailboxInfo};

/// Page size of index queries.
const PAGE: u32 = 1000;

impl AlfrescoMailboxes {
    /// The node ids of a folder whose text matches `text`; `None` where the index cannot
    /// answer (the trashcan, a search string without words, a repository without search).
    pub(super) async fn index_search(
        &self,
        mailbox: &MailboxInfo,
        text: &str,
    ) -> Result<Option<HashSet<String>>, MailboxError> {
        let Place::Folder(FolderRef { id, .. }) = Place::of_info(mailbox)? else {
            return Ok(None);
        };
        let Some(terms) = text_query(text) else {
            return Ok(None);
        };
        let query = format!("PARENT:\"workspace://SpacesStore/{id}\" AND {terms}");
        let mut found = HashSet::new();
        let mut skip = 0u64;
        loop {
            let mut request = SearchRequest::afts(
                query.clone(),
                SearchLimits {
                    permission_evaluation_count: 1_000_000,
                    permission_evaluation_time: 60_000,
                },
            );
            request.paging = Some(SearchPaging {
                max_items: PAGE,
                skip_count: skip,
            });
            request.fields = vec!["id".into()];
            let page = match self.session.search(&request).await {
                Ok(page) => page,
                Err(error) if matches!(error.status(), Some(400 | 404 | 501)) => {
                    tracing::info!(%error, "the repository cannot search text; reading messages instead");
                    return Ok(None);
                }
                Err(error) => return Err(mailbox_error(error, MailboxError::NotFound)),
            };
            let count = page.hits.len() as u64;
            found.extend(page.hits.into_iter().map(|hit| hit.node.id));
            if !page.pagination.has_more_items || count == 0 {
                return Ok(Some(found));
            }
            skip += count;
        }
    }
}

/// The fields a word may be found in: the content, and the name, title and description a
/// document's generated message shows in its body.
const TEXT_FIELDS: [&str; 4] = ["TEXT", "cm:name", "cm:title", "cm:description"];

/// `((TEXT:*word* OR cm:name:*word* ...) AND (...))` for the words of `text`, or `None`
/// without words.
fn text_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let word = w.to_lowercase();
            let fields: Vec<String> = TEXT_FIELDS
                .iter()
                .map(|field| format!("{field}:*{word}*"))
                .collect();
            format!("({})", fields.join(" OR "))
        })
        .collect();
    (!words.is_empty()).then(|| format!("({})", words.join(" AND ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_cannot_change_the_query() {
        let one = |w: &str| {
            format!("(TEXT:*{w}* OR cm:name:*{w}* OR cm:title:*{w}* OR cm:description:*{w}*)")
        };
        assert_eq!(
            text_query("Quarterly report"),
            Some(format!("({} AND {})", one("quarterly"), one("report")))
        );
        let words = ["a", "or", "text", "2f", "x"].map(one).join(" AND ");
        assert_eq!(
            text_query("a\" OR TEXT:* \\ /..%2F:x"),
            Some(format!("({words})"))
        );
        assert_eq!(text_query("\" () :"), None);
        assert_eq!(text_query("Münchén"), Some(format!("({})", one("münchén"))));
    }
}
