//! The user's repository trashcan as the `\Trash` mailbox (design decision 11): what Delete
//! does in Thunderbird, Apple Mail and iOS must be safe, so moving a message to Trash deletes
//! its node (restorable in Share), moving it out restores it, and EXPUNGE in Trash deletes for
//! good where the repository allows.

use super::document::FolderFacts;
use super::errors::{folder_error, message_error};
use super::listing::{item_of, shows_document};
use super::session::AlfrescoMailboxes;
use crate::alfresco::{Include, PageRequest};
use crate::config::ViewMode;
use crate::mailbox::{Listing, MailboxError};

impl AlfrescoMailboxes {
    /// The files this user deleted, newest first in the repository; as messages of every kind.
    pub(super) async fn list_trash(&self) -> Result<Listing, MailboxError> {
        let include = [Include::Properties, Include::AspectNames, Include::Path];
        let pages = self
            .session
            .all_deleted_nodes(self.settings().page_size, &include)
            .await
            .map_err(folder_error)?;
        let total = pages
            .pages
            .first()
            .and_then(|p| p.total_items)
            .unwrap_or(pages.items.len() as u64);
        let newest = pages.items.iter().filter_map(|d| d.archived_at).max();
        let mut items = Vec::with_capacity(pages.items.len());
        for deleted in &pages.items {
            let node = &deleted.node;
            // A deleted document is shown from the folder it was deleted from (its `path`).
            let context = if shows_document(node, ViewMode::Mixed) {
                let folder = FolderFacts::of_original_parent(node.path.as_ref());
                Some(self.context_for(folder).await?)
            } else {
                None
            };
            if let Some(mut item) = item_of(node, ViewMode::Mixed, context.as_ref()) {
                // In the trashcan only the owner of a node or an administrator may purge it;
                // the repository decides when asked.
                item.rights.delete = true;
                item.rights.update = true;
                items.push(item);
            }
        }
        Ok(Listing {
            items,
            stamp: format!(
                "{total}:{}",
                newest.map(|d| d.timestamp_millis()).unwrap_or(0)
            ),
            complete: !pages.changed_while_paging(),
        })
    }

    /// One cheap call: the number of deleted items and the newest deletion.
    pub(super) async fn trash_changed_since(&self, previous: &str) -> Result<bool, MailboxError> {
        let page = self
            .session
            .deleted_nodes(PageRequest::first(1), &[])
            .await
            .map_err(folder_error)?;
        let Some(total) = page.pagination.total_items else {
            return Ok(true);
        };
        let newest = page.entries.first().and_then(|d| d.archived_at);
        Ok(format!(
            "{total}:{}",
            newest.map(|d| d.timestamp_millis()).unwrap_or(0)
        ) != previous)
    }

    /// Deletes a node for good (EXPUNGE in Trash).
    pub(super) async fn purge(&self, node_id: &str) -> Result<(), MailboxError> {
        match self.session.purge_deleted_node(node_id).await {
            Ok(()) => Ok(()),
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(message_error(error)),
        }
    }
}
