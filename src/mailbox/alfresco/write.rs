//! Everything that changes the repository: APPEND, COPY, MOVE, EXPUNGE, and CREATE, DELETE,
//! RENAME of mailboxes. A change is reported done only once the repository confirmed it.
//!
//! A mail client can never put repository content where the repository would not (design
//! decision 11): messages go only into mailboxes whose view shows them (no document into an
//! ARCHIVE mailbox, no e-mail into a VIRTUAL one), and documents never into the private IMAP
//! home.

use bytes::Bytes;
use chrono::Utc;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::document::FolderFacts;
use super::errors::{folder_error, mailbox_error, message_error};
use super::listing::{DocumentContext, Identity, item_of, shows_document};
use super::session::AlfrescoMailboxes;
use super::tree::{Folder, Place, Resolved, Zone};
use std::time::Duration;

use crate::alfresco::{
    ChildrenQuery, Include, NewFolder, Node, NodeQuery, NodeUpdate, RepoSession, RestError, Upload,
    UploadContent, WHERE_FILES,
};
use crate::config::ViewMode;
use crate::mailbox::{
    AppendRequest, DELIMITER, Item, ItemRef, MailboxError, MailboxInfo, MessageBody,
};
use crate::message::metadata::{email_metadata, referenced_nodes};

/// How many bytes of an APPENDed message are read for its header.
const HEADER_PREFIX: usize = 256 * 1024;

/// How many `name (n).ext` names are tried on a name clash.
const RENAME_ATTEMPTS: u32 = 50;

/// The child of `folder` named exactly `name`, if there is one.
pub(super) async fn child_named(
    session: &RepoSession,
    folder: &str,
    name: &str,
) -> Result<Option<Node>, RestError> {
    let query = NodeQuery {
        include: vec![Include::AllowableOperations],
        relative_path: Some(name.to_owned()),
        ..NodeQuery::default()
    };
    match session.node(folder, &query).await {
        Ok(node) if node.name == name => Ok(Some(node)),
        Ok(_) => Ok(None),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Uploads whose outcome was unknown and that were reported as failed: each is watched for a
/// while and deleted if the repository completes it after all.
#[derive(Debug, Default)]
pub struct LateUploads {
    pending: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    removed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl LateUploads {
    /// Uploads being watched now (a gauge; back to zero once every window has passed).
    pub fn pending(&self) -> usize {
        self.pending.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Late uploads found and removed so far (a counter).
    pub fn removed(&self) -> usize {
        self.removed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Watches for `name` in `folder` during `window`, deleting it for good when it appears;
    /// the watch ends with a lookup after the window that finds nothing (if the repository
    /// cannot be asked then, it keeps asking, for at most ten more minutes).
    fn watch(&self, session: RepoSession, folder: String, name: String, window: Duration) {
        use std::sync::atomic::Ordering;
        let pending = self.pending.clone();
        let removed = self.removed.clone();
        pending.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let deadline = start + window;
            let give_up = deadline + Duration::from_secs(600);
            let mut pause = Duration::from_millis(50);
            loop {
                let after_window = tokio::time::Instant::now() >= deadline;
                match child_named(&session, &folder, &name).await {
                    Ok(Some(node)) => match session.delete_node(&node.id, true).await {
                        Ok(()) => {
                            removed.fetch_add(1, Ordering::AcqRel);
                            tracing::warn!(
                                node = %node.id,
                                "removed an upload the repository completed after it was reported failed"
                            );
                            break;
                        }
                        Err(error) if error.is_not_found() => break,
                        Err(error) => tracing::info!(%error, "cannot remove a late upload yet"),
                    },
                    Ok(None) if after_window => break,
                    Ok(None) => {}
                    Err(error) if error.is_auth_lost() => {
                        tracing::warn!(%error, "cannot watch for a late upload any more");
                        break;
                    }
                    Err(_) => {}
                }
                let now = tokio::time::Instant::now();
                if now >= give_up {
                    tracing::warn!("gave up watching for a late upload");
                    break;
                }
                let next = if now < deadline {
                    (now + pause).min(deadline)
                } else {
                    now + pause
                };
                tokio::time::sleep_until(next).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            pending.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// Refuses a new mailbox name with an empty, `.` or `..` level before anything is created (the
/// repository would refuse such a folder only after its parents were made).
fn usable_name(name: &str) -> Result<(), MailboxError> {
    if name
        .split(DELIMITER)
        .any(|level| level.is_empty() || level == "." || level == "..")
    {
        return Err(MailboxError::Cannot(
            "a mailbox name level cannot be empty, . or ..".into(),
        ));
    }
    Ok(())
}

/// What a message is, for the mode rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Email,
    Document,
}

fn kind_of(item: &ItemRef) -> Kind {
    match Identity::parse(&item.identity) {
        Identity::Email { .. } => Kind::Email,
        Identity::Document => Kind::Document,
    }
}

fn shows(mode: ViewMode, kind: Kind) -> bool {
    !matches!(
        (mode, kind),
        (ViewMode::Archive, Kind::Document) | (ViewMode::Virtual, Kind::Email)
    )
}

impl AlfrescoMailboxes {
    /// The target folder of an APPEND/COPY/MOVE, with the mode rule applied to `kinds`.
    async fn target(&self, mailbox: &MailboxInfo, kinds: &[Kind]) -> Result<Folder, MailboxError> {
        let Resolved::Folder(folder) = self.resolve(&mailbox.name).await? else {
            return Err(MailboxError::Cannot(
                "messages cannot be stored in Trash; move them there instead".into(),
            ));
        };
        for kind in kinds {
            if !shows(folder.mode, *kind) {
                return Err(MailboxError::Cannot(match kind {
                    Kind::Document => {
                        "documents cannot go into a mailbox that shows only e-mails".into()
                    }
                    Kind::Email => {
                        "e-mails cannot go into a mailbox that shows only documents".into()
                    }
                }));
            }
        }
        if kinds.contains(&Kind::Document) && self.in_home(&folder).await? {
            return Err(MailboxError::Cannot(
                "repository documents cannot be moved or copied into your private mail folders"
                    .into(),
            ));
        }
        Ok(*folder)
    }

    /// Whether a folder is (inside) the user's IMAP home, whatever name reached it.
    async fn in_home(&self, folder: &Folder) -> Result<bool, MailboxError> {
        if folder.zone == Zone::Home || folder.node.id == self.home.id {
            return Ok(true);
        }
        let node = match &folder.node.path {
            Some(_) => folder.node.clone(),
            None => self.folder_node(&folder.node.id).await?,
        };
        Ok(node
            .path
            .as_ref()
            .is_some_and(|p| p.elements.iter().any(|e| e.id == self.home.id)))
    }

    /// APPEND: stores an e-mail (or, for a message that names a document the user can read,
    /// copies or restores that document instead).
    pub(super) async fn append_message(
        &self,
        mailbox: &MailboxInfo,
        request: &AppendRequest,
    ) -> Result<Item, MailboxError> {
        let Place::Folder(place) = Place::of_info(mailbox)? else {
            return Err(MailboxError::Cannot(
                "messages cannot be appended to Trash".into(),
            ));
        };
        let head = read_head(&request.body).await?;
        if place.mode != ViewMode::Archive {
            for node_id in referenced_nodes(&head) {
                if let Some(item) = self
                    .round_trip(&node_id.to_string(), mailbox, place.mode)
                    .await?
                {
                    return Ok(item);
                }
            }
        }
        let folder = self.target(mailbox, &[Kind::Email]).await?;
        let name = format!("Message_{}.eml", Uuid::new_v4());
        let metadata = email_metadata(&head);
        let received = request
            .internal_date
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| self.backend.clock.now());
        let content = match &request.body {
            MessageBody::Memory(bytes) => UploadContent::Bytes(bytes.clone()),
            MessageBody::File { path, .. } => UploadContent::File(path.clone()),
        };
        let mut upload = Upload::new(name, content);
        upload.mime_type = "message/rfc822".into();
        upload.aspect_names = vec!["imap:imapContent".into()];
        upload.include = vec![Include::AllowableOperations];
        let date = |d: chrono::DateTime<chrono::FixedOffset>| {
            crate::alfresco::date::format(&d.with_timezone(&Utc))
        };
        let mut properties: Vec<(&str, String)> = vec![(
            "imap:dateReceived",
            crate::alfresco::date::format(&received),
        )];
        if let Some(from) = &metadata.from {
            properties.push(("imap:messageFrom", from.clone()));
            properties.push(("cm:originator", from.clone()));
        }
        if let Some(to) = &metadata.to {
            properties.push(("imap:messageTo", to.clone()));
            properties.push(("cm:addressee", to.clone()));
        }
        if let Some(cc) = &metadata.cc {
            properties.push(("imap:messageCc", cc.clone()));
            properties.push(("cm:addressees", cc.clone()));
        }
        if let Some(subject) = &metadata.subject {
            properties.push(("imap:messageSubject", subject.clone()));
            properties.push(("cm:title", subject.clone()));
            properties.push(("cm:description", subject.clone()));
            properties.push(("cm:subjectline", subject.clone()));
        }
        if let Some(id) = &metadata.message_id {
            properties.push(("imap:messageId", id.clone()));
        }
        if let Some(index) = &metadata.thread_index {
            properties.push(("imap:threadIndex", index.clone()));
        }
        if let Some(sent) = metadata.sent {
            properties.push(("imap:dateSent", date(sent)));
            properties.push(("cm:sentdate", date(sent)));
        }
        for (key, value) in properties {
            upload = upload.property(key, clean(&value));
        }
        let node = self.upload_new(&folder.node.id, upload).await?;
        self.extract_attachments(&folder, &node, request).await;
        item_of(&node, folder.mode, None)
            .ok_or_else(|| MailboxError::Internal("the stored e-mail is not listed".into()))
    }

    /// A message APPENDed back from a generated one (Message-ID or X-Alfresco-NodeRef-ID name a
    /// node): the node is copied into the target, or restored there from the trashcan (a
    /// client that "moved" it by EXPUNGE then APPEND) keeping its id.
    async fn round_trip(
        &self,
        node_id: &str,
        target: &MailboxInfo,
        mode: ViewMode,
    ) -> Result<Option<Item>, MailboxError> {
        let folder = match self.target(target, &[Kind::Document]).await {
            Ok(folder) => folder,
            Err(MailboxError::Cannot(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        match self.session.node(node_id, &NodeQuery::default()).await {
            Ok(node) if node.is_file && !node.has_aspect("imap:imapContent") => {
                let copy = self.copy_with_free_name(&node, &folder.node.id).await?;
                return self.item_in(&copy, mode, &folder.node.id).await;
            }
            Ok(_) => return Ok(None),
            Err(error) if error.is_not_found() => {}
            Err(error) if error.is_forbidden() => return Ok(None),
            Err(error) => return Err(message_error(error)),
        }
        match self.session.deleted_node(node_id, &[]).await {
            Ok(deleted) if deleted.node.is_file && !deleted.node.has_aspect("imap:imapContent") => {
                let node = self
                    .session
                    .restore_deleted_node(node_id, Some(&folder.node.id))
                    .await
                    .map_err(message_error)?;
                let node = self.fresh(&node.id).await?;
                self.item_in(&node, mode, &folder.node.id).await
            }
            Ok(_) => Ok(None),
            Err(error) if error.is_not_found() || error.is_forbidden() => Ok(None),
            Err(error) => Err(message_error(error)),
        }
    }

    /// The document context of a COPY/MOVE target, when documents are copied or moved.
    async fn context_if_documents(
        &self,
        kinds: &[Kind],
        folder: &Folder,
    ) -> Result<Option<DocumentContext>, MailboxError> {
        if kinds.contains(&Kind::Document) && folder.mode != ViewMode::Archive {
            Ok(Some(self.document_context(&folder.node.id).await?))
        } else {
            Ok(None)
        }
    }

    /// A node with everything [`item_of`] needs.
    async fn fresh(&self, id: &str) -> Result<Node, MailboxError> {
        let query = NodeQuery {
            include: vec![Include::AllowableOperations],
            ..NodeQuery::default()
        };
        self.session.node(id, &query).await.map_err(message_error)
    }

    /// Copies a node into a folder, as `name (n).ext` when the name is taken.
    async fn copy_with_free_name(&self, node: &Node, folder: &str) -> Result<Node, MailboxError> {
        let include = [Include::AllowableOperations];
        for attempt in 0..=RENAME_ATTEMPTS {
            let name = numbered(&node.name, attempt);
            let name = (attempt > 0).then_some(name.as_str());
            match self
                .session
                .copy_node(&node.id, folder, name, &include)
                .await
            {
                Ok(copy) => return Ok(copy),
                Err(error) if error.is_conflict() => continue,
                Err(error) => return Err(message_error(error)),
            }
        }
        Err(MailboxError::Cannot(format!(
            "no free name for a copy of {}",
            node.name
        )))
    }

    /// Moves a node into a folder, as `name (n).ext` when the name is taken.
    async fn move_with_free_name(
        &self,
        node_id: &str,
        name: &str,
        folder: &str,
    ) -> Result<Node, MailboxError> {
        let include = [Include::AllowableOperations];
        for attempt in 0..=RENAME_ATTEMPTS {
            let new_name = numbered(name, attempt);
            let new_name = (attempt > 0).then_some(new_name.as_str());
            match self
                .session
                .move_node(node_id, folder, new_name, &include)
                .await
            {
                Ok(node) => return Ok(node),
                Err(error) if error.is_conflict() => continue,
                Err(error) => return Err(message_error(error)),
            }
        }
        Err(MailboxError::Cannot(format!("no free name to move {name}")))
    }

    /// COPY: documents are copied as nodes, e-mails stored again as new e-mails; all or
    /// nothing (copies made before a failure are removed).
    pub(super) async fn copy_messages(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let _ = from;
        let kinds: Vec<Kind> = items.iter().map(kind_of).collect();
        let folder = self.target(to, &kinds).await?;
        let context = self.context_if_documents(&kinds, &folder).await?;
        let mut made: Vec<Node> = Vec::new();
        let mut out = Vec::new();
        for (item, kind) in items.iter().zip(&kinds) {
            let result = match kind {
                Kind::Document => match self
                    .session
                    .node(&item.node_id, &NodeQuery::default())
                    .await
                {
                    Ok(node) => self.copy_with_free_name(&node, &folder.node.id).await,
                    Err(error) => Err(message_error(error)),
                },
                Kind::Email => self.copy_email(&item.node_id, &folder.node.id).await,
            };
            match result {
                Ok(node) => {
                    out.push(item_of(&node, folder.mode, context.as_ref()));
                    made.push(node);
                }
                Err(error) => {
                    for node in &made {
                        if let Err(cleanup) = self.session.delete_node(&node.id, true).await {
                            tracing::warn!(%cleanup, "could not remove a copy after a failed COPY");
                        }
                    }
                    return Err(error);
                }
            }
        }
        out.into_iter()
            .map(|item| item.ok_or_else(|| MailboxError::Internal("a copy is not listed".into())))
            .collect()
    }

    /// Stores a stored e-mail again in another folder, with its properties.
    async fn copy_email(&self, node_id: &str, folder: &str) -> Result<Node, MailboxError> {
        let source = self
            .session
            .node(node_id, &NodeQuery::default())
            .await
            .map_err(message_error)?;
        let bytes = self
            .session
            .download(node_id, None)
            .await
            .map_err(message_error)?
            .bytes()
            .await
            .map_err(message_error)?;
        let mut upload = Upload::new(
            format!("Message_{}.eml", Uuid::new_v4()),
            UploadContent::Bytes(Bytes::from(bytes)),
        );
        upload.mime_type = "message/rfc822".into();
        upload.aspect_names = vec!["imap:imapContent".into()];
        upload.include = vec![Include::AllowableOperations];
        for (key, value) in &source.properties {
            let copied = key.starts_with("imap:message")
                || key.starts_with("imap:date")
                || key == "imap:threadIndex"
                || key == "cm:title"
                || key == "cm:description";
            if let (true, Some(text)) = (copied, value.as_str()) {
                upload = upload.property(key.clone(), text.to_owned());
            }
        }
        self.upload_new(folder, upload).await
    }

    /// Uploads a new e-mail under the unique name this server chose, and reports it stored
    /// only once the repository confirmed it. When the outcome is unknown (a timeout, a cut
    /// connection, a 5xx), the name decides: found, it was stored; not found, or the repository
    /// cannot be asked, the APPEND fails, and an upload the repository completes late is
    /// removed when it shows up, so a client that tries again never ends up with two copies.
    async fn upload_new(&self, folder: &str, upload: Upload) -> Result<Node, MailboxError> {
        let name = upload.name.clone();
        let error = match self.session.upload(folder, upload).await {
            Ok(node) => return Ok(node),
            Err(error) if error.outcome_unknown() => error,
            Err(error) => return Err(mailbox_error(error, MailboxError::NotFound)),
        };
        match child_named(&self.session, folder, &name).await {
            Ok(Some(node)) => return Ok(node),
            Ok(None) => {}
            Err(lookup) => tracing::info!(%lookup, "cannot tell whether an upload was stored"),
        }
        let window = self.session.client().options().transfer_timeout * 2;
        self.backend
            .late_uploads
            .watch(self.session.clone(), folder.to_owned(), name, window);
        Err(mailbox_error(error, MailboxError::NotFound))
    }

    /// MOVE: the same nodes, into the target (the trashcan when the target is Trash, out of it
    /// when the source is); all or nothing: when one fails, what was done is undone.
    pub(super) async fn move_messages(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError> {
        let source = Place::of_info(from)?;
        let target = Place::of_info(to)?;
        let mut done: Vec<Undo> = Vec::new();
        let result = if target == Place::Trash {
            self.move_to_trash(items, &mut done).await
        } else {
            self.move_to_folder(&source, items, to, &mut done).await
        };
        if result.is_err() {
            self.undo(done).await;
        }
        if let Place::Folder(source) = &source {
            self.backend.folders.forget(&self.user, &source.id).await;
        }
        result
    }

    /// Deletes the nodes to the trashcan; the items as Trash lists them.
    async fn move_to_trash(
        &self,
        items: &[ItemRef],
        done: &mut Vec<Undo>,
    ) -> Result<Vec<Item>, MailboxError> {
        let mut out = Vec::new();
        for item in items {
            match self.session.delete_node(&item.node_id, false).await {
                Ok(()) => done.push(Undo::Restore(item.node_id.clone())),
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(message_error(error)),
            }
            let deleted = self
                .session
                .deleted_node(
                    &item.node_id,
                    &[Include::Properties, Include::AspectNames, Include::Path],
                )
                .await
                .map_err(message_error)?;
            let context = if shows_document(&deleted.node, ViewMode::Mixed) {
                let folder = FolderFacts::of_original_parent(deleted.node.path.as_ref());
                Some(self.context_for(folder).await?)
            } else {
                None
            };
            let mut listed = item_of(&deleted.node, ViewMode::Mixed, context.as_ref())
                .ok_or_else(|| MailboxError::Internal("a deleted node is not listed".into()))?;
            listed.rights.delete = true;
            listed.rights.update = true;
            out.push(listed);
        }
        Ok(out)
    }

    /// Moves the nodes into a folder (restores them there when they come from Trash); the
    /// items as the folder lists them.
    async fn move_to_folder(
        &self,
        source: &Place,
        items: &[ItemRef],
        to: &MailboxInfo,
        done: &mut Vec<Undo>,
    ) -> Result<Vec<Item>, MailboxError> {
        let kinds: Vec<Kind> = items.iter().map(kind_of).collect();
        let folder = self.target(to, &kinds).await?;
        let context = self.context_if_documents(&kinds, &folder).await?;
        let mut out = Vec::new();
        for item in items {
            let node = if *source == Place::Trash {
                match self
                    .session
                    .restore_deleted_node(&item.node_id, Some(&folder.node.id))
                    .await
                {
                    Ok(node) => {
                        done.push(Undo::Delete(node.id.clone()));
                        self.fresh(&node.id).await?
                    }
                    Err(error) if error.is_conflict() => {
                        return Err(MailboxError::Cannot(
                            "a file of the same name is already there".into(),
                        ));
                    }
                    Err(error) => return Err(message_error(error)),
                }
            } else {
                let node = self
                    .session
                    .node(&item.node_id, &NodeQuery::default())
                    .await
                    .map_err(message_error)?;
                let moved = self
                    .move_with_free_name(&item.node_id, &node.name, &folder.node.id)
                    .await?;
                if let Some(parent) = node.parent_id {
                    done.push(Undo::MoveBack {
                        id: node.id,
                        parent,
                        name: node.name,
                    });
                }
                moved
            };
            out.push(
                item_of(&node, folder.mode, context.as_ref())
                    .ok_or_else(|| MailboxError::Internal("a moved node is not listed".into()))?,
            );
        }
        Ok(out)
    }

    /// Undoes the steps of a failed MOVE, newest first.
    async fn undo(&self, done: Vec<Undo>) {
        for step in done.into_iter().rev() {
            let result = match &step {
                Undo::Restore(id) => self
                    .session
                    .restore_deleted_node(id, None)
                    .await
                    .map(|_| ()),
                Undo::Delete(id) => self.session.delete_node(id, false).await,
                Undo::MoveBack { id, parent, name } => self
                    .session
                    .move_node(id, parent, Some(name), &[])
                    .await
                    .map(|_| ()),
            };
            if let Err(error) = result {
                tracing::warn!(%error, ?step, "could not undo a step of a failed MOVE");
            }
        }
    }

    /// EXPUNGE: to the trashcan; in Trash for good; e-mails in Drafts for good (clients save
    /// drafts every few minutes).
    pub(super) async fn expunge_messages(
        &self,
        mailbox: &MailboxInfo,
        items: &[ItemRef],
    ) -> Result<Vec<Result<(), MailboxError>>, MailboxError> {
        let place = Place::of_info(mailbox)?;
        let drafts = mailbox.name == self.settings().special.drafts
            && self.settings().drafts_delete_permanently;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let result = match &place {
                Place::Trash => self.purge(&item.node_id).await,
                Place::Folder(_) => {
                    let permanent = drafts && kind_of(item) == Kind::Email;
                    match self.session.delete_node(&item.node_id, permanent).await {
                        Ok(()) => Ok(()),
                        Err(error) if error.is_not_found() => Ok(()),
                        Err(error) => Err(message_error(error)),
                    }
                }
            };
            out.push(result);
        }
        Ok(out)
    }

    /// CREATE, with missing parents.
    pub(super) async fn create_mailbox(&self, name: &str) -> Result<(), MailboxError> {
        usable_name(name)?;
        let segments: Vec<&str> = name.split(DELIMITER).collect();
        let settings = self.settings();
        let first = segments[0];
        if segments.len() == 1
            && (settings.mounts.iter().any(|m| m.name == first) || first == settings.special.trash)
        {
            return Err(MailboxError::AlreadyExists);
        }
        if let Ok(_existing) = self.resolve(name).await {
            return Err(MailboxError::AlreadyExists);
        }
        // The deepest existing ancestor, then the missing folders below it.
        let mut existing = segments.len() - 1;
        let parent = loop {
            if existing == 0 {
                break None;
            }
            let prefix = segments[..existing].join("/");
            match self.resolve(&prefix).await {
                Ok(Resolved::Folder(folder)) => break Some(folder),
                Ok(Resolved::Trash) => {
                    return Err(MailboxError::Cannot("Trash has no sub-mailboxes".into()));
                }
                Err(MailboxError::NotFound) => existing -= 1,
                Err(error) => return Err(error),
            }
        };
        let (parent_id, missing) = match parent {
            Some(folder) => (folder.node.id.clone(), &segments[existing..]),
            None => {
                if settings.mounts.iter().any(|m| m.name == first) {
                    return Err(MailboxError::NotFound);
                }
                (self.home.id.clone(), &segments[..])
            }
        };
        let Some((leaf, between)) = missing.split_last() else {
            return Err(MailboxError::AlreadyExists);
        };
        for segment in missing {
            check_name(segment)?;
        }
        let mut folder = NewFolder::new(*leaf);
        if !between.is_empty() {
            folder.relative_path = Some(between.join("/"));
        }
        self.session
            .create_folder(&parent_id, &folder)
            .await
            .map_err(folder_error)?;
        self.backend.folders.forget(&self.user, &parent_id).await;
        Ok(())
    }

    /// DELETE: refused for INBOX, the special folders, mount points and Trash, for folders
    /// with sub-mailboxes, and (unless configured) for repository folders that hold documents.
    pub(super) async fn delete_mailbox(&self, name: &str) -> Result<(), MailboxError> {
        let settings = self.settings();
        let Resolved::Folder(folder) = self.resolve(name).await? else {
            return Err(MailboxError::Cannot("Trash cannot be deleted".into()));
        };
        let special = &settings.special;
        let protected = folder.zone == Zone::Home
            && !name.contains(DELIMITER)
            && [
                &special.sent,
                &special.drafts,
                &special.junk,
                &special.archive,
            ]
            .iter()
            .any(|s| *s == name);
        if name == "INBOX"
            || protected
            || (matches!(folder.zone, Zone::Mount(_)) && folder.below_mount.is_empty())
        {
            return Err(MailboxError::Cannot(format!("{name} cannot be deleted")));
        }
        let children = self
            .visible_children(
                &folder.node.id,
                &folder.zone,
                &folder.below_mount,
                folder.mode,
                folder.node.node_type == "st:sites",
            )
            .await?;
        if !children.is_empty() {
            return Err(MailboxError::Cannot(
                "the mailbox has sub-mailboxes; delete them first".into(),
            ));
        }
        if matches!(folder.zone, Zone::Mount(_)) && !settings.allow_delete_repository_folders {
            let files = self
                .session
                .children(
                    &folder.node.id,
                    &ChildrenQuery {
                        max_items: Some(1),
                        filter: Some(WHERE_FILES.into()),
                        fields: vec!["id".into()],
                        ..ChildrenQuery::default()
                    },
                )
                .await
                .map_err(folder_error)?;
            if !files.entries.is_empty() {
                return Err(MailboxError::Cannot(
                    "this repository folder still holds documents and is not deleted from mail"
                        .into(),
                ));
            }
        }
        self.session
            .delete_node(&folder.node.id, false)
            .await
            .map_err(folder_error)?;
        if let Some(parent) = &folder.node.parent_id {
            self.backend.folders.forget(&self.user, parent).await;
        }
        Ok(())
    }

    /// RENAME: the same folder, moved (INBOX: its messages move into a new mailbox).
    pub(super) async fn rename_mailbox(&self, from: &str, to: &str) -> Result<(), MailboxError> {
        usable_name(to)?;
        let Resolved::Folder(source) = self.resolve(from).await? else {
            return Err(MailboxError::Cannot("Trash cannot be renamed".into()));
        };
        if self.resolve(to).await.is_ok() {
            return Err(MailboxError::AlreadyExists);
        }
        let settings = self.settings();
        if matches!(source.zone, Zone::Mount(_)) && source.below_mount.is_empty() {
            return Err(MailboxError::Cannot(
                "a mount point cannot be renamed".into(),
            ));
        }
        let (parent_name, leaf) = match to.rsplit_once(DELIMITER) {
            Some((parent, leaf)) => (Some(parent), leaf),
            None => (None, to),
        };
        if let Some(parent) = parent_name
            && self.resolve(parent).await.is_err()
        {
            self.create_mailbox(parent).await?;
        }
        let parent = match parent_name {
            Some(parent) => match self.resolve(parent).await? {
                Resolved::Folder(folder) => *folder,
                Resolved::Trash => {
                    return Err(MailboxError::Cannot("Trash has no sub-mailboxes".into()));
                }
            },
            None => {
                let node = self.folder_node(&self.home.id).await?;
                Folder {
                    name: String::new(),
                    node,
                    mode: ViewMode::Archive,
                    zone: Zone::Home,
                    below_mount: Vec::new(),
                }
            }
        };
        if matches!(source.zone, Zone::Mount(_)) && self.in_home(&parent).await? {
            return Err(MailboxError::Cannot(
                "repository folders cannot be moved into your private mail folders".into(),
            ));
        }
        check_name(leaf)?;
        if from == "INBOX" {
            return self.rename_inbox(&source, &parent, leaf).await;
        }
        if source.zone == Zone::Home && !from.contains(DELIMITER) {
            let special = &settings.special;
            if [
                &special.sent,
                &special.drafts,
                &special.junk,
                &special.archive,
            ]
            .iter()
            .any(|s| *s == from)
            {
                return Err(MailboxError::Cannot(format!("{from} cannot be renamed")));
            }
        }
        let result = if source.node.parent_id.as_deref() == Some(parent.node.id.as_str()) {
            let update = NodeUpdate {
                name: Some(leaf.to_owned()),
                ..NodeUpdate::default()
            };
            self.session
                .update_node(&source.node.id, &update, &[])
                .await
                .map(|_| ())
        } else {
            self.session
                .move_node(&source.node.id, &parent.node.id, Some(leaf), &[])
                .await
                .map(|_| ())
        };
        result.map_err(folder_error)?;
        if let Some(old_parent) = &source.node.parent_id {
            self.backend.folders.forget(&self.user, old_parent).await;
        }
        self.backend
            .folders
            .forget(&self.user, &parent.node.id)
            .await;
        Ok(())
    }

    /// RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays.
    async fn rename_inbox(
        &self,
        inbox: &Folder,
        parent: &Folder,
        leaf: &str,
    ) -> Result<(), MailboxError> {
        let target = self
            .session
            .create_folder(&parent.node.id, &NewFolder::new(leaf))
            .await
            .map_err(folder_error)?;
        let files = self
            .session
            .all_children(
                &inbox.node.id,
                &ChildrenQuery {
                    filter: Some(WHERE_FILES.into()),
                    fields: vec!["id".into(), "name".into()],
                    ..ChildrenQuery::default()
                },
            )
            .await
            .map_err(folder_error)?;
        for file in files.items {
            self.move_with_free_name(&file.id, &file.name, &target.id)
                .await?;
        }
        self.backend
            .folders
            .forget(&self.user, &parent.node.id)
            .await;
        Ok(())
    }

    /// Attachment extraction on APPEND (`imap.attachments.mode`); a failure is logged, the
    /// message stays stored.
    async fn extract_attachments(&self, folder: &Folder, message: &Node, request: &AppendRequest) {
        let settings = self.settings();
        if !settings.attachments.enabled {
            return;
        }
        let extracted =
            super::attachments::extract(self, folder, message, &request.body, &request.summary);
        if let Err(error) = extracted.await {
            tracing::warn!(%error, "attachment extraction failed; the message is stored");
        }
    }
}

/// A step of a MOVE, and how to take it back.
#[derive(Debug)]
enum Undo {
    /// Deleted to the trashcan: restore it where it was.
    Restore(String),
    /// Restored from the trashcan: delete it again.
    Delete(String),
    /// Moved: move it back under its old name.
    MoveBack {
        /// The node.
        id: String,
        /// Its parent before.
        parent: String,
        /// Its name before.
        name: String,
    },
}

/// `name (n).ext` for the n-th attempt (the name itself for 0).
pub(super) fn numbered(name: &str, attempt: u32) -> String {
    if attempt == 0 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() => format!("{base} ({attempt}).{ext}"),
        _ => format!("{name} ({attempt})"),
    }
}

/// Refuses a folder name the repository would refuse (`cm:name` may not contain
/// `* " < > \ / ? : |` nor end with a dot or a space), with a reason a user understands.
fn check_name(name: &str) -> Result<(), MailboxError> {
    if let Some(c) = name.chars().find(|c| "*\"<>\\/?:|".contains(*c)) {
        return Err(MailboxError::Cannot(format!(
            "mailbox names cannot contain {c} (the repository does not allow it)"
        )));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(MailboxError::Cannot(
            "mailbox names cannot end with a dot or a space (the repository does not allow it)"
                .into(),
        ));
    }
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(MailboxError::Cannot(
            "a mailbox name cannot be empty or contain control characters".into(),
        ));
    }
    Ok(())
}

/// Property text without control characters.
fn clean(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

/// The first bytes of a message (enough for its header).
async fn read_head(body: &MessageBody) -> Result<Vec<u8>, MailboxError> {
    match body {
        MessageBody::Memory(bytes) => Ok(bytes[..bytes.len().min(HEADER_PREFIX)].to_vec()),
        MessageBody::File { path, .. } => {
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|e| MailboxError::Internal(format!("spool file: {e}")))?;
            let mut head = vec![0u8; HEADER_PREFIX];
            let mut filled = 0;
            loop {
                let n = file
                    .read(&mut head[filled..])
                    .await
                    .map_err(|e| MailboxError::Internal(format!("spool file: {e}")))?;
                if n == 0 || filled + n == head.len() {
                    filled += n;
                    break;
                }
                filled += n;
            }
            head.truncate(filled);
            Ok(head)
        }
    }
}

#[allow(dead_code)]
fn unused(_: RestError) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("Plan.pdf", 0), "Plan.pdf");
        assert_eq!(numbered("Plan.pdf", 2), "Plan (2).pdf");
        assert_eq!(numbered("README", 1), "README (1)");
        assert_eq!(numbered(".hidden", 1), ".hidden (1)");
        assert_eq!(numbered("a.tar.gz", 1), "a.tar (1).gz");
    }
}
