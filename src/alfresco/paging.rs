//! List envelopes, paging parameters, and paging through a whole collection.
//!
//! Alfresco pages by offset (`skipCount`/`maxItems`) and each page is read at its own moment:
//! a collection that changes between two pages can skip or repeat entries. [`AllPages`] keeps
//! the pagination of every page so the caller can see whether `totalItems` moved meanwhile.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::error::RestError;
use super::route::{Endpoint, Query};

/// `list.pagination` of a collection response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Pagination {
    /// Entries in this page.
    pub count: u64,
    /// Whether entries follow this page.
    pub has_more_items: bool,
    /// Entries in the whole collection, when the repository could count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_items: Option<u64>,
    /// Entries before this page.
    pub skip_count: u64,
    /// The page size used.
    pub max_items: u64,
}

/// One page of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The entries, in the repository's order.
    pub entries: Vec<T>,
    /// Where this page lies in the collection.
    pub pagination: Pagination,
}

/// Which page to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Entries to skip.
    pub skip_count: u64,
    /// Page size (at least 1; the repository's default is 100).
    pub max_items: u32,
}

impl PageRequest {
    /// The first page of `max_items` entries.
    pub fn first(max_items: u32) -> Self {
        Self {
            skip_count: 0,
            max_items,
        }
    }

    pub(crate) fn add_to(&self, query: &mut Query) -> Result<(), RestError> {
        if self.max_items == 0 {
            return Err(RestError::invalid("maxItems must be at least 1"));
        }
        query
            .push("skipCount", self.skip_count.to_string())
            .push("maxItems", self.max_items.to_string());
        Ok(())
    }
}

/// Every entry of a collection, read page by page, with each page's pagination.
#[derive(Debug, Clone, PartialEq)]
pub struct AllPages<T> {
    /// All entries, in order.
    pub items: Vec<T>,
    /// The pagination of each page read, in order.
    pub pages: Vec<Pagination>,
}

impl<T> AllPages<T> {
    /// Whether the collection visibly changed while it was read: two pages reported
    /// different `totalItems`, or the last reported total differs from the entries read.
    /// (`false` does not prove stability when the repository reports no totals.)
    pub fn changed_while_paging(&self) -> bool {
        let totals: Vec<u64> = self.pages.iter().filter_map(|p| p.total_items).collect();
        let moved = totals.windows(2).any(|pair| pair[0] != pair[1]);
        let mismatch = totals
            .last()
            .is_some_and(|&total| total != self.items.len() as u64);
        moved || mismatch
    }
}

/// The wire form `{"list": {"pagination": …, "entries": [{"entry": …}]}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListEnvelope<T> {
    list: ListBody<T>,
}

#[derive(Debug, Deserialize)]
struct ListBody<T> {
    #[serde(default)]
    pagination: Pagination,
    #[serde(default = "Vec::new")]
    entries: Vec<EntryEnvelope<T>>,
}

/// The wire form `{"entry": …}`.
#[derive(Debug, Deserialize)]
pub(crate) struct EntryEnvelope<T> {
    pub(crate) entry: T,
}

impl<T> From<ListEnvelope<T>> for Page<T> {
    fn from(envelope: ListEnvelope<T>) -> Self {
        Page {
            entries: envelope.list.entries.into_iter().map(|e| e.entry).collect(),
            pagination: envelope.list.pagination,
        }
    }
}

/// Reads page after page, starting at `first`, until the repository says there are no more.
/// Each next page starts after the entries actually received.
/// `endpoint` names the listing in the error for a page that breaks the paging rules.
pub(crate) async fn collect_all<T, F, Fut>(
    endpoint: Endpoint,
    first: PageRequest,
    mut fetch: F,
) -> Result<AllPages<T>, RestError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, RestError>>,
{
    let mut all = AllPages {
        items: Vec::new(),
        pages: Vec::new(),
    };
    let mut request = first;
    loop {
        let page = fetch(request).await?;
        let received = page.entries.len() as u64;
        let more = page.pagination.has_more_items;
        all.items.extend(page.entries);
        all.pages.push(page.pagination);
        if !more {
            return Ok(all);
        }
        if received == 0 {
            return Err(RestError::InvalidResponse {
                endpoint,
                reason: "an empty page claims that more items follow".to_string(),
            });
        }
        request.skip_count += received;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: Endpoint = Endpoint {
        method: "GET",
        route: "/test",
    };

    #[test]
    fn list_envelope_with_and_without_total() {
        let json = r#"{"list":{"pagination":{"count":2,"hasMoreItems":true,"totalItems":5,
            "skipCount":0,"maxItems":2},"entries":[{"entry":1},{"entry":2}]}}"#;
        let page: Page<u32> = serde_json::from_str::<ListEnvelope<u32>>(json)
            .unwrap()
            .into();
        assert_eq!(page.entries, [1, 2]);
        assert_eq!(
            page.pagination,
            Pagination {
                count: 2,
                has_more_items: true,
                total_items: Some(5),
                skip_count: 0,
                max_items: 2
            }
        );
        let json = r#"{"list":{"pagination":{"count":0,"hasMoreItems":false,"skipCount":0,
            "maxItems":100},"entries":[]}}"#;
        let page: Page<u32> = serde_json::from_str::<ListEnvelope<u32>>(json)
            .unwrap()
            .into();
        assert!(page.entries.is_empty());
        assert_eq!(page.pagination.total_items, None);
    }

    fn page(entries: Vec<u32>, more: bool, total: Option<u64>) -> Page<u32> {
        Page {
            pagination: Pagination {
                count: entries.len() as u64,
                has_more_items: more,
                total_items: total,
                ..Default::default()
            },
            entries,
        }
    }

    #[tokio::test]
    async fn collects_until_no_more_and_advances_by_what_arrived() {
        let mut asked = Vec::new();
        let all = collect_all(ENDPOINT, PageRequest::first(3), |request| {
            asked.push(request.skip_count);
            let result = match request.skip_count {
                0 => page(vec![1, 2, 3], true, Some(7)),
                // A short page: the next one starts after what arrived.
                3 => page(vec![4, 5], true, Some(7)),
                _ => page(vec![6, 7], false, Some(7)),
            };
            async move { Ok(result) }
        })
        .await
        .unwrap();
        assert_eq!(asked, [0, 3, 5]);
        assert_eq!(all.items, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(all.pages.len(), 3);
        assert!(!all.changed_while_paging());
    }

    #[tokio::test]
    async fn an_empty_page_claiming_more_is_an_error_not_a_loop() {
        let result = collect_all(ENDPOINT, PageRequest::first(10), |_| async {
            Ok(page(vec![], true, None))
        })
        .await;
        assert!(matches!(result, Err(RestError::InvalidResponse { .. })));
    }

    #[test]
    fn changes_between_pages_are_visible() {
        let moved = AllPages {
            items: vec![1, 2, 3],
            pages: vec![
                page(vec![], true, Some(3)).pagination,
                page(vec![], false, Some(4)).pagination,
            ],
        };
        assert!(moved.changed_while_paging());
        let short = AllPages {
            items: vec![1, 2],
            pages: vec![page(vec![], false, Some(3)).pagination],
        };
        assert!(short.changed_while_paging());
        let unknown = AllPages {
            items: vec![1, 2],
            pages: vec![page(vec![], false, None).pagination],
        };
        assert!(!unknown.changed_while_paging());
    }
}
