//! Folder contents as message items, the one-call change check, where a vanished node went,
//! and message bytes.
//!
//! E-mails (nodes with `imap:imapContent`) are served as stored; their identity is their size
//! (and version label, when versioned), never `modifiedAt`. Documents are generated messages
//! whose inputs are pinned with the UID (see `document`): a listing that can show documents
//! reads the folder once (`include=path`, for its site and path) and the current templates,
//! and every document's facts come from the listing itself, so rendering needs no further
//! repository call.

use std::ops::Range;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::document::{DocumentFacts, DocumentPin, FolderFacts, PIN_VERSION, RenderInputs};
use super::errors::{folder_error, message_error};
use super::session::AlfrescoMailboxes;
use super::templates::Variant;
use super::tree::{FolderRef, Place};
use crate::alfresco::{ByteRange, ChildrenQuery, Include, Node, NodeQuery, OrderBy, WHERE_FILES};
use crate::config::ViewMode;
use crate::mailbox::{
    Content, Item, ItemRef, ItemRights, KnownStructure, Listing, ListingChanges, MailboxError,
    Presence,
};
use crate::state::Flags;

/// How often a listing whose pages shifted is read again before giving up.
const RESCANS: usize = 3;

/// What the documents of one folder are rendered with: the folder and the render inputs of
/// new UIDs.
#[derive(Debug, Clone)]
pub(super) struct DocumentContext {
    /// The folder.
    pub folder: FolderFacts,
    /// Templates, locale, URLs and addresses for the folder's variant.
    pub render: RenderInputs,
}

impl DocumentContext {
    /// The pin of a document shown in this context.
    pub fn pin(&self, document: DocumentFacts) -> DocumentPin {
        DocumentPin {
            v: PIN_VERSION,
            document,
            folder: self.folder.clone(),
            render: self.render.clone(),
        }
    }
}

impl AlfrescoMailboxes {
    /// The context of documents in a folder: one call for the folder (with its path), unless
    /// this user resolved it moments ago, and the current templates.
    pub(super) async fn document_context(
        &self,
        folder: &str,
    ) -> Result<DocumentContext, MailboxError> {
        if let Some(node) = self
            .backend
            .folders
            .recently_resolved(&self.user, folder)
            .await
        {
            return self.context_for(FolderFacts::of_folder(&node)).await;
        }
        let query = NodeQuery {
            include: vec![Include::Path],
            ..NodeQuery::default()
        };
        let node = self
            .session
            .node(folder, &query)
            .await
            .map_err(|e| match folder_error(e) {
                MailboxError::NotFound => MailboxError::MailboxGone,
                other => other,
            })?;
        self.context_for(FolderFacts::of_folder(&node)).await
    }

    /// The context of documents in a known folder (the current templates of its variant).
    pub(super) async fn context_for(
        &self,
        folder: FolderFacts,
    ) -> Result<DocumentContext, MailboxError> {
        let current = self.backend.templates.current(&self.session).await?;
        let variant = if folder.site.is_some() {
            Variant::Share
        } else {
            Variant::Alfresco
        };
        let settings = self.settings();
        Ok(DocumentContext {
            folder,
            render: RenderInputs {
                templates: current.chain(variant).clone(),
                locale: settings.locale.clone(),
                time_zone: settings.time_zone.clone(),
                alfresco_url: settings.alfresco_url.clone(),
                share_url: settings.share_url.clone(),
                content_app_url: settings.content_app_url.clone(),
                mail_from: settings.mail_from.clone(),
                mail_to: settings.mail_to.clone(),
                attach_content: settings.attach_content,
            },
        })
    }

    /// A node as an item of a folder's view, with the folder's document context when the node
    /// is a document the view shows.
    pub(super) async fn item_in(
        &self,
        node: &Node,
        mode: ViewMode,
        folder: &str,
    ) -> Result<Option<Item>, MailboxError> {
        let context = if shows_document(node, mode) {
            Some(self.document_context(folder).await?)
        } else {
            None
        };
        Ok(item_of(node, mode, context.as_ref()))
    }

    /// Every message of a folder in a view mode.
    pub(super) async fn list_folder(
        &self,
        folder: &str,
        mode: ViewMode,
    ) -> Result<Listing, MailboxError> {
        let query = ChildrenQuery {
            max_items: Some(self.settings().page_size),
            filter: Some(WHERE_FILES.into()),
            order_by: vec![OrderBy::asc("createdAt")],
            include: vec![
                Include::Properties,
                Include::AspectNames,
                Include::AllowableOperations,
            ],
            ..ChildrenQuery::default()
        };
        let context = match mode {
            ViewMode::Archive => None,
            ViewMode::Mixed | ViewMode::Virtual => Some(self.document_context(folder).await?),
        };
        let mut attempt = 0;
        let (pages, complete) = loop {
            let pages =
                self.session.all_children(folder, &query).await.map_err(
                    |e| match folder_error(e) {
                        MailboxError::NotFound => MailboxError::MailboxGone,
                        other => other,
                    },
                )?;
            attempt += 1;
            if !pages.changed_while_paging() {
                break (pages, true);
            }
            if attempt >= RESCANS {
                break (pages, false);
            }
        };
        let total = pages
            .pages
            .last()
            .and_then(|p| p.total_items)
            .unwrap_or(pages.items.len() as u64);
        let newest = pages.items.iter().filter_map(|n| n.modified_at).max();
        let items = pages
            .items
            .iter()
            .filter_map(|node| item_of(node, mode, context.as_ref()))
            .collect();
        Ok(Listing {
            items,
            stamp: stamp(total, newest),
            complete,
        })
    }

    /// One cheap call: the number of files and the newest modification.
    pub(super) async fn folder_changed_since(
        &self,
        folder: &str,
        previous: &str,
    ) -> Result<bool, MailboxError> {
        let query = ChildrenQuery {
            max_items: Some(1),
            filter: Some(WHERE_FILES.into()),
            order_by: vec![OrderBy::desc("modifiedAt")],
            fields: vec!["id".into(), "modifiedAt".into()],
            ..ChildrenQuery::default()
        };
        let page =
            self.session
                .children(folder, &query)
                .await
                .map_err(|e| match folder_error(e) {
                    MailboxError::NotFound => MailboxError::MailboxGone,
                    other => other,
                })?;
        let Some(total) = page.pagination.total_items else {
            return Ok(true);
        };
        let newest = page.entries.first().and_then(|n| n.modified_at);
        Ok(stamp(total, newest) != previous)
    }

    /// What changed in a folder since the listing that made `previous`: the cheap check
    /// (one call), and when it fails while the folder holds as many files as before, the
    /// files modified since the listing's newest modification, newest first (one more call).
    /// Anything it cannot account for (files arriving or leaving, more changes than one
    /// page, a modification without a date) is [`ListingChanges::Unknown`].
    pub(super) async fn folder_changes(
        &self,
        folder: &FolderRef,
        previous: &str,
    ) -> Result<ListingChanges, MailboxError> {
        if !self.folder_changed_since(&folder.id, previous).await? {
            return Ok(ListingChanges::None);
        }
        let Some((total, newest)) = parse_stamp(previous) else {
            return Ok(ListingChanges::Unknown);
        };
        let query = ChildrenQuery {
            max_items: Some(CHANGES_PAGE),
            filter: Some(WHERE_FILES.into()),
            order_by: vec![OrderBy::desc("modifiedAt")],
            include: vec![
                Include::Properties,
                Include::AspectNames,
                Include::AllowableOperations,
            ],
            ..ChildrenQuery::default()
        };
        let page =
            self.session
                .children(&folder.id, &query)
                .await
                .map_err(|e| match folder_error(e) {
                    MailboxError::NotFound => MailboxError::MailboxGone,
                    other => other,
                })?;
        if page.pagination.total_items != Some(total) {
            return Ok(ListingChanges::Unknown);
        }
        let mut changed = Vec::new();
        let mut reached_older = false;
        for node in &page.entries {
            let Some(modified) = node.modified_at else {
                return Ok(ListingChanges::Unknown);
            };
            // Same millisecond as the newest of the listing: looked at again, harmlessly.
            if modified.timestamp_millis() < newest {
                reached_older = true;
                break;
            }
            changed.push(node);
        }
        if !reached_older && page.pagination.has_more_items {
            return Ok(ListingChanges::Unknown);
        }
        let context = if changed.iter().any(|n| shows_document(n, folder.mode)) {
            Some(self.document_context(&folder.id).await?)
        } else {
            None
        };
        let stamp = stamp(total, page.entries.first().and_then(|n| n.modified_at));
        let changed = changed
            .into_iter()
            .map(|node| {
                (
                    node.id.clone(),
                    item_of(node, folder.mode, context.as_ref()),
                )
            })
            .collect();
        Ok(ListingChanges::Nodes { changed, stamp })
    }

    /// Where a node that left a listing went.
    pub(super) async fn presence_of(
        &self,
        place: &Place,
        node_id: &str,
    ) -> Result<Presence, MailboxError> {
        match place {
            Place::Trash => match self.session.deleted_node(node_id, &[]).await {
                Ok(_) => Ok(Presence::Here),
                Err(error) if error.is_not_found() => {
                    match self.session.node(node_id, &minimal()).await {
                        Ok(_) => Ok(Presence::Elsewhere),
                        Err(error) if error.is_not_found() => Ok(Presence::Gone),
                        Err(error) if error.is_forbidden() => Ok(Presence::Hidden),
                        Err(error) => Err(message_error(error)),
                    }
                }
                Err(error) => Err(message_error(error)),
            },
            Place::Folder(FolderRef { id, .. }) => {
                match self.session.node(node_id, &minimal()).await {
                    Ok(node) if node.parent_id.as_deref() == Some(id.as_str()) => {
                        Ok(Presence::Here)
                    }
                    Ok(_) => Ok(Presence::Elsewhere),
                    Err(error) if error.is_not_found() => Ok(Presence::Gone),
                    Err(error) if error.is_forbidden() => Ok(Presence::Hidden),
                    Err(error) => Err(message_error(error)),
                }
            }
        }
    }

    /// The bytes of a message (or a range of them).
    pub(super) async fn message_content(
        &self,
        item: &ItemRef,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError> {
        match Identity::parse(&item.identity) {
            Identity::Email { size } => self.email_content(&item.node_id, size, range).await,
            Identity::Document => self.document_content(item, range).await,
        }
    }

    /// The structure of a generated message (no download); `None` for stored e-mails.
    pub(super) async fn message_structure(
        &self,
        item: &ItemRef,
    ) -> Result<Option<KnownStructure>, MailboxError> {
        match Identity::parse(&item.identity) {
            Identity::Email { .. } => Ok(None),
            Identity::Document => self.document_structure(item).await.map(Some),
        }
    }

    async fn email_content(
        &self,
        node: &str,
        size: u64,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError> {
        let wanted = range.clone().unwrap_or(0..size);
        if wanted.start >= wanted.end || wanted.start >= size {
            return Ok(slice(Bytes::new(), None));
        }
        let byte_range = range.map(|r| ByteRange {
            start: r.start,
            end: Some(r.end.min(size) - 1),
        });
        let download = self
            .session
            .download(node, byte_range)
            .await
            .map_err(message_error)?;
        if download.total_length.is_some_and(|total| total != size) {
            // The stored message changed under its UID: it is not the message listed.
            return Err(MailboxError::MessageGone);
        }
        let expected = wanted.end.min(size) - wanted.start;
        if download.status == 200 && wanted != (0..size) {
            // The repository ignored the range: skip to it and stop at its end.
            let skip = wanted.start;
            let stream = skip_take(download.stream, skip, expected);
            return Ok(Content {
                length: expected,
                stream,
            });
        }
        if download.length.is_some_and(|length| length != expected) {
            return Err(MailboxError::MessageGone);
        }
        let stream = download.stream.map(|chunk| chunk.map_err(message_error));
        Ok(Content {
            length: expected,
            stream: Box::pin(stream),
        })
    }
}

/// Whether a node is a document (not an e-mail) that a view shows.
pub(super) fn shows_document(node: &Node, mode: ViewMode) -> bool {
    mode != ViewMode::Archive
        && node.is_file
        && !node.has_aspect("imap:imapContent")
        && !node.name.starts_with('.')
        && !node.has_aspect("cm:workingcopy")
}

/// A listed node as a message item of a view, or `None` when the view does not show it. A
/// document is pinned with `context` (without one, its UID has no pin and is rendered from
/// the document as it is whenever it is fetched).
pub(super) fn item_of(
    node: &Node,
    mode: ViewMode,
    context: Option<&DocumentContext>,
) -> Option<Item> {
    if !node.is_file || node.name.starts_with('.') || node.has_aspect("cm:workingcopy") {
        return None;
    }
    let email = node.has_aspect("imap:imapContent");
    let shown = match mode {
        ViewMode::Archive => email,
        ViewMode::Virtual => !email,
        ViewMode::Mixed => true,
    };
    if !shown {
        return None;
    }
    let created = node.created_at.unwrap_or_default();
    let rights = ItemRights {
        update: node.allows("update"),
        delete: node.allows("delete"),
    };
    let imported_flags = Flags {
        answered: node.property_bool("imap:flagAnswered").unwrap_or(false),
        flagged: node.property_bool("imap:flagFlagged").unwrap_or(false),
        deleted: node.property_bool("imap:flagDeleted").unwrap_or(false),
        seen: node.property_bool("imap:flagSeen").unwrap_or(false),
        draft: node.property_bool("imap:flagDraft").unwrap_or(false),
        keywords: Default::default(),
    };
    if email {
        let size = node.size().unwrap_or(0);
        let identity = match node.property_str("cm:versionLabel") {
            Some(label) => format!("e:{size}:{label}"),
            None => format!("e:{size}"),
        };
        Some(Item {
            node_id: node.id.clone(),
            identity,
            arrival: created.timestamp_millis(),
            internal_date: node.property_date("imap:dateReceived").unwrap_or(created),
            size: Some(size),
            rights,
            imported_flags,
            pin: None,
        })
    } else {
        let facts = DocumentFacts::of(node);
        Some(Item {
            node_id: node.id.clone(),
            identity: facts.identity(),
            arrival: created.timestamp_millis(),
            internal_date: created,
            size: None,
            rights,
            imported_flags,
            pin: context.map(|c| c.pin(facts).to_bytes()),
        })
    }
}

/// What kind of message an identity stands for.
pub(super) enum Identity {
    /// A stored e-mail of this size.
    Email {
        /// Its size.
        size: u64,
    },
    /// A generated message (`d:…`, or `r:d:…` for one being renumbered).
    Document,
}

impl Identity {
    /// Reads an identity made by [`item_of`].
    pub fn parse(identity: &str) -> Self {
        match identity.strip_prefix("e:") {
            Some(rest) => Identity::Email {
                size: rest
                    .split(':')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            },
            None => Identity::Document,
        }
    }
}

/// The files a change lookup reads at most (newest first); more changes than this are
/// found by a full listing.
const CHANGES_PAGE: u32 = 100;

/// The file count and newest modification (milliseconds) of a [`stamp`].
fn parse_stamp(stamp: &str) -> Option<(u64, i64)> {
    let (total, newest) = stamp.split_once(':')?;
    Some((total.parse().ok()?, newest.parse().ok()?))
}

fn stamp(total: u64, newest: Option<DateTime<Utc>>) -> String {
    format!(
        "{total}:{}",
        newest.map(|d| d.timestamp_millis()).unwrap_or(0)
    )
}

fn minimal() -> NodeQuery {
    NodeQuery {
        fields: vec!["id".into(), "parentId".into()],
        ..NodeQuery::default()
    }
}

/// In-memory bytes (or a range of them) as content.
pub(super) fn slice(bytes: Bytes, range: Option<Range<u64>>) -> Content {
    let len = bytes.len() as u64;
    let range = range.unwrap_or(0..len);
    let start = range.start.min(len) as usize;
    let end = range.end.min(len).max(range.start.min(len)) as usize;
    let part = bytes.slice(start..end);
    Content {
        length: part.len() as u64,
        stream: Box::pin(futures::stream::once(async move { Ok(part) })),
    }
}

/// Skips `skip` bytes of a stream and yields `take` bytes after them.
fn skip_take(
    stream: crate::alfresco::ContentStream,
    skip: u64,
    take: u64,
) -> crate::mailbox::ByteStream {
    let state = (stream, skip, take);
    Box::pin(futures::stream::unfold(
        state,
        |(mut stream, mut skip, mut take)| async move {
            loop {
                if take == 0 {
                    return None;
                }
                let chunk = match stream.next().await? {
                    Ok(chunk) => chunk,
                    Err(error) => return Some((Err(message_error(error)), (stream, 0, 0))),
                };
                let mut chunk = chunk;
                if skip > 0 {
                    let cut = skip.min(chunk.len() as u64) as usize;
                    chunk = chunk.slice(cut..);
                    skip -= cut as u64;
                }
                if chunk.is_empty() {
                    continue;
                }
                let keep = take.min(chunk.len() as u64) as usize;
                take -= keep as u64;
                return Some((Ok(chunk.slice(..keep)), (stream, skip, take)));
            }
        },
    ))
}
