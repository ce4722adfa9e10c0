//! The site activity feed: what uploads, updates, deletes and downloads of site content post.

use chrono::{DateTime, Utc};

/// A file was added to a site.
pub const FILE_ADDED: &str = "org.alfresco.documentlibrary.file-added";
/// A file in a site was updated (content or properties).
pub const FILE_UPDATED: &str = "org.alfresco.documentlibrary.file-updated";
/// A file in a site was deleted.
pub const FILE_DELETED: &str = "org.alfresco.documentlibrary.file-deleted";
/// A file in a site was downloaded.
pub const FILE_DOWNLOADED: &str = "org.alfresco.documentlibrary.file-downloaded";
/// A folder was added to a site.
pub const FOLDER_ADDED: &str = "org.alfresco.documentlibrary.folder-added";
/// A folder in a site was deleted.
pub const FOLDER_DELETED: &str = "org.alfresco.documentlibrary.folder-deleted";

/// One posted activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Increasing feed id.
    pub id: u64,
    /// Site short name.
    pub site_id: String,
    /// Full activity type, e.g. [`FILE_ADDED`].
    pub activity_type: String,
    /// Who did it.
    pub user: String,
    /// When.
    pub posted_at: DateTime<Utc>,
    /// The node concerned.
    pub node_id: String,
    /// Its parent folder.
    pub parent_id: String,
    /// Its name at the time.
    pub name: String,
}

/// All activities posted since the emulator started, oldest first.
#[derive(Debug, Default)]
pub struct ActivityLog {
    entries: Vec<Activity>,
}

impl ActivityLog {
    /// Posts an activity and returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn post(
        &mut self,
        site_id: &str,
        activity_type: &str,
        user: &str,
        at: DateTime<Utc>,
        node_id: &str,
        parent_id: &str,
        name: &str,
    ) -> u64 {
        let id = self.entries.len() as u64 + 1;
        self.entries.push(Activity {
            id,
            site_id: site_id.to_owned(),
            activity_type: activity_type.to_owned(),
            user: user.to_owned(),
            posted_at: at,
            node_id: node_id.to_owned(),
            parent_id: parent_id.to_owned(),
            name: name.to_owned(),
        });
        id
    }

    /// All activities, oldest first.
    pub fn all(&self) -> &[Activity] {
        &self.entries
    }
}
