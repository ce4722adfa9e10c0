//! Logging in with the repository, and one user's repository as [`Mailboxes`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::errors::folder_error;
use super::home::{Home, find_home};
use super::listing_cache::ListingCache;
use super::settings::BackendSettings;
use super::templates::TemplateLibrary;
use super::tree::{FolderCache, FolderRef, Place, view_tag};
use super::virtual_view::RenderedCache;
use crate::alfresco::{
    AlfrescoClient, BearerToken, Node, NodeQuery, Password, ROOT, RepoSession, RestError,
};
use crate::clock::SharedClock;
use crate::mailbox::{
    AppendRequest, AuthError, Authenticator, Content, Credentials, Item, ItemRef, KnownStructure,
    Listing, ListingChanges, MailboxError, MailboxInfo, Mailboxes, Presence,
};
use crate::state::StateStore;

/// What every user's mailboxes share: the REST client, the settings, and caches of things
/// that are the same for everybody (node ids of configured paths, body templates, rendered
/// messages).
pub struct AlfrescoBackend {
    pub(super) client: AlfrescoClient,
    pub(super) settings: Arc<BackendSettings>,
    pub(super) clock: SharedClock,
    /// Node ids of configured paths (mount points, the home root), which are the same for
    /// every user; whether a user may see them is asked each time.
    paths: Mutex<HashMap<Vec<String>, String>>,
    pub(super) folders: FolderCache,
    /// Message listings shared by each user's sessions.
    pub(super) listings: ListingCache,
    /// The body templates of generated messages (their texts kept in the state store).
    pub(super) templates: TemplateLibrary,
    /// Rendered generated messages.
    pub(super) rendered: RenderedCache,
    /// Uploads reported failed that are watched for a late completion.
    pub(super) late_uploads: super::write::LateUploads,
}

impl std::fmt::Debug for AlfrescoBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlfrescoBackend").finish_non_exhaustive()
    }
}

impl AlfrescoBackend {
    /// A backend over `client`; `store` keeps the texts of the templates generated messages
    /// are pinned to (the server's state store).
    pub fn new(
        client: AlfrescoClient,
        settings: BackendSettings,
        clock: SharedClock,
        store: Arc<dyn StateStore>,
    ) -> Arc<Self> {
        let folders = FolderCache::new(settings.folder_ttl);
        let listings = ListingCache::new(settings.folder_ttl);
        let templates = TemplateLibrary::new(
            store,
            settings.templates_dir.clone(),
            &settings.locale,
            settings.folder_ttl,
            clock.clone(),
        );
        let rendered =
            RenderedCache::new(settings.message_cache_entries, settings.message_cache_bytes);
        Arc::new(Self {
            client,
            settings: Arc::new(settings),
            clock,
            paths: Mutex::new(HashMap::new()),
            folders,
            listings,
            templates,
            rendered,
            late_uploads: Default::default(),
        })
    }

    /// Uploads reported failed that are still watched for a late completion (a gauge).
    pub fn pending_upload_checks(&self) -> usize {
        self.late_uploads.pending()
    }

    /// Uploads the repository completed after they were reported failed, and that were
    /// removed (a counter).
    pub fn late_uploads_removed(&self) -> usize {
        self.late_uploads.removed()
    }

    /// The REST client (for metrics).
    pub fn client(&self) -> &AlfrescoClient {
        &self.client
    }

    /// The authenticator for the IMAP server.
    pub fn authenticator(self: &Arc<Self>) -> Arc<dyn Authenticator> {
        Arc::new(AlfrescoAuthenticator {
            backend: self.clone(),
        })
    }

    /// The node id of a folder given as names below Company Home, looked up as `session`.
    pub(super) async fn path_id(
        &self,
        session: &RepoSession,
        names: &[String],
    ) -> Result<String, MailboxError> {
        if names.is_empty() {
            if let Some(id) = self.cached_path(names) {
                return Ok(id);
            }
            let root = session
                .node(ROOT, &NodeQuery::default())
                .await
                .map_err(folder_error)?;
            self.remember_path(names, &root.id);
            return Ok(root.id);
        }
        if let Some(id) = self.cached_path(names) {
            return Ok(id);
        }
        let node = lookup_path(session, ROOT, names).await?;
        self.remember_path(names, &node.id);
        Ok(node.id)
    }

    /// Whether the node id of the configured path `names` is known already.
    pub(super) fn knows_path(&self, names: &[String]) -> bool {
        self.paths
            .lock()
            .is_ok_and(|paths| paths.contains_key(names))
    }

    fn cached_path(&self, names: &[String]) -> Option<String> {
        let id = self.paths.lock().ok()?.get(names).cloned();
        crate::ops::registry().record_cache(crate::ops::Cache::Paths, id.is_some());
        id
    }

    pub(super) fn remember_path(&self, names: &[String], id: &str) {
        if let Ok(mut paths) = self.paths.lock() {
            paths.insert(names.to_vec(), id.to_owned());
        }
    }
}

/// Looks up the folder at `names` below `start` by exact name: one call with `relativePath`
/// (which matches names without regard to case), then the path is checked element by element.
pub(super) async fn lookup_path(
    session: &RepoSession,
    start: &str,
    names: &[String],
) -> Result<Node, MailboxError> {
    lookup_path_including(session, start, names, &[]).await
}

/// [`lookup_path`], with `extra` included in the node found (e.g. its permissions), so that
/// no second call is needed for them.
pub(super) async fn lookup_path_including(
    session: &RepoSession,
    start: &str,
    names: &[String],
    extra: &[crate::alfresco::Include],
) -> Result<Node, MailboxError> {
    if names
        .iter()
        .any(|n| n.is_empty() || n == "." || n == ".." || n.contains('/'))
    {
        return Err(MailboxError::NotFound);
    }
    let mut include = vec![
        crate::alfresco::Include::Path,
        crate::alfresco::Include::AllowableOperations,
    ];
    include.extend(extra.iter().copied());
    let query = NodeQuery {
        include,
        relative_path: Some(names.join("/")),
        ..NodeQuery::default()
    };
    let node = match session.node(start, &query).await.map_err(folder_error) {
        Ok(node) => node,
        // The repository compares names without normalising them: a name stored decomposed
        // is found by its composed form only by comparing the names one level at a time.
        Err(MailboxError::NotFound) if !names.iter().all(|n| n.is_ascii()) => {
            return lookup_normalised(session, start, names, extra).await;
        }
        Err(error) => return Err(error),
    };
    let path = node
        .path
        .as_ref()
        .map(|p| p.elements.as_slice())
        .unwrap_or(&[]);
    let mut found: Vec<&str> = path.iter().map(|e| e.name.as_str()).collect();
    found.push(node.name.as_str());
    let tail = found
        .len()
        .checked_sub(names.len())
        .map(|start| &found[start..]);
    let exact = tail.is_some_and(|tail| {
        tail.iter()
            .zip(names)
            .all(|(have, want)| crate::imap::names::same_name(have, want))
    });
    if exact {
        Ok(node)
    } else if !names.iter().all(|n| n.is_ascii()) {
        lookup_normalised(session, start, names, extra).await
    } else {
        Err(MailboxError::NotFound)
    }
}

/// Looks up the folder at `names` below `start` level by level, comparing names after NFC
/// normalisation (for names with characters that have several Unicode forms).
async fn lookup_normalised(
    session: &RepoSession,
    start: &str,
    names: &[String],
    extra: &[crate::alfresco::Include],
) -> Result<Node, MailboxError> {
    let mut current = start.to_owned();
    for name in names {
        let children = session
            .all_children(
                &current,
                &crate::alfresco::ChildrenQuery {
                    filter: Some(crate::alfresco::WHERE_FOLDERS.into()),
                    fields: vec!["id".into(), "name".into()],
                    ..Default::default()
                },
            )
            .await
            .map_err(folder_error)?;
        current = children
            .items
            .iter()
            .find(|child| crate::imap::names::same_name(&child.name, name))
            .map(|child| child.id.clone())
            .ok_or(MailboxError::NotFound)?;
    }
    let mut include = vec![
        crate::alfresco::Include::Path,
        crate::alfresco::Include::AllowableOperations,
    ];
    include.extend(extra.iter().copied());
    let query = NodeQuery {
        include,
        ..NodeQuery::default()
    };
    session.node(&current, &query).await.map_err(folder_error)
}

/// Checks IMAP credentials with the repository.
#[derive(Debug)]
pub struct AlfrescoAuthenticator {
    backend: Arc<AlfrescoBackend>,
}

#[async_trait]
impl Authenticator for AlfrescoAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Mailboxes>, AuthError> {
        let client = &self.backend.client;
        let session = match credentials {
            Credentials::Password { user, password } => client
                .login(user, Password::new(password.expose()))
                .await
                .map_err(login_error)?,
            Credentials::Bearer { token, .. } => {
                RepoSession::with_bearer(client.clone(), BearerToken::new(token.expose()))
                    .map_err(login_error)?
            }
        };
        let person = session.me().await.map_err(login_error)?;
        let home = find_home(&self.backend, &session, &person.id).await?;
        Ok(Arc::new(AlfrescoMailboxes {
            backend: self.backend.clone(),
            session,
            user: person.id,
            home,
            sites: super::tree::SiteCache::default(),
        }))
    }
}

fn login_error(error: RestError) -> AuthError {
    match &error {
        RestError::LoginFailed | RestError::AuthenticationLost { .. } => AuthError::Rejected,
        _ if error.status() == Some(401) || error.status() == Some(403) => AuthError::Rejected,
        _ => AuthError::Unavailable(error.to_string()),
    }
}

/// One user's repository as mailboxes.
pub struct AlfrescoMailboxes {
    pub(super) backend: Arc<AlfrescoBackend>,
    pub(super) session: RepoSession,
    pub(super) user: String,
    pub(super) home: Home,
    pub(super) sites: super::tree::SiteCache,
}

impl std::fmt::Debug for AlfrescoMailboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlfrescoMailboxes")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl AlfrescoMailboxes {
    /// The settings.
    pub(super) fn settings(&self) -> &BackendSettings {
        &self.backend.settings
    }

    /// Records a write of this user (successful or not: a failed write may still have
    /// changed something), so that no listing begun before it is handed out after it.
    fn wrote(&self) {
        self.backend.listings.wrote(&self.user);
    }

    /// A folder's listing, shared with this user's other sessions (see `listing_cache`):
    /// with `reuse`, a recent listing confirmed by the cheap change check; else a new one,
    /// or the one in flight.
    async fn shared_listing(
        &self,
        folder: &FolderRef,
        reuse: bool,
    ) -> Result<Listing, MailboxError> {
        let cache = &self.backend.listings;
        let key = cache.key(&self.user, &folder.id, view_tag(folder.mode));
        let this = self.clone_handle();
        let (id, mode) = (folder.id.clone(), folder.mode);
        let list = move || async move { this.list_folder(&id, mode).await };
        let shared = if reuse {
            let unchanged = |stamp: String| async move {
                self.folder_changed_since(&folder.id, &stamp)
                    .await
                    .map(|changed| !changed)
            };
            cache.reuse_or_list(key, unchanged, list).await?
        } else {
            cache.fresh(key, list).await?
        };
        Ok(shared.listing.clone())
    }

    /// Another handle on this user's repository session (for work that outlives a borrow,
    /// such as a listing other sessions wait for).
    fn clone_handle(&self) -> Self {
        Self {
            backend: self.backend.clone(),
            session: self.session.clone(),
            user: self.user.clone(),
            home: self.home.clone(),
            sites: super::tree::SiteCache::default(),
        }
    }
}

#[async_trait]
impl Mailboxes for AlfrescoMailboxes {
    fn user(&self) -> &str {
        &self.user
    }

    async fn children(&self, parent: Option<&str>) -> Result<Vec<MailboxInfo>, MailboxError> {
        match parent {
            None => self.top_level().await,
            Some(name) => self.children_of_name(name).await,
        }
    }

    async fn mailbox(&self, name: &str) -> Result<MailboxInfo, MailboxError> {
        let place = self.resolve(name).await?;
        self.info_of(&place).await
    }

    async fn mailbox_to_open(&self, name: &str) -> Result<MailboxInfo, MailboxError> {
        let place = self.resolve(name).await?;
        Ok(self.info_to_open(&place))
    }

    async fn default_subscription_roots(&self) -> Result<Vec<String>, MailboxError> {
        self.subscription_roots().await
    }

    async fn subscription_changed(&self, name: &str, subscribed: bool) -> Result<(), MailboxError> {
        self.site_subscription_changed(name, subscribed).await
    }

    async fn search_text(
        &self,
        mailbox: &MailboxInfo,
        text: &str,
    ) -> Result<Option<std::collections::HashSet<String>>, MailboxError> {
        self.index_search(mailbox, text).await
    }

    async fn create(&self, name: &str) -> Result<(), MailboxError> {
        let result = self.create_mailbox(name).await;
        self.wrote();
        result
    }

    async fn delete(&self, name: &str) -> Result<(), MailboxError> {
        let result = self.delete_mailbox(name).await;
        self.wrote();
        result
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), MailboxError> {
        let result = self.rename_mailbox(from, to).await;
        self.wrote();
        result
    }

    async fn list(&self, mailbox: &MailboxInfo) -> Result<Listing, MailboxError> {
        match Place::of_info(mailbox)? {
            Place::Trash => self.list_trash().await,
            Place::Folder(folder) => self.shared_listing(&folder, false).await,
        }
    }

    async fn list_to_open(&self, mailbox: &MailboxInfo) -> Result<Listing, MailboxError> {
        match Place::of_info(mailbox)? {
            Place::Trash => self.list_trash().await,
            Place::Folder(folder) => self.shared_listing(&folder, true).await,
        }
    }

    async fn changed_since(
        &self,
        mailbox: &MailboxInfo,
        stamp: &str,
    ) -> Result<bool, MailboxError> {
        match Place::of_info(mailbox)? {
            Place::Trash => self.trash_changed_since(stamp).await,
            Place::Folder(folder) => self.folder_changed_since(&folder.id, stamp).await,
        }
    }

    async fn changes_since(
        &self,
        mailbox: &MailboxInfo,
        stamp: &str,
    ) -> Result<ListingChanges, MailboxError> {
        match Place::of_info(mailbox)? {
            Place::Trash => Ok(if self.trash_changed_since(stamp).await? {
                ListingChanges::Unknown
            } else {
                ListingChanges::None
            }),
            Place::Folder(folder) => self.folder_changes(&folder, stamp).await,
        }
    }

    async fn presence(
        &self,
        mailbox: &MailboxInfo,
        node_ids: &[String],
    ) -> Result<Vec<Presence>, MailboxError> {
        let place = Place::of_info(mailbox)?;
        let mut out = Vec::with_capacity(node_ids.len());
        for id in node_ids {
            out.push(self.presence_of(&place, id).await?);
        }
        Ok(out)
    }

    async fn content(
        &self,
        mailbox: &MailboxInfo,
        item: &ItemRef,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError> {
        let _ = mailbox;
        self.message_content(item, range).await
    }

    async fn known_structure(
        &self,
        mailbox: &MailboxInfo,
        item: &ItemRef,
    ) -> Result<Option<KnownStructure>, MailboxError> {
        let _ = mailbox;
        self.message_structure(item).await
    }

    async fn append(
        &self,
        mailbox: &MailboxInfo,
        request: &AppendRequest,
    ) -> Result<Item, MailboxError> {
        let result = self.append_message(mailbox, request).await;
        self.wrote();
        result
    }

    async fn copy(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let result = self.copy_messages(from, items, to).await;
        self.wrote();
        result
    }

    async fn move_to(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let result = self.move_messages(from, items, to).await;
        self.wrote();
        result
    }

    async fn expunge(
        &self,
        mailbox: &MailboxInfo,
        items: &[ItemRef],
    ) -> Result<Vec<Result<(), MailboxError>>, MailboxError> {
        let result = self.expunge_messages(mailbox, items).await;
        self.wrote();
        result
    }
}
