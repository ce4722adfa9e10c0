//! An in-memory repository behind [`Mailboxes`]: the backend of the protocol tests, the fuzz
//! target and the benchmarks of the protocol layer.
//!
//! Each user has personal folders (`INBOX` and what they create); shared folders are seen by
//! every user with rights set per user, so tests can show what one user may do and another may
//! not. Tests change the repository "underneath" sessions through [`MemoryRepository`]'s
//! methods, as Share or another client would.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};

use super::backend::*;
use crate::clock::SharedClock;
use crate::state::{Flags, MailboxKey};

/// The in-memory repository shared by every user.
#[derive(Debug)]
pub struct MemoryRepository {
    inner: Mutex<Repo>,
    clock: SharedClock,
}

#[derive(Debug, Default)]
struct Repo {
    users: HashMap<String, String>,
    folders: BTreeMap<FolderName, Folder>,
    next_id: u64,
    /// Failures to inject: the next N calls answer with this error.
    failures: Vec<MailboxError>,
}

/// A folder's name: personal folders belong to a user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct FolderName {
    owner: Option<String>,
    name: String,
}

#[derive(Debug, Clone)]
struct Folder {
    id: String,
    selectable: bool,
    special_use: Option<SpecialUse>,
    /// Rights per user for shared folders; owners have every right on their own folders.
    rights: HashMap<String, MailboxRights>,
    items: Vec<StoredItem>,
    version: u64,
}

#[derive(Debug, Clone)]
struct StoredItem {
    node_id: String,
    version: u32,
    bytes: Bytes,
    arrival: i64,
    date: DateTime<Utc>,
    hidden_from: Vec<String>,
    imported_flags: Flags,
}

/// All rights.
pub const ALL_RIGHTS: MailboxRights = MailboxRights {
    insert: true,
    update: true,
    delete: true,
    create_children: true,
};

/// Read-only access.
pub const READ_ONLY: MailboxRights = MailboxRights {
    insert: false,
    update: false,
    delete: false,
    create_children: false,
};

impl MemoryRepository {
    /// An empty repository.
    pub fn new(clock: SharedClock) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Repo::default()),
            clock,
        })
    }

    fn repo(&self) -> MutexGuard<'_, Repo> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a user with an INBOX and the special folders.
    pub fn add_user(&self, user: &str, password: &str) {
        let mut repo = self.repo();
        repo.users.insert(user.to_owned(), password.to_owned());
        for (name, special) in [
            ("INBOX", None),
            ("Sent", Some(SpecialUse::Sent)),
            ("Drafts", Some(SpecialUse::Drafts)),
            ("Junk", Some(SpecialUse::Junk)),
            ("Trash", Some(SpecialUse::Trash)),
        ] {
            let id = repo.new_id();
            repo.folders.insert(
                FolderName {
                    owner: Some(user.to_owned()),
                    name: name.to_owned(),
                },
                Folder::new(id, special),
            );
        }
    }

    /// Adds a shared folder (and its parents) with the given rights for each user.
    pub fn add_shared_folder(&self, name: &str, rights: &[(&str, MailboxRights)]) {
        let mut repo = self.repo();
        let mut path = String::new();
        for part in name.split(DELIMITER) {
            if !path.is_empty() {
                path.push(DELIMITER);
            }
            path.push_str(part);
            let key = FolderName {
                owner: None,
                name: path.clone(),
            };
            if !repo.folders.contains_key(&key) {
                let id = repo.new_id();
                repo.folders.insert(key.clone(), Folder::new(id, None));
            }
            if let Some(folder) = repo.folders.get_mut(&key) {
                for (user, r) in rights {
                    folder.rights.insert((*user).to_owned(), *r);
                }
            }
        }
    }

    /// Makes a shared folder unselectable (`\Noselect`).
    pub fn set_selectable(&self, name: &str, selectable: bool) {
        if let Some(folder) = self.repo().folders.get_mut(&FolderName {
            owner: None,
            name: name.to_owned(),
        }) {
            folder.selectable = selectable;
        }
    }

    /// Stores a message "underneath" the sessions (as another client or Share would) in a
    /// folder of `owner` (or a shared one with `None`); returns its node id.
    pub fn deliver(&self, owner: Option<&str>, folder: &str, bytes: &[u8]) -> String {
        let now = self.clock.now();
        let mut repo = self.repo();
        let node_id = repo.new_id();
        let arrival = now.timestamp_millis() * 1000 + (repo.next_id % 1000) as i64;
        if let Some(folder) = repo.folders.get_mut(&FolderName {
            owner: owner.map(str::to_owned),
            name: folder.to_owned(),
        }) {
            folder.items.push(StoredItem {
                node_id: node_id.clone(),
                version: 1,
                bytes: Bytes::copy_from_slice(bytes),
                arrival,
                date: now,
                hidden_from: Vec::new(),
                imported_flags: Flags::default(),
            });
            folder.version += 1;
        }
        node_id
    }

    /// Deletes a node "underneath" the sessions.
    pub fn remove(&self, node_id: &str) {
        let mut repo = self.repo();
        for folder in repo.folders.values_mut() {
            let before = folder.items.len();
            folder.items.retain(|item| item.node_id != node_id);
            if folder.items.len() != before {
                folder.version += 1;
            }
        }
    }

    /// Replaces a node's content (a new version: a new identity, hence a new UID).
    pub fn replace_content(&self, node_id: &str, bytes: &[u8]) {
        let mut repo = self.repo();
        for folder in repo.folders.values_mut() {
            let mut changed = false;
            for item in folder.items.iter_mut().filter(|i| i.node_id == node_id) {
                item.bytes = Bytes::copy_from_slice(bytes);
                item.version += 1;
                changed = true;
            }
            if changed {
                folder.version += 1;
            }
        }
    }

    /// Hides a node from one user (a permission change).
    pub fn hide_from(&self, node_id: &str, user: &str) {
        let mut repo = self.repo();
        for folder in repo.folders.values_mut() {
            for item in folder.items.iter_mut().filter(|i| i.node_id == node_id) {
                item.hidden_from.push(user.to_owned());
                folder.version += 1;
            }
        }
    }

    /// Sets flags "left by Alfresco's built-in server" on a node.
    pub fn set_imported_flags(&self, node_id: &str, flags: Flags) {
        let mut repo = self.repo();
        for folder in repo.folders.values_mut() {
            for item in folder.items.iter_mut().filter(|i| i.node_id == node_id) {
                item.imported_flags = flags.clone();
            }
        }
    }

    /// The node ids in a folder, in arrival order.
    pub fn node_ids(&self, owner: Option<&str>, folder: &str) -> Vec<String> {
        let repo = self.repo();
        repo.folders
            .get(&FolderName {
                owner: owner.map(str::to_owned),
                name: folder.to_owned(),
            })
            .map(|f| f.items.iter().map(|i| i.node_id.clone()).collect())
            .unwrap_or_default()
    }

    /// The bytes of a node.
    pub fn content_of(&self, node_id: &str) -> Option<Bytes> {
        let repo = self.repo();
        repo.folders
            .values()
            .flat_map(|f| f.items.iter())
            .find(|i| i.node_id == node_id)
            .map(|i| i.bytes.clone())
    }

    /// Makes the next `count` repository calls fail with `error`.
    pub fn fail_next(&self, count: usize, error: MailboxError) {
        let mut repo = self.repo();
        for _ in 0..count {
            repo.failures.push(error.clone());
        }
    }

    /// The authenticator for this repository.
    pub fn authenticator(self: &Arc<Self>) -> Arc<dyn Authenticator> {
        Arc::new(MemoryAuthenticator {
            repository: self.clone(),
        })
    }

    /// The mailboxes of a user, without logging in.
    pub fn mailboxes(self: &Arc<Self>, user: &str) -> MemoryMailboxes {
        MemoryMailboxes {
            repository: self.clone(),
            user: user.to_owned(),
        }
    }
}

impl Repo {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.next_id)
    }

    fn fail(&mut self) -> Result<(), MailboxError> {
        match self.failures.pop() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The folder a user reaches by `name`: personal first, then shared.
    fn find(&self, user: &str, name: &str) -> Option<(FolderName, &Folder)> {
        let personal = FolderName {
            owner: Some(user.to_owned()),
            name: name.to_owned(),
        };
        if let Some(folder) = self.folders.get(&personal) {
            return Some((personal, folder));
        }
        let shared = FolderName {
            owner: None,
            name: name.to_owned(),
        };
        let folder = self.folders.get(&shared)?;
        folder.rights.contains_key(user).then_some((shared, folder))
    }

    fn rights(&self, user: &str, key: &FolderName, folder: &Folder) -> MailboxRights {
        if key.owner.as_deref() == Some(user) {
            ALL_RIGHTS
        } else {
            folder.rights.get(user).copied().unwrap_or(READ_ONLY)
        }
    }

    fn info(&self, user: &str, key: &FolderName, folder: &Folder) -> MailboxInfo {
        let prefix = format!("{}{}", key.name, DELIMITER);
        let has_children = self.folders.iter().any(|(k, f)| {
            k.owner == key.owner && k.name.starts_with(&prefix) && self.visible(user, k, f)
        });
        MailboxInfo {
            name: key.name.clone(),
            key: folder.selectable.then(|| MailboxKey {
                folder_id: folder.id.clone(),
                view: "archive".into(),
            }),
            has_children,
            special_use: folder.special_use,
            rights: self.rights(user, key, folder),
            subscribed_by_default: key.owner.is_some(),
        }
    }

    fn visible(&self, user: &str, key: &FolderName, folder: &Folder) -> bool {
        key.owner.as_deref() == Some(user)
            || (key.owner.is_none() && folder.rights.contains_key(user))
    }
}

impl Folder {
    fn new(id: String, special_use: Option<SpecialUse>) -> Self {
        Self {
            id,
            selectable: true,
            special_use,
            rights: HashMap::new(),
            items: Vec::new(),
            version: 0,
        }
    }
}

/// Checks passwords against the repository's users.
#[derive(Debug)]
pub struct MemoryAuthenticator {
    repository: Arc<MemoryRepository>,
}

#[async_trait]
impl Authenticator for MemoryAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Mailboxes>, AuthError> {
        let Credentials::Password { user, password } = credentials else {
            return Err(AuthError::Rejected);
        };
        let mut repo = self.repository.repo();
        repo.fail()
            .map_err(|e| AuthError::Unavailable(e.to_string()))?;
        let canonical = repo
            .users
            .keys()
            .find(|u| u.eq_ignore_ascii_case(user))
            .cloned()
            .ok_or(AuthError::Rejected)?;
        if repo.users.get(&canonical).map(String::as_str) != Some(password.expose()) {
            return Err(AuthError::Rejected);
        }
        drop(repo);
        Ok(Arc::new(self.repository.mailboxes(&canonical)))
    }
}

/// One user's view of the in-memory repository.
#[derive(Debug, Clone)]
pub struct MemoryMailboxes {
    repository: Arc<MemoryRepository>,
    user: String,
}

impl MemoryMailboxes {
    fn item(&self, stored: &StoredItem, rights: &MailboxRights) -> Item {
        Item {
            node_id: stored.node_id.clone(),
            identity: format!("v{}", stored.version),
            arrival: stored.arrival,
            internal_date: stored.date,
            size: Some(stored.bytes.len() as u64),
            rights: ItemRights {
                update: rights.update,
                delete: rights.delete,
            },
            imported_flags: stored.imported_flags.clone(),
            pin: None,
        }
    }

    /// The folder a selected mailbox stands for, found by its id (a folder renamed
    /// underneath a session is still the same mailbox).
    fn selectable(&self, repo: &Repo, info: &MailboxInfo) -> Result<FolderName, MailboxError> {
        let id = info
            .key
            .as_ref()
            .map(|k| &k.folder_id)
            .ok_or(MailboxError::MailboxGone)?;
        repo.folders
            .iter()
            .find(|(key, folder)| &folder.id == id && repo.visible(&self.user, key, folder))
            .map(|(key, _)| key.clone())
            .ok_or(MailboxError::MailboxGone)
    }
}

#[async_trait]
impl Mailboxes for MemoryMailboxes {
    fn user(&self) -> &str {
        &self.user
    }

    async fn children(&self, parent: Option<&str>) -> Result<Vec<MailboxInfo>, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let mut out: Vec<MailboxInfo> = repo
            .folders
            .iter()
            .filter(|(key, folder)| repo.visible(&self.user, key, folder))
            .filter(|(key, _)| match parent {
                None => !key.name.contains(DELIMITER),
                Some(parent) => key
                    .name
                    .strip_prefix(parent)
                    .and_then(|rest| rest.strip_prefix(DELIMITER))
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains(DELIMITER)),
            })
            .map(|(key, folder)| repo.info(&self.user, key, folder))
            .collect();
        out.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
        out.dedup_by(|a, b| a.name == b.name);
        Ok(out)
    }

    async fn mailbox(&self, name: &str) -> Result<MailboxInfo, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let (key, folder) = repo.find(&self.user, name).ok_or(MailboxError::NotFound)?;
        Ok(repo.info(&self.user, &key, folder))
    }

    async fn default_subscription_roots(&self) -> Result<Vec<String>, MailboxError> {
        let repo = self.repository.repo();
        Ok(repo
            .folders
            .keys()
            .filter(|k| k.owner.as_deref() == Some(&self.user) && !k.name.contains(DELIMITER))
            .map(|k| k.name.clone())
            .collect())
    }

    async fn create(&self, name: &str) -> Result<(), MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        if repo.find(&self.user, name).is_some() {
            return Err(MailboxError::AlreadyExists);
        }
        let mut path = String::new();
        for part in name.split(DELIMITER) {
            if !path.is_empty() {
                path.push(DELIMITER);
            }
            path.push_str(part);
            if repo.find(&self.user, &path).is_some() {
                continue;
            }
            let shared_parent = path
                .rsplit_once(DELIMITER)
                .and_then(|(parent, _)| repo.find(&self.user, parent))
                .filter(|(key, _)| key.owner.is_none())
                .map(|(key, folder)| repo.rights(&self.user, &key, folder));
            if let Some(rights) = shared_parent {
                if !rights.create_children {
                    return Err(MailboxError::NoPermission(
                        "cannot create folders here".into(),
                    ));
                }
                let id = repo.new_id();
                let mut folder = Folder::new(id, None);
                folder.rights.insert(self.user.clone(), ALL_RIGHTS);
                repo.folders.insert(
                    FolderName {
                        owner: None,
                        name: path.clone(),
                    },
                    folder,
                );
                continue;
            }
            {
                let id = repo.new_id();
                repo.folders.insert(
                    FolderName {
                        owner: Some(self.user.clone()),
                        name: path.clone(),
                    },
                    Folder::new(id, None),
                );
            }
        }
        Ok(())
    }

    async fn delete(&self, name: &str) -> Result<(), MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let (key, folder) = repo.find(&self.user, name).ok_or(MailboxError::NotFound)?;
        if key.owner.is_none() && !repo.rights(&self.user, &key, folder).delete {
            return Err(MailboxError::NoPermission(
                "cannot delete this folder".into(),
            ));
        }
        let prefix = format!("{}{}", key.name, DELIMITER);
        if repo
            .folders
            .keys()
            .any(|k| k.owner == key.owner && k.name.starts_with(&prefix))
        {
            return Err(MailboxError::Cannot(
                "the mailbox has child mailboxes".into(),
            ));
        }
        repo.folders.remove(&key);
        Ok(())
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let (key, _) = repo.find(&self.user, from).ok_or(MailboxError::NotFound)?;
        if repo.find(&self.user, to).is_some() {
            return Err(MailboxError::AlreadyExists);
        }
        let prefix = format!("{}{}", key.name, DELIMITER);
        // RFC 3501 §6.3.5: renaming INBOX moves its messages only; its inferiors stay.
        let moved: Vec<FolderName> = repo
            .folders
            .keys()
            .filter(|k| k.owner == key.owner)
            .filter(|k| k.name == key.name || (from != "INBOX" && k.name.starts_with(&prefix)))
            .cloned()
            .collect();
        for old in moved {
            if let Some(folder) = repo.folders.remove(&old) {
                let name = format!("{to}{}", &old.name[key.name.len()..]);
                repo.folders.insert(
                    FolderName {
                        owner: old.owner.clone(),
                        name,
                    },
                    folder,
                );
            }
        }
        if from == "INBOX" {
            // RFC 3501 §6.3.5: renaming INBOX moves its messages; INBOX stays, empty.
            let id = repo.new_id();
            repo.folders.insert(
                FolderName {
                    owner: Some(self.user.clone()),
                    name: "INBOX".into(),
                },
                Folder::new(id, None),
            );
        }
        Ok(())
    }

    async fn list(&self, mailbox: &MailboxInfo) -> Result<Listing, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let key = self.selectable(&repo, mailbox)?;
        let folder = &repo.folders[&key];
        let rights = repo.rights(&self.user, &key, folder);
        let items = folder
            .items
            .iter()
            .filter(|i| !i.hidden_from.contains(&self.user))
            .map(|i| self.item(i, &rights))
            .collect();
        Ok(Listing {
            items,
            stamp: folder.version.to_string(),
            complete: true,
        })
    }

    async fn changed_since(
        &self,
        mailbox: &MailboxInfo,
        stamp: &str,
    ) -> Result<bool, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let key = self.selectable(&repo, mailbox)?;
        Ok(repo.folders[&key].version.to_string() != stamp)
    }

    async fn presence(
        &self,
        mailbox: &MailboxInfo,
        node_ids: &[String],
    ) -> Result<Vec<Presence>, MailboxError> {
        let repo = self.repository.repo();
        let key = self.selectable(&repo, mailbox)?;
        let folder = &repo.folders[&key];
        Ok(node_ids
            .iter()
            .map(|id| {
                if let Some(item) = folder.items.iter().find(|i| &i.node_id == id) {
                    if item.hidden_from.contains(&self.user) {
                        Presence::Hidden
                    } else {
                        Presence::Here
                    }
                } else if repo
                    .folders
                    .values()
                    .any(|f| f.items.iter().any(|i| &i.node_id == id))
                {
                    Presence::Elsewhere
                } else {
                    Presence::Gone
                }
            })
            .collect())
    }

    async fn content(
        &self,
        mailbox: &MailboxInfo,
        item: &ItemRef,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let key = self.selectable(&repo, mailbox)?;
        let stored = repo.folders[&key]
            .items
            .iter()
            .find(|i| i.node_id == item.node_id && format!("v{}", i.version) == item.identity)
            .ok_or(MailboxError::MessageGone)?;
        let bytes = stored.bytes.clone();
        let len = bytes.len() as u64;
        let range = range.unwrap_or(0..len);
        let start = range.start.min(len) as usize;
        let end = range.end.min(len) as usize;
        let slice = bytes.slice(start..end.max(start));
        let length = slice.len() as u64;
        let chunks: Vec<Result<Bytes, MailboxError>> = slice
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Ok(Content {
            length,
            stream: Box::pin(futures::stream::iter(chunks)),
        })
    }

    async fn append(
        &self,
        mailbox: &MailboxInfo,
        request: &AppendRequest,
    ) -> Result<Item, MailboxError> {
        let bytes = match &request.body {
            MessageBody::Memory(bytes) => bytes.clone(),
            MessageBody::File { path, .. } => Bytes::from(
                tokio::fs::read(path)
                    .await
                    .map_err(|e| MailboxError::Internal(e.to_string()))?,
            ),
        };
        let now = self.repository.clock.now();
        let mut repo = self.repository.repo();
        repo.fail()?;
        let key = self.selectable(&repo, mailbox)?;
        let node_id = repo.new_id();
        let arrival = now.timestamp_millis() * 1000 + (repo.next_id % 1000) as i64;
        let date = request
            .internal_date
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(now);
        let rights = repo.rights(&self.user, &key, &repo.folders[&key]);
        let stored = StoredItem {
            node_id,
            version: 1,
            bytes,
            arrival,
            date,
            hidden_from: Vec::new(),
            imported_flags: Flags::default(),
        };
        let item = self.item(&stored, &rights);
        if let Some(folder) = repo.folders.get_mut(&key) {
            folder.items.push(stored);
            folder.version += 1;
        }
        Ok(item)
    }

    async fn copy(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let now = self.repository.clock.now();
        let mut repo = self.repository.repo();
        repo.fail()?;
        let source = self.selectable(&repo, from)?;
        let target = self.selectable(&repo, to)?;
        let mut copies = Vec::new();
        for item in items {
            let stored = repo.folders[&source]
                .items
                .iter()
                .find(|i| i.node_id == item.node_id)
                .cloned()
                .ok_or(MailboxError::MessageGone)?;
            let node_id = repo.new_id();
            let arrival = now.timestamp_millis() * 1000 + (repo.next_id % 1000) as i64;
            copies.push(StoredItem {
                node_id,
                version: 1,
                arrival,
                hidden_from: Vec::new(),
                ..stored
            });
        }
        let rights = repo.rights(&self.user, &target, &repo.folders[&target]);
        let out = copies.iter().map(|c| self.item(c, &rights)).collect();
        if let Some(folder) = repo.folders.get_mut(&target) {
            folder.items.extend(copies);
            folder.version += 1;
        }
        Ok(out)
    }

    async fn move_to(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let source = self.selectable(&repo, from)?;
        let target = self.selectable(&repo, to)?;
        let mut moved = Vec::new();
        for item in items {
            let position = repo.folders[&source]
                .items
                .iter()
                .position(|i| i.node_id == item.node_id)
                .ok_or(MailboxError::MessageGone)?;
            moved.push(position);
        }
        let mut taken = Vec::new();
        if let Some(folder) = repo.folders.get_mut(&source) {
            let mut positions = moved.clone();
            positions.sort_unstable_by(|a, b| b.cmp(a));
            let mut by_position = HashMap::new();
            for p in positions {
                by_position.insert(p, folder.items.remove(p));
            }
            for p in moved {
                if let Some(item) = by_position.remove(&p) {
                    taken.push(item);
                }
            }
            folder.version += 1;
        }
        let rights = repo.rights(&self.user, &target, &repo.folders[&target]);
        let out = taken.iter().map(|c| self.item(c, &rights)).collect();
        if let Some(folder) = repo.folders.get_mut(&target) {
            folder.items.extend(taken);
            folder.version += 1;
        }
        Ok(out)
    }

    async fn expunge(
        &self,
        mailbox: &MailboxInfo,
        items: &[ItemRef],
    ) -> Result<Vec<Result<(), MailboxError>>, MailboxError> {
        let mut repo = self.repository.repo();
        repo.fail()?;
        let key = self.selectable(&repo, mailbox)?;
        let mut outcomes = Vec::new();
        if let Some(folder) = repo.folders.get_mut(&key) {
            for item in items {
                let before = folder.items.len();
                folder.items.retain(|i| i.node_id != item.node_id);
                outcomes.push(if folder.items.len() < before {
                    Ok(())
                } else {
                    Err(MailboxError::MessageGone)
                });
            }
            folder.version += 1;
        }
        Ok(outcomes)
    }
}

/// A fixed date for deterministic tests.
pub fn test_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
        .single()
        .unwrap_or_default()
}
