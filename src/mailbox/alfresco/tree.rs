//! Mailbox names ↔ repository folders, and the folders LIST shows.
//!
//! `INBOX` and the other folders of the IMAP home are at the top level (ARCHIVE); each mount
//! point is a top-level mailbox whose subtree mirrors the repository in its mode; `Trash` is
//! the trashcan. Listing leaves out hidden and system folders, excluded paths, attachment
//! folders, site components IMAP cannot show, and sites that are not the user's IMAP
//! favourites. Direct access by name is not filtered (as in Alfresco): whatever the
//! repository lets the user open, they can select.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::errors::folder_error;
use super::home::create_missing_folders;
use super::session::{AlfrescoMailboxes, lookup_path};
use crate::alfresco::{
    ChildrenQuery, Include, Node, NodeQuery, ROOT, WHERE_FOLDERS, imap_favourite_site,
};
use crate::config::ViewMode;
use crate::mailbox::{DELIMITER, MailboxError, MailboxInfo, MailboxRights, SpecialUse};
use crate::ops::{Cache, registry};
use crate::state::MailboxKey;

/// The view tag of the trashcan in state-store keys.
pub(super) const TRASH_VIEW: &str = "trash";
/// The folder id of the trashcan in state-store keys.
pub const TRASH_ID: &str = "trash";

/// Names clients create on their own for the special folders (matched without regard to
/// case): they open the configured folder instead.
const ALIASES: &[(&str, Alias)] = &[
    ("Sent Items", Alias::Sent),
    ("Sent Messages", Alias::Sent),
    ("Sent Mail", Alias::Sent),
    ("Gesendete Elemente", Alias::Sent),
    ("Gesendet", Alias::Sent),
    ("Éléments envoyés", Alias::Sent),
    ("Deleted Items", Alias::Trash),
    ("Deleted Messages", Alias::Trash),
    ("Gelöschte Elemente", Alias::Trash),
    ("Papierkorb", Alias::Trash),
    ("Entwürfe", Alias::Drafts),
    ("Junk E-mail", Alias::Junk),
    ("Junk-E-Mail", Alias::Junk),
    ("Spam", Alias::Junk),
];

#[derive(Debug, Clone, Copy)]
enum Alias {
    Sent,
    Drafts,
    Junk,
    Trash,
}

/// Which part of the namespace a folder is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Zone {
    /// The user's IMAP home (ARCHIVE).
    Home,
    /// Below a mount point (index into the settings' mounts).
    Mount(usize),
}

/// A folder a mailbox name leads to.
#[derive(Debug, Clone)]
pub(super) struct Folder {
    /// The mailbox name.
    pub name: String,
    /// The folder node.
    pub node: Node,
    /// How it shows content.
    pub mode: ViewMode,
    /// Where it is.
    pub zone: Zone,
    /// Its path as names below the mount's root (mount zone; empty for the root itself).
    pub below_mount: Vec<String>,
}

/// What a mailbox name leads to.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    /// A repository folder.
    Folder(Box<Folder>),
    /// The trashcan.
    Trash,
}

/// The folder and mode of a mailbox, from its state-store key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FolderRef {
    /// The folder node id.
    pub id: String,
    /// The view mode.
    pub mode: ViewMode,
}

/// A selectable mailbox, by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    /// A folder.
    Folder(FolderRef),
    /// The trashcan.
    Trash,
}

impl Place {
    /// The place a [`MailboxInfo`] stands for.
    pub fn of_info(info: &MailboxInfo) -> Result<Self, MailboxError> {
        let key = info
            .key
            .as_ref()
            .ok_or_else(|| MailboxError::Cannot("this mailbox cannot hold messages".into()))?;
        if key.view == TRASH_VIEW {
            return Ok(Place::Trash);
        }
        let mode = match key.view.as_str() {
            "archive" => ViewMode::Archive,
            "mixed" => ViewMode::Mixed,
            "virtual" => ViewMode::Virtual,
            _ => return Err(MailboxError::Internal(format!("unknown view {}", key.view))),
        };
        Ok(Place::Folder(FolderRef {
            id: key.folder_id.clone(),
            mode,
        }))
    }
}

/// The tag of a mode in state-store keys.
pub(super) fn view_tag(mode: ViewMode) -> &'static str {
    match mode {
        ViewMode::Archive => "archive",
        ViewMode::Mixed => "mixed",
        ViewMode::Virtual => "virtual",
    }
}

/// Child folders per (user, folder), shared by a user's sessions for a short time, so a LIST
/// of the whole tree costs one call per folder and concurrent sessions share one call. The
/// folders those listings named are remembered by (user, mailbox name) for as long, so that
/// walking down the tree does not look each name up again.
pub(crate) struct FolderCache {
    cache: moka::future::Cache<(String, String), Arc<Vec<Node>>>,
    named: moka::future::Cache<(String, String), Arc<Folder>>,
    /// Folders a user just resolved with their path, by (user, node id): listing the folder's
    /// documents right after (SELECT) needs no second look at the folder.
    resolved: moka::future::Cache<(String, String), Node>,
}

impl FolderCache {
    /// A cache keeping entries for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        let ttl = ttl.max(Duration::from_millis(1));
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            named: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            resolved: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// Remembers a folder node `user` just fetched with its path.
    async fn resolved(&self, user: &str, node: &Node) {
        if node.path.is_some() {
            self.resolved
                .insert((user.to_owned(), node.id.clone()), node.clone())
                .await;
        }
    }

    /// The folder node (with its path) `user` resolved moments ago, if any.
    pub async fn recently_resolved(&self, user: &str, id: &str) -> Option<Node> {
        self.resolved.get(&(user.to_owned(), id.to_owned())).await
    }

    /// Remembers the folder a listing showed under `folder.name` for `user`.
    async fn remember(&self, user: &str, folder: &Folder) {
        self.named
            .insert(
                (user.to_owned(), folder.name.clone()),
                Arc::new(folder.clone()),
            )
            .await;
    }

    /// The folder a recent listing showed under `name` for `user`.
    async fn named(&self, user: &str, name: &str) -> Option<Arc<Folder>> {
        let folder = self.named.get(&(user.to_owned(), name.to_owned())).await;
        registry().record_cache(Cache::FolderNames, folder.is_some());
        folder
    }

    /// Forgets a folder's children for a user (after this user changed them).
    pub async fn forget(&self, user: &str, folder: &str) {
        self.cache
            .invalidate(&(user.to_owned(), folder.to_owned()))
            .await;
    }
}

/// A user's sites: (short name, site node id), favourites or all memberships.
#[derive(Debug, Default)]
pub(super) struct SiteCache {
    entry: Mutex<Option<(Instant, Sites)>>,
}

/// Sites as (short name, node id).
pub(super) type Sites = Arc<Vec<(String, String)>>;

/// Hidden names (Alfresco's hidden-file rules for IMAP).
fn hidden_name(name: &str) -> bool {
    name.starts_with('.')
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("Desktop.ini")
        || name == "surf-config"
}

/// Folders made by attachment extraction (SEPARATE mode): `Message_<id>.eml-attachments`.
fn attachments_folder(name: &str) -> bool {
    name.starts_with("Message_") && name.ends_with(".eml-attachments")
}

impl AlfrescoMailboxes {
    /// What a mailbox name leads to.
    pub(super) async fn resolve(&self, name: &str) -> Result<Resolved, MailboxError> {
        let segments: Vec<String> = name.split(DELIMITER).map(str::to_owned).collect();
        let (first, rest) = segments.split_first().ok_or(MailboxError::NotFound)?;
        let settings = self.settings();
        if rest.is_empty()
            && (*first == settings.special.trash || matches!(alias(first), Some(Alias::Trash)))
        {
            return Ok(Resolved::Trash);
        }
        if let Some(index) = settings.mounts.iter().position(|m| m.name == *first) {
            // One call: the mount's path and the names below it, from Company Home.
            let mut names = settings.mounts[index].path.clone();
            names.extend(rest.iter().cloned());
            let node = if names.is_empty() {
                self.folder_node(ROOT).await?
            } else {
                lookup_path(&self.session, ROOT, &names).await?
            };
            self.backend.folders.resolved(&self.user, &node).await;
            return Ok(Resolved::Folder(Box::new(Folder {
                name: name.to_owned(),
                node,
                mode: settings.mounts[index].mode,
                zone: Zone::Mount(index),
                below_mount: rest.to_vec(),
            })));
        }
        let mut segments = segments.clone();
        if let Some(alias) = alias(&segments[0]) {
            let configured = match alias {
                Alias::Sent => &settings.special.sent,
                Alias::Drafts => &settings.special.drafts,
                Alias::Junk => &settings.special.junk,
                Alias::Trash => &settings.special.trash,
            };
            segments[0] = configured.clone();
        }
        self.ensure_home_folders().await?;
        let node = lookup_path(&self.session, &self.home.id, &segments).await?;
        Ok(Resolved::Folder(Box::new(Folder {
            name: name.to_owned(),
            node,
            mode: ViewMode::Archive,
            zone: Zone::Home,
            below_mount: Vec::new(),
        })))
    }

    /// Makes sure INBOX and the special folders exist, once per login: the first time the
    /// session looks into the home (LIST, or a name in the home), not at LOGIN, so that a
    /// session that only opens folders of a mount point pays no call for them. The home's
    /// folders are read through the per-user folder cache, which LIST reads next.
    pub(super) async fn ensure_home_folders(&self) -> Result<(), MailboxError> {
        let home = &self.home.id;
        self.home
            .folders_made
            .get_or_try_init(|| async {
                let existing = self.child_folders(home).await?;
                let names: Vec<&str> = existing.iter().map(|n| n.name.as_str()).collect();
                let created = create_missing_folders(&self.backend, &self.session, home, &names)
                    .await
                    .map_err(folder_error)?;
                if created {
                    self.backend.folders.forget(&self.user, home).await;
                }
                Ok::<(), MailboxError>(())
            })
            .await
            .map(|_| ())
    }

    /// A folder node with what the mailbox needs to know about it.
    pub(super) async fn folder_node(&self, id: &str) -> Result<Node, MailboxError> {
        let query = NodeQuery {
            include: vec![Include::AllowableOperations, Include::Path],
            ..NodeQuery::default()
        };
        self.session.node(id, &query).await.map_err(folder_error)
    }

    /// The top level: INBOX, the home's other folders, the mount points, Trash.
    pub(super) async fn top_level(&self) -> Result<Vec<MailboxInfo>, MailboxError> {
        let settings = self.settings();
        let mut out = Vec::new();
        self.ensure_home_folders().await?;
        let home_children = self
            .visible_children(&self.home.id, &Zone::Home, &[], ViewMode::Archive, false)
            .await?;
        let mut home: Vec<Folder> = home_children
            .into_iter()
            .filter(|n| n.name != settings.special.trash)
            .map(|node| Folder {
                name: node.name.clone(),
                node,
                mode: ViewMode::Archive,
                zone: Zone::Home,
                below_mount: Vec::new(),
            })
            .collect();
        home.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
        for folder in &home {
            self.backend.folders.remember(&self.user, folder).await;
            out.push(self.info_of_folder(folder).await?);
        }
        for (index, mount) in settings.mounts.iter().enumerate() {
            let root = match self.backend.path_id(&self.session, &mount.path).await {
                Ok(root) => root,
                Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => continue,
                Err(error) => return Err(error),
            };
            let node = match self.folder_node(&root).await {
                Ok(node) => node,
                Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => continue,
                Err(error) => return Err(error),
            };
            let folder = Folder {
                name: mount.name.clone(),
                node,
                mode: mount.mode,
                zone: Zone::Mount(index),
                below_mount: Vec::new(),
            };
            self.backend.folders.remember(&self.user, &folder).await;
            out.push(self.info_of_folder(&folder).await?);
        }
        out.push(self.trash_info());
        Ok(out)
    }

    /// The child mailboxes of a resolved mailbox.
    pub(super) async fn children_of(
        &self,
        resolved: &Resolved,
    ) -> Result<Vec<MailboxInfo>, MailboxError> {
        let Resolved::Folder(parent) = resolved else {
            return Ok(Vec::new());
        };
        let nodes = self
            .visible_children(
                &parent.node.id,
                &parent.zone,
                &parent.below_mount,
                parent.mode,
                is_sites_root(&parent.node),
            )
            .await?;
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            let mut below_mount = parent.below_mount.clone();
            below_mount.push(node.name.clone());
            let folder = Folder {
                name: format!("{}{DELIMITER}{}", parent.name, node.name),
                node,
                mode: parent.mode,
                zone: parent.zone.clone(),
                below_mount,
            };
            self.backend.folders.remember(&self.user, &folder).await;
            out.push(self.info_of_folder(&folder).await?);
        }
        Ok(out)
    }

    /// The child mailboxes of the mailbox `name`. A folder that a listing of this user showed
    /// a moment ago is not looked up again (a LIST of the whole tree then costs one call per
    /// folder); if listing it fails, the name is resolved afresh.
    pub(super) async fn children_of_name(
        &self,
        name: &str,
    ) -> Result<Vec<MailboxInfo>, MailboxError> {
        if let Some(folder) = self.backend.folders.named(&self.user, name).await {
            let listed = Resolved::Folder(Box::new((*folder).clone()));
            if let Ok(children) = self.children_of(&listed).await {
                return Ok(children);
            }
        }
        let resolved = self.resolve(name).await?;
        self.children_of(&resolved).await
    }

    /// The [`MailboxInfo`] of a resolved mailbox.
    pub(super) async fn info_of(&self, resolved: &Resolved) -> Result<MailboxInfo, MailboxError> {
        match resolved {
            Resolved::Trash => Ok(self.trash_info()),
            Resolved::Folder(folder) => self.info_of_folder(folder).await,
        }
    }

    fn trash_info(&self) -> MailboxInfo {
        MailboxInfo {
            name: self.settings().special.trash.clone(),
            key: Some(MailboxKey {
                folder_id: TRASH_ID.into(),
                view: TRASH_VIEW.into(),
            }),
            has_children: false,
            special_use: Some(SpecialUse::Trash),
            rights: MailboxRights {
                insert: true,
                update: true,
                delete: true,
                create_children: false,
            },
            subscribed_by_default: true,
        }
    }

    /// The [`MailboxInfo`] of a resolved mailbox for opening it: no repository call (its
    /// children and default subscription, which only LIST shows, are left out as `false`).
    pub(super) fn info_to_open(&self, resolved: &Resolved) -> MailboxInfo {
        match resolved {
            Resolved::Trash => self.trash_info(),
            Resolved::Folder(folder) => self.bare_info(folder),
        }
    }

    async fn info_of_folder(&self, folder: &Folder) -> Result<MailboxInfo, MailboxError> {
        let children = self
            .visible_children(
                &folder.node.id,
                &folder.zone,
                &folder.below_mount,
                folder.mode,
                is_sites_root(&folder.node),
            )
            .await
            .unwrap_or_default();
        Ok(MailboxInfo {
            has_children: !children.is_empty(),
            subscribed_by_default: self.subscribed_by_default(folder).await,
            ..self.bare_info(folder)
        })
    }

    /// What the folder node itself tells: key, special use and rights.
    fn bare_info(&self, folder: &Folder) -> MailboxInfo {
        let settings = self.settings();
        let selectable = !folder.node.has_aspect("imap:nonSelectable");
        let special_use = (folder.zone == Zone::Home && !folder.name.contains(DELIMITER))
            .then(|| special_use_of(&folder.name, settings))
            .flatten();
        let can = |operation: &str| folder.node.allows(operation);
        MailboxInfo {
            name: folder.name.clone(),
            key: selectable.then(|| MailboxKey {
                folder_id: folder.node.id.clone(),
                view: view_tag(folder.mode).into(),
            }),
            has_children: false,
            special_use,
            rights: MailboxRights {
                insert: can("create"),
                update: can("create") || can("update"),
                delete: can("delete") || can("create"),
                create_children: can("create"),
            },
            subscribed_by_default: false,
        }
    }

    async fn subscribed_by_default(&self, folder: &Folder) -> bool {
        match &folder.zone {
            Zone::Home => true,
            Zone::Mount(index) => {
                if self.settings().mounts[*index].mode == ViewMode::Archive {
                    return false;
                }
                let Some(site) = self.site_below(folder) else {
                    return false;
                };
                match self.favourite_sites().await {
                    Ok(sites) => sites.iter().any(|(id, _)| id == site),
                    Err(_) => false,
                }
            }
        }
    }

    /// The site a folder of a mount point rooted at Company Home is in, if any.
    fn site_below<'a>(&self, folder: &'a Folder) -> Option<&'a str> {
        let Zone::Mount(index) = folder.zone else {
            return None;
        };
        if !self.settings().mounts[index].path.is_empty() {
            return None;
        }
        match folder.below_mount.as_slice() {
            [sites, site, ..] if sites == "Sites" => Some(site.as_str()),
            _ => None,
        }
    }

    /// The child folders of a folder that LIST shows. Below the Sites folder (`sites_root`)
    /// only the user's sites are shown; a site folder anywhere is shown only when it is one of
    /// them, and never in ARCHIVE mode.
    pub(super) async fn visible_children(
        &self,
        id: &str,
        zone: &Zone,
        below_mount: &[String],
        mode: ViewMode,
        sites_root: bool,
    ) -> Result<Vec<Node>, MailboxError> {
        let settings = self.settings();
        let nodes = self.child_folders(id).await?;
        let any_site = nodes.iter().any(is_site);
        let sites = if any_site && mode != ViewMode::Archive {
            self.listed_sites().await?
        } else {
            Sites::default()
        };
        let shown_site = |n: &Node| sites.iter().any(|(_, node)| *node == n.id);
        if sites_root {
            return Ok(nodes.iter().filter(|n| shown_site(n)).cloned().collect());
        }
        let mount_path = match zone {
            Zone::Mount(index) => Some(&settings.mounts[*index].path),
            Zone::Home => None,
        };
        Ok(nodes
            .iter()
            .filter(|n| !hidden_name(&n.name) && n.node_type != "cm:systemfolder")
            .filter(|n| !attachments_folder(&n.name))
            .filter(|n| {
                let component = n
                    .property_str("st:componentId")
                    .unwrap_or(&n.name)
                    .to_ascii_lowercase();
                !(component == "calendar" || component == "datalists")
                    || !n.has_aspect("st:siteContainer")
            })
            .filter(|n| !is_site(n) || shown_site(n))
            .filter(|n| match mount_path {
                Some(mount_path) => {
                    let mut path = mount_path.clone();
                    path.extend(below_mount.iter().cloned());
                    path.push(n.name.clone());
                    !settings.excluded.contains(&path) && settings.attachments.common_folder != path
                }
                None => true,
            })
            .cloned()
            .collect())
    }

    /// The child folders of a folder (cached briefly per user).
    async fn child_folders(&self, id: &str) -> Result<Arc<Vec<Node>>, MailboxError> {
        let key = (self.user.clone(), id.to_owned());
        let session = self.session.clone();
        let page_size = self.settings().page_size;
        let folder = id.to_owned();
        let entry = self
            .backend
            .folders
            .cache
            .entry(key)
            .or_try_insert_with(async move {
                let query = ChildrenQuery {
                    max_items: Some(page_size),
                    filter: Some(WHERE_FOLDERS.into()),
                    include: vec![
                        Include::Properties,
                        Include::AspectNames,
                        Include::AllowableOperations,
                    ],
                    ..ChildrenQuery::default()
                };
                session
                    .all_children(&folder, &query)
                    .await
                    .map(|pages| Arc::new(pages.items))
                    .map_err(folder_error)
            })
            .await
            .map_err(|error: Arc<MailboxError>| (*error).clone())?;
        registry().record_cache(Cache::Listings, !entry.is_fresh());
        Ok(entry.into_value())
    }

    /// The sites shown under Sites: IMAP favourites the user is a member of (or every
    /// membership with `imap.sidecar.sites.listAll`), as (short name, node id).
    async fn listed_sites(&self) -> Result<Sites, MailboxError> {
        if self.settings().sites_list_all {
            self.member_sites().await.map(Arc::new)
        } else {
            self.favourite_sites().await
        }
    }

    /// The user's IMAP-favourite sites they are still a member of.
    pub(super) async fn favourite_sites(&self) -> Result<Sites, MailboxError> {
        let ttl = self.settings().folder_ttl;
        if let Ok(entry) = self.sites.entry.lock()
            && let Some((at, sites)) = entry.as_ref()
            && at.elapsed() < ttl
        {
            registry().record_cache(Cache::FavouriteSites, true);
            return Ok(sites.clone());
        }
        registry().record_cache(Cache::FavouriteSites, false);
        let preferences = self
            .session
            .all_preferences(self.settings().page_size)
            .await
            .map_err(folder_error)?;
        let favourites: HashSet<String> = preferences
            .items
            .iter()
            .filter_map(imap_favourite_site)
            .map(str::to_owned)
            .collect();
        let sites: Vec<(String, String)> = self
            .member_sites()
            .await?
            .into_iter()
            .filter(|(id, _)| favourites.contains(id))
            .collect();
        let sites = Arc::new(sites);
        if let Ok(mut entry) = self.sites.entry.lock() {
            *entry = Some((Instant::now(), sites.clone()));
        }
        Ok(sites)
    }

    async fn member_sites(&self) -> Result<Vec<(String, String)>, MailboxError> {
        let memberships = self
            .session
            .all_my_sites(self.settings().page_size)
            .await
            .map_err(folder_error)?;
        Ok(memberships
            .items
            .into_iter()
            .map(|m| (m.site.id.clone(), m.site.guid.clone()))
            .collect())
    }

    /// Names whose subtrees are subscribed by default: the home's folders and the favourite
    /// sites under each mount point that shows sites.
    pub(super) async fn subscription_roots(&self) -> Result<Vec<String>, MailboxError> {
        self.ensure_home_folders().await?;
        let mut roots: Vec<String> = self
            .visible_children(&self.home.id, &Zone::Home, &[], ViewMode::Archive, false)
            .await?
            .into_iter()
            .map(|n| n.name)
            .collect();
        roots.push(self.settings().special.trash.clone());
        let sites = self.favourite_sites().await?;
        for mount in &self.settings().mounts {
            if mount.mode != ViewMode::Archive && mount.path.is_empty() {
                for (site, _) in sites.iter() {
                    roots.push(format!("{}{DELIMITER}Sites{DELIMITER}{site}", mount.name));
                }
            }
        }
        Ok(roots)
    }

    /// With `imap.sidecar.sites.listAll`, subscribing to a site folder makes the site an IMAP
    /// favourite (and unsubscribing clears it), as Share's toggle does.
    pub(super) async fn site_subscription_changed(
        &self,
        name: &str,
        subscribed: bool,
    ) -> Result<(), MailboxError> {
        if !self.settings().sites_list_all {
            return Ok(());
        }
        let segments: Vec<&str> = name.split(DELIMITER).collect();
        let is_site =
            segments.len() == 3
                && segments[1] == "Sites"
                && self.settings().mounts.iter().any(|m| {
                    m.name == segments[0] && m.path.is_empty() && m.mode != ViewMode::Archive
                });
        if !is_site {
            return Ok(());
        }
        let preference = format!(
            "{}.{}",
            crate::alfresco::IMAP_FAVOURITES_PREFIX,
            segments[2]
        );
        if let Err(error) = self
            .session
            .set_preference(&preference, &serde_json::Value::Bool(subscribed))
            .await
        {
            // Older repositories cannot write preferences: the subscription is still kept.
            tracing::info!(%error, "could not mirror a site subscription as an IMAP favourite");
        }
        if let Ok(mut entry) = self.sites.entry.lock() {
            *entry = None;
        }
        Ok(())
    }
}

/// A Share site folder.
fn is_site(node: &Node) -> bool {
    node.node_type == "st:site"
}

/// The folder holding the sites (`Company Home/Sites`).
fn is_sites_root(node: &Node) -> bool {
    node.node_type == "st:sites"
}

fn alias(name: &str) -> Option<Alias> {
    ALIASES
        .iter()
        .find(|(alias, _)| alias.to_lowercase() == name.to_lowercase())
        .map(|(_, a)| *a)
}

fn special_use_of(name: &str, settings: &super::settings::BackendSettings) -> Option<SpecialUse> {
    let special = &settings.special;
    if name == special.sent {
        Some(SpecialUse::Sent)
    } else if name == special.drafts {
        Some(SpecialUse::Drafts)
    } else if name == special.junk {
        Some(SpecialUse::Junk)
    } else if name == special.archive {
        Some(SpecialUse::Archive)
    } else {
        None
    }
}
