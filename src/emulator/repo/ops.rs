//! Node operations as the REST API performs them, with Alfresco's checks and side effects:
//! create (JSON and upload), update, content replacement, download, copy, move, delete and peer
//! associations. Every operation takes the acting user and the current time.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::acl::{Ace, Perm, known_role};
use super::node::{Content, ContentData, Node, PeerAssoc};
use super::{Actor, Repository};
use crate::emulator::activities;
use crate::emulator::dictionary::{
    self, PropValue, class, convert_form, convert_json, is_subclass, known_aspect,
    writable_property,
};
use crate::emulator::json::ApiError;
use crate::emulator::mimetypes;

/// Which version a creation or content update makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRequest {
    /// No version (the node is not made versionable).
    None,
    /// A major version (`1.0`, `2.0`, ...).
    Major,
    /// A minor version (`0.1`, `1.1`, ...).
    Minor,
}

/// A JSON creation request (`POST nodes/{id}/children`).
#[derive(Debug, Clone, Default)]
pub struct NewNode {
    /// `name`.
    pub name: Option<String>,
    /// `nodeType`.
    pub node_type: Option<String>,
    /// `properties`.
    pub properties: Option<Map<String, Value>>,
    /// `aspectNames`.
    pub aspects: Option<Vec<String>>,
    /// `relativePath`.
    pub relative_path: Option<String>,
    /// `permissions`.
    pub permissions: Option<PermissionsUpdate>,
    /// Query `autoRename`.
    pub auto_rename: bool,
    /// Query `majorVersion`.
    pub major_version: Option<bool>,
    /// Query `versioningEnabled`.
    pub versioning_enabled: Option<bool>,
}

/// A multipart upload (`POST nodes/{id}/children` with `multipart/form-data`).
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// `name` field.
    pub name: Option<String>,
    /// Filename of the `filedata` part.
    pub file_name: Option<String>,
    /// The `filedata` bytes (`None` when the part is missing or not a file).
    pub data: Option<Bytes>,
    /// `nodeType`.
    pub node_type: Option<String>,
    /// `autoRename`.
    pub auto_rename: bool,
    /// `overwrite`.
    pub overwrite: bool,
    /// `majorVersion`.
    pub major_version: Option<bool>,
    /// `versioningEnabled` (anything but `false` counts as true).
    pub versioning_enabled: bool,
    /// `relativePath`.
    pub relative_path: Option<String>,
    /// `aspectNames`, already split on commas.
    pub aspects: Vec<String>,
    /// Fields whose name contains `:`, with all their values.
    pub properties: Vec<(String, Vec<String>)>,
}

/// A `permissions` object in a create or update body.
#[derive(Debug, Clone, Default)]
pub struct PermissionsUpdate {
    /// `isInheritanceEnabled`.
    pub inherit: Option<bool>,
    /// `locallySet` (replaces all local entries).
    pub locally_set: Option<Vec<Ace>>,
    /// Whether the body tried to set `inherited` entries (rejected).
    pub has_inherited: bool,
}

/// An update request (`PUT nodes/{id}`).
#[derive(Debug, Clone, Default)]
pub struct NodeUpdate {
    /// `name` (rename).
    pub name: Option<String>,
    /// `nodeType` (specialise only).
    pub node_type: Option<String>,
    /// `properties` (`null` values remove).
    pub properties: Option<Map<String, Value>>,
    /// `aspectNames` (replaces the set).
    pub aspects: Option<Vec<String>>,
    /// `permissions`.
    pub permissions: Option<PermissionsUpdate>,
}

/// Checks a `cm:name`: 400 when empty, 422 for characters Alfresco forbids or a trailing dot or
/// space.
pub fn check_name(name: &str, parent_id: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::invalid(format!(
            "Node name is expected: {parent_id}"
        )));
    }
    let bad_char = name
        .chars()
        .any(|c| matches!(c, '*' | '"' | '<' | '>' | '\\' | '/' | '?' | ':' | '|'));
    if bad_char || name.ends_with('.') || name.ends_with(' ') {
        return Err(ApiError::integrity(format!(
            "Found 1 integrity violations:\nInvalid property value: \n   Node: {parent_id}\n   Name: cm:name\n   Value: {name}\n   Constraint: Value '{name}' is not valid as a file name. This property must be a valid file name."
        )));
    }
    Ok(())
}

fn check_aspect_name(name: &str) -> Result<(), ApiError> {
    known_aspect(name)?;
    if name.starts_with("sys:") {
        return Err(ApiError::invalid(format!(
            "NameSpace cannot be used by API: {name}"
        )));
    }
    Ok(())
}

fn convert_properties(
    props: &Map<String, Value>,
) -> Result<Vec<(String, Option<PropValue>)>, ApiError> {
    props
        .iter()
        .map(|(k, v)| {
            let def = writable_property(k)?;
            Ok((k.clone(), convert_json(def, v)?))
        })
        .collect()
}

/// The next version label after `current`.
fn next_label(current: Option<&str>, kind: VersionRequest) -> String {
    let (major, minor) = current
        .and_then(|l| l.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .unwrap_or((0, 0));
    match (current, kind) {
        (_, VersionRequest::Major) => format!("{}.0", major + 1),
        (None, _) => "0.1".into(),
        (Some(_), _) => format!("{major}.{}", minor + 1),
    }
}

/// Makes a node versionable with its first version.
fn start_versioning(node: &mut Node, kind: VersionRequest) {
    node.aspects.insert("cm:versionable".into());
    let label = if kind == VersionRequest::Minor {
        "0.1"
    } else {
        "1.0"
    };
    let type_name = if kind == VersionRequest::Minor {
        "MINOR"
    } else {
        "MAJOR"
    };
    node.props
        .insert("cm:versionLabel".into(), PropValue::Text(label.into()));
    node.props
        .insert("cm:versionType".into(), PropValue::Text(type_name.into()));
    node.props
        .insert("cm:initialVersion".into(), PropValue::Bool(true));
    node.props
        .insert("cm:autoVersion".into(), PropValue::Bool(true));
    node.props
        .insert("cm:autoVersionOnUpdateProps".into(), PropValue::Bool(false));
}

/// Sets a property, adding the aspect that owns it.
fn set_property(node: &mut Node, name: &str, value: Option<PropValue>) {
    match value {
        Some(v) => {
            if let Some(def) = dictionary::property(name)
                && class(def.owner).is_some_and(|c| c.aspect)
            {
                node.aspects.insert(def.owner.to_owned());
            }
            node.props.insert(name.to_owned(), v);
        }
        None => {
            node.props.remove(name);
        }
    }
}

/// Removes an aspect and the properties it defines.
fn remove_aspect(node: &mut Node, aspect: &str) {
    node.aspects.remove(aspect);
    node.props
        .retain(|name, _| dictionary::property(name).is_none_or(|def| def.owner != aspect));
}

/// Finds a free name: `name-1.ext`, `name-2.ext`, ...
fn unique_name(repo: &Repository, parent: &str, name: &str) -> String {
    let mut counter = 1;
    loop {
        let candidate = match name.rfind('.') {
            Some(0) => format!("{counter}{name}"),
            Some(dot) => format!("{}-{counter}{}", &name[..dot], &name[dot..]),
            None => format!("{name}-{counter}"),
        };
        if repo.child_by_name(parent, &candidate).is_none() {
            return candidate;
        }
        counter += 1;
    }
}

impl Repository {
    /// Resolves a node id or alias (`-root-`, `-my-`, `-shared-`) and an optional relative path.
    pub fn resolve(
        &self,
        actor: &Actor,
        id: &str,
        relative_path: Option<&str>,
    ) -> Result<String, ApiError> {
        let start = match id {
            "-root-" => self.well_known.company_home.clone(),
            "-shared-" => self.well_known.shared.clone(),
            "-my-" => self
                .person(&actor.user)
                .and_then(|p| p.home.clone())
                .filter(|h| self.live(h).is_some())
                .ok_or_else(|| ApiError::not_found("-my-"))?,
            other => {
                self.live(other).ok_or_else(|| ApiError::not_found(other))?;
                other.to_owned()
            }
        };
        let Some(path) = relative_path else {
            return Ok(start);
        };
        let start_node = self
            .live(&start)
            .ok_or_else(|| ApiError::not_found(&start))?;
        if !is_subclass(&start_node.node_type, "cm:folder") {
            return Err(ApiError::invalid(format!(
                "NodeId of folder is expected: {start}"
            )));
        }
        let not_found = || {
            ApiError::not_found_msg(format!(
                "The entity with relativePath: {path} was not found."
            ))
        };
        let mut current = start;
        for element in path.split('/').map(str::trim).filter(|e| !e.is_empty()) {
            let child = self
                .child_by_name(&current, element)
                .ok_or_else(not_found)?;
            if !self.has_perm(actor, &child.id, Perm::Read) {
                return Err(not_found());
            }
            current = child.id.clone();
        }
        Ok(current)
    }

    fn touch(&mut self, id: &str, actor: &Actor, now: DateTime<Utc>) {
        if let Some(node) = self.node_mut(id) {
            node.modified_at = now;
            node.modified_by = actor.user.clone();
        }
    }

    /// Posts a site activity for a node (no-op outside sites).
    fn post_activity(&mut self, actor: &Actor, node_id: &str, kind: &str, now: DateTime<Utc>) {
        let Some(site) = self.site_of(node_id).map(|s| s.id.clone()) else {
            return;
        };
        let Some(node) = self.nodes.get(node_id) else {
            return;
        };
        let folder = node.is_folder();
        if !folder && !node.is_file() {
            return;
        }
        let activity_type = match (kind, folder) {
            ("added", false) => activities::FILE_ADDED,
            ("added", true) => activities::FOLDER_ADDED,
            ("deleted", false) => activities::FILE_DELETED,
            ("deleted", true) => activities::FOLDER_DELETED,
            ("updated", false) => activities::FILE_UPDATED,
            ("downloaded", false) => activities::FILE_DOWNLOADED,
            _ => return,
        };
        let parent = node
            .parent
            .clone()
            .or_else(|| node.archived.as_ref().map(|a| a.original_parent.clone()))
            .unwrap_or_default();
        let name = node.name.clone();
        self.activities.post(
            &site,
            activity_type,
            &actor.user,
            now,
            node_id,
            &parent,
            &name,
        );
    }

    /// Walks (creating where missing) a relative path of folders below `parent`.
    fn make_folders(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        parent: &str,
        path: Option<&str>,
    ) -> Result<String, ApiError> {
        let mut current = parent.to_owned();
        let Some(path) = path else {
            return Ok(current);
        };
        for element in path.split('/').map(str::trim).filter(|e| !e.is_empty()) {
            match self.child_by_name(&current, element) {
                Some(child) if is_subclass(&child.node_type, "cm:folder") => {
                    current = child.id.clone()
                }
                Some(_) => {
                    let parent_name = self
                        .live(&current)
                        .map(|n| n.name.clone())
                        .unwrap_or_default();
                    return Err(ApiError::conflict(format!(
                        "Name [{element}] already exists in the target parent: {parent_name}"
                    )));
                }
                None => {
                    current = self.create_child(
                        actor,
                        now,
                        &current,
                        element,
                        "cm:folder",
                        Vec::new(),
                        Vec::new(),
                        None,
                        VersionRequest::None,
                    )?;
                }
            }
        }
        Ok(current)
    }

    /// Creates a child node after the checks every creation shares.
    #[allow(clippy::too_many_arguments)]
    fn create_child(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        parent: &str,
        name: &str,
        node_type: &str,
        props: Vec<(String, Option<PropValue>)>,
        aspects: Vec<String>,
        content: Option<Content>,
        version: VersionRequest,
    ) -> Result<String, ApiError> {
        let parent_node = self
            .live(parent)
            .ok_or_else(|| ApiError::not_found(parent))?;
        if !is_subclass(&parent_node.node_type, "cm:folder") {
            return Err(ApiError::invalid(format!(
                "NodeId of folder is expected: {parent}"
            )));
        }
        check_name(name, parent)?;
        if !self.has_perm(actor, parent, Perm::AddChildren) {
            return Err(ApiError::denied());
        }
        if self.child_by_name(parent, name).is_some() {
            return Err(ApiError::conflict(format!(
                "Duplicate child name not allowed: {name}"
            )));
        }
        let id = self.insert_node(parent, name, node_type, &actor.user, now);
        let mut extract = false;
        if let Some(node) = self.node_mut(&id) {
            for (name, value) in props {
                set_property(node, &name, value);
            }
            for aspect in aspects {
                if aspect != "cm:auditable" {
                    node.aspects.insert(aspect);
                }
            }
            if node.is_file() {
                let content = content.unwrap_or_else(|| Content {
                    data: ContentData::Bytes(Bytes::new()),
                    mimetype: mimetypes::guess(name).to_owned(),
                    encoding: "UTF-8".into(),
                });
                node.content = Some(content);
            }
            if version != VersionRequest::None && node.is_file() {
                start_versioning(node, version);
                extract = true;
            }
            if node.has_aspect("imap:imapContent") {
                extract = true;
            }
        }
        self.touch(parent, actor, now);
        if extract {
            self.schedule_extraction(&id, &actor.user, now);
        }
        Ok(id)
    }

    /// `POST nodes/{id}/children` with a JSON body.
    pub fn create_node(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        parent: &str,
        req: NewNode,
    ) -> Result<String, ApiError> {
        if let Some(aspects) = &req.aspects {
            for a in aspects {
                check_aspect_name(a)?;
            }
        }
        let props = match &req.properties {
            Some(p) => convert_properties(p)?,
            None => Vec::new(),
        };
        let parent = self.resolve(actor, parent, None)?;
        let name = req.name.clone().unwrap_or_default();
        if name.is_empty() {
            return Err(ApiError::invalid(format!(
                "Node name is expected: {parent}"
            )));
        }
        let node_type = req.node_type.clone().unwrap_or_default();
        if node_type.is_empty() {
            return Err(ApiError::invalid(format!(
                "Node type is expected: {parent},{name}"
            )));
        }
        let type_def = dictionary::known_type(&node_type)?;
        let is_content = is_subclass(type_def.name, "cm:content");
        if !is_content {
            if !is_subclass(type_def.name, "cm:cmobject") {
                return Err(ApiError::invalid(format!(
                    "Invalid type: {node_type} - expected (sub-)type of cm:cmobject"
                )));
            }
            if is_subclass(type_def.name, "cm:systemfolder") {
                return Err(ApiError::invalid(format!(
                    "Invalid type: {node_type} - cannot be (sub-)type of cm:systemfolder"
                )));
            }
        }
        if let Some(owner) = props
            .iter()
            .find(|(k, _)| k == "cm:owner")
            .and_then(|(_, v)| v.as_ref())
            && self.person(&owner.as_text()).is_none()
        {
            return Err(ApiError::invalid(format!(
                "Unknown owner: {}",
                owner.as_text()
            )));
        }
        let parent = self.make_folders(actor, now, &parent, req.relative_path.as_deref())?;
        let mut name = name;
        if req.auto_rename && self.child_by_name(&parent, &name).is_some() {
            name = unique_name(self, &parent, &name);
        }
        let mut major = req.major_version;
        match req.versioning_enabled {
            Some(true) => major = Some(major.unwrap_or(true)),
            Some(false) => major = None,
            None => {}
        }
        let version = match major {
            None => VersionRequest::None,
            Some(true) => VersionRequest::Major,
            Some(false) => VersionRequest::Minor,
        };
        let aspects = req.aspects.clone().unwrap_or_default();
        let id = self.create_child(
            actor, now, &parent, &name, &node_type, props, aspects, None, version,
        )?;
        self.post_activity(actor, &id, "added", now);
        if let Some(perms) = req.permissions {
            self.apply_permissions(actor, &id, perms)?;
        }
        Ok(id)
    }

    /// `POST nodes/{id}/children` with `multipart/form-data`.
    pub fn upload(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        parent: &str,
        up: Upload,
    ) -> Result<String, ApiError> {
        let parent = self.resolve(actor, parent, None)?;
        let parent_node = self
            .live(&parent)
            .ok_or_else(|| ApiError::not_found(&parent))?;
        if !is_subclass(&parent_node.node_type, "cm:folder") {
            return Err(ApiError::invalid(format!(
                "NodeId of folder is expected: {parent}"
            )));
        }
        let node_type = up.node_type.clone().unwrap_or_else(|| "cm:content".into());
        dictionary::check_qname(&node_type)?;
        if !is_subclass(&node_type, "cm:content") {
            return Err(ApiError::invalid(format!(
                "Can only upload type of cm:content: {node_type}"
            )));
        }
        let name = up
            .name
            .clone()
            .or(up.file_name.clone())
            .filter(|n| !n.is_empty());
        let (Some(name), Some(data)) = (name, up.data.clone()) else {
            return Err(ApiError::invalid("Required parameters are missing"));
        };
        if up.auto_rename && up.overwrite {
            return Err(ApiError::invalid(
                "Both 'overwrite' and 'autoRename' should not be true when uploading a file",
            ));
        }
        for a in &up.aspects {
            check_aspect_name(a)?;
        }
        let parent = self.make_folders(actor, now, &parent, up.relative_path.as_deref())?;
        let props = up
            .properties
            .iter()
            .map(|(k, values)| {
                let def = writable_property(k)?;
                Ok((k.clone(), convert_form(def, values)?))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let mut name = name;
        if let Some(existing) = self
            .child_by_name(&parent, &name)
            .map(|n| (n.id.clone(), n.is_versioned()))
        {
            if up.auto_rename {
                name = unique_name(self, &parent, &name);
            } else if up.overwrite && existing.1 {
                let kind = match up.major_version {
                    Some(true) => VersionRequest::Major,
                    _ => VersionRequest::Minor,
                };
                self.replace_content(
                    actor,
                    now,
                    &existing.0,
                    ContentData::Bytes(data),
                    None,
                    Some(kind),
                )?;
                return Ok(existing.0);
            } else {
                return Err(ApiError::conflict(format!("{name} already exists.")));
            }
        }
        let major = up.major_version.unwrap_or(true);
        let version = match (up.versioning_enabled, major) {
            (false, _) => VersionRequest::None,
            (true, true) => VersionRequest::Major,
            (true, false) => VersionRequest::Minor,
        };
        let content = Content {
            data: ContentData::Bytes(data),
            mimetype: mimetypes::guess(&name).to_owned(),
            encoding: "UTF-8".into(),
        };
        let id = self.create_child(
            actor,
            now,
            &parent,
            &name,
            &node_type,
            props,
            up.aspects.clone(),
            Some(content),
            version,
        )?;
        self.post_activity(actor, &id, "added", now);
        Ok(id)
    }

    /// `PUT nodes/{id}`.
    pub fn update_node(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        req: NodeUpdate,
    ) -> Result<(), ApiError> {
        if let Some(aspects) = &req.aspects {
            for a in aspects {
                check_aspect_name(a)?;
            }
        }
        let props = match &req.properties {
            Some(p) => convert_properties(p)?,
            None => Vec::new(),
        };
        let id = self.resolve(actor, id, None)?;
        let node = self.readable(actor, &id)?.clone();
        if !is_subclass(&node.node_type, "cm:cmobject")
            || is_subclass(&node.node_type, "cm:systemfolder")
        {
            return Err(ApiError::invalid(format!(
                "Invalid type: {} - expected (sub-)type of cm:cmobject",
                node.node_type
            )));
        }
        let changes_node = req.name.as_deref().is_some_and(|n| !n.is_empty())
            || req.node_type.as_deref().is_some_and(|t| !t.is_empty())
            || !props.is_empty()
            || req.aspects.is_some();
        if changes_node && !self.has_perm(actor, &id, Perm::Write) {
            return Err(ApiError::denied());
        }
        if let Some(owner) = props
            .iter()
            .find(|(k, _)| k == "cm:owner")
            .and_then(|(_, v)| v.as_ref())
            && self.person(&owner.as_text()).is_none()
        {
            return Err(ApiError::invalid(format!(
                "Unknown owner: {}",
                owner.as_text()
            )));
        }
        if let Some(new_type) = req.node_type.as_deref().filter(|t| !t.is_empty())
            && new_type != node.node_type
        {
            dictionary::check_qname(new_type)?;
            let ok = dictionary::class(new_type).is_some_and(|c| !c.aspect)
                && is_subclass(new_type, &node.node_type)
                && !is_subclass(new_type, "cm:systemfolder");
            if !ok {
                return Err(ApiError::invalid(format!(
                    "Failed to change (specialise) node type - from {} to {new_type}",
                    node.node_type
                )));
            }
        }
        let rename = req
            .name
            .clone()
            .filter(|n| !n.is_empty() && *n != node.name);
        if let Some(new_name) = &rename {
            let parent = node.parent.clone().unwrap_or_default();
            check_name(new_name, &parent)?;
            if let Some(other) = self.child_by_name(&parent, new_name)
                && other.id != id
            {
                return Err(ApiError::conflict(format!(
                    "Name already exists in target parent: {new_name}"
                )));
            }
        }
        let had_imap = node.has_aspect("imap:imapContent");
        if let Some(n) = self.node_mut(&id) {
            if let Some(new_type) = req.node_type.as_deref().filter(|t| !t.is_empty()) {
                n.node_type = new_type.to_owned();
            }
            if let Some(aspects) = &req.aspects {
                let keep = |a: &str| a.starts_with("sys:") || a == "cm:auditable";
                let current: Vec<String> = n.aspects.iter().cloned().collect();
                for a in current {
                    if !keep(&a) && !aspects.contains(&a) {
                        remove_aspect(n, &a);
                    }
                }
                for a in aspects {
                    if !keep(a) {
                        n.aspects.insert(a.clone());
                    }
                }
            }
            for (name, value) in props {
                set_property(n, &name, value);
            }
            if let Some(new_name) = &rename {
                n.name = new_name.clone();
            }
            if changes_node {
                n.modified_at = now;
                n.modified_by = actor.user.clone();
            }
        }
        if rename.is_some()
            && let Some(parent) = node.parent.as_deref()
        {
            self.touch(parent, actor, now);
        }
        let has_imap = self
            .live(&id)
            .is_some_and(|n| n.has_aspect("imap:imapContent"));
        if has_imap && !had_imap {
            self.schedule_extraction(&id, &actor.user, now);
        }
        if let Some(perms) = req.permissions {
            self.apply_permissions(actor, &id, perms)?;
        }
        self.post_activity(actor, &id, "updated", now);
        Ok(())
    }

    /// Applies a `permissions` object.
    fn apply_permissions(
        &mut self,
        actor: &Actor,
        id: &str,
        perms: PermissionsUpdate,
    ) -> Result<(), ApiError> {
        if perms.has_inherited {
            return Err(ApiError::invalid(
                "Cannot set *inherited* permissions on this node",
            ));
        }
        if !self.has_perm(actor, id, Perm::ChangePermissions) {
            return Err(ApiError::denied());
        }
        if let Some(entries) = &perms.locally_set {
            for (i, ace) in entries.iter().enumerate() {
                if ace.authority.is_empty() {
                    return Err(ApiError::invalid("Authority Id is expected."));
                }
                if ace.role.is_empty() {
                    return Err(ApiError::invalid("Permission name is expected."));
                }
                if !self.authority_exists(&ace.authority) {
                    return Err(ApiError::invalid(format!(
                        "Cannot set permissions on this node - unknown authority: {}",
                        ace.authority
                    )));
                }
                if !known_role(&ace.role) {
                    return Err(ApiError::invalid(format!(
                        "Cannot set permissions on this node - unknown access level: {}",
                        ace.role
                    )));
                }
                if entries[..i]
                    .iter()
                    .any(|e| e.authority == ace.authority && e.role == ace.role)
                {
                    return Err(ApiError::invalid(
                        "Duplicate node permissions, there is more than one permission with the same authority and name!",
                    ));
                }
            }
        }
        let site_manager = self
            .site_of(id)
            .map(|s| format!("GROUP_site_{}_SiteManager", s.id));
        let Some(node) = self.node_mut(id) else {
            return Err(ApiError::not_found(id));
        };
        if let Some(inherit) = perms.inherit {
            if !inherit
                && let Some(group) = &site_manager
                && !node.acl.entries.iter().any(|e| &e.authority == group)
            {
                // Disabling inheritance inside a site keeps the site managers in.
                node.acl.entries.push(Ace::allow(group, "SiteManager"));
            }
            node.acl.inherit = inherit;
        }
        if let Some(entries) = perms.locally_set {
            let keep_manager: Vec<Ace> = match (&site_manager, node.acl.inherit) {
                (Some(group), false) => node
                    .acl
                    .entries
                    .iter()
                    .filter(|e| {
                        &e.authority == group
                            && !entries
                                .iter()
                                .any(|n| n.authority == e.authority && n.role == e.role)
                    })
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            node.acl.entries = entries;
            node.acl.entries.extend(keep_manager);
        }
        Ok(())
    }

    /// Replaces a file's content, with a new version when the node is versioned or `version` asks.
    pub fn replace_content(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        data: ContentData,
        new_name: Option<String>,
        version: Option<VersionRequest>,
    ) -> Result<(), ApiError> {
        let node = self.readable(actor, id)?.clone();
        if !node.is_file() {
            return Err(ApiError::invalid(format!(
                "NodeId of content is expected: {id}"
            )));
        }
        if !self.has_perm(actor, id, Perm::Write) {
            return Err(ApiError::denied());
        }
        let mut name = node.name.clone();
        if let Some(new_name) = new_name.filter(|n| *n != node.name) {
            let parent = node.parent.clone().unwrap_or_default();
            check_name(&new_name, &parent)?;
            if self
                .child_by_name(&parent, &new_name)
                .is_some_and(|o| o.id != id)
            {
                return Err(ApiError::conflict(format!(
                    "Name already exists in target parent: {new_name}"
                )));
            }
            name = new_name;
            self.touch(&parent, actor, now);
        }
        let previous_mimetype = node.content.as_ref().map(|c| c.mimetype.clone());
        if let Some(n) = self.node_mut(id) {
            let guessed = mimetypes::guess(&name);
            let mimetype = if guessed == mimetypes::BINARY {
                previous_mimetype.unwrap_or_else(|| guessed.to_owned())
            } else {
                guessed.to_owned()
            };
            n.name = name;
            n.content = Some(Content {
                data,
                mimetype,
                encoding: "UTF-8".into(),
            });
            let versioned = n.is_versioned();
            if versioned || version.is_some() {
                let kind = version.unwrap_or(VersionRequest::Minor);
                if versioned && n.text("cm:versionLabel").is_some() {
                    let label = next_label(n.text("cm:versionLabel"), kind);
                    let type_name = if kind == VersionRequest::Major {
                        "MAJOR"
                    } else {
                        "MINOR"
                    };
                    n.props
                        .insert("cm:versionLabel".into(), PropValue::Text(label));
                    n.props
                        .insert("cm:versionType".into(), PropValue::Text(type_name.into()));
                } else {
                    start_versioning(
                        n,
                        if version.is_some() {
                            kind
                        } else {
                            VersionRequest::Major
                        },
                    );
                }
            }
            n.modified_at = now;
            n.modified_by = actor.user.clone();
        }
        self.post_activity(actor, id, "updated", now);
        self.schedule_extraction(id, &actor.user, now);
        Ok(())
    }

    /// Reads a file's content for download; posts the download activity for site content.
    pub fn download(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        record_activity: bool,
    ) -> Result<Node, ApiError> {
        let node = self.readable(actor, id)?.clone();
        if !node.is_file() {
            return Err(ApiError::invalid(format!(
                "NodeId of content is expected: {id}"
            )));
        }
        if node.content.is_none() {
            return Err(ApiError::not_found(id));
        }
        if record_activity {
            self.post_activity(actor, id, "downloaded", now);
        }
        Ok(node)
    }

    /// `DELETE nodes/{id}`: to the trashcan, or for good with `permanent`.
    pub fn delete_node(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        permanent: bool,
    ) -> Result<(), ApiError> {
        let id = self.resolve(actor, id, None)?;
        let node = self.readable(actor, &id)?.clone();
        if self.is_special(&node) {
            return Err(ApiError::denied_msg(format!("Cannot delete: {id}")));
        }
        if permanent && !actor.admin && !actor.system && node.owner() != actor.user {
            return Err(ApiError::denied_msg(format!(
                "Non-owner/non-admin cannot permanently delete: {id}"
            )));
        }
        if !self.has_perm(actor, &id, Perm::Delete) {
            return Err(ApiError::denied());
        }
        self.post_activity(actor, &id, "deleted", now);
        let parent = node.parent.clone().unwrap_or_default();
        if let Some(p) = self.node_mut(&parent) {
            p.children.retain(|c| *c != id);
        }
        self.touch(&parent, actor, now);
        let subtree = self.subtree(&id);
        for other in self.nodes.values_mut() {
            other.targets.retain(|t| !subtree.contains(&t.target));
        }
        if permanent {
            for n in &subtree {
                self.nodes.remove(n);
                self.dirty.insert(n.clone());
            }
            return Ok(());
        }
        for n in &subtree {
            if let Some(node) = self.node_mut(n) {
                node.in_trash = true;
            }
        }
        if let Some(node) = self.node_mut(&id) {
            node.parent = None;
            node.archived = Some(super::node::Archived {
                at: now,
                by: actor.user.clone(),
                original_parent: parent,
            });
        }
        Ok(())
    }

    /// The node and all its descendants.
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_owned()];
        let mut i = 0;
        while i < out.len() {
            if let Some(n) = self.nodes.get(&out[i]) {
                out.extend(n.children.iter().cloned());
            }
            i += 1;
        }
        out
    }

    fn target_folder(&self, actor: &Actor, target: &str) -> Result<String, ApiError> {
        if target.is_empty() {
            return Err(ApiError::invalid("Missing targetParentId"));
        }
        let target = self.resolve(actor, target, None)?;
        let node = self.readable(actor, &target)?;
        if !is_subclass(&node.node_type, "cm:folder") {
            return Err(ApiError::invalid(format!(
                "Invalid type of target parent: {target}"
            )));
        }
        Ok(target)
    }

    /// `POST nodes/{id}/copy`; returns the new node's id.
    pub fn copy_node(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        target: &str,
        name: Option<String>,
    ) -> Result<String, ApiError> {
        let target = self.target_folder(actor, target)?;
        let id = self.resolve(actor, id, None)?;
        let source = self.readable(actor, &id)?.clone();
        let name = name
            .filter(|n| !n.is_empty())
            .unwrap_or(source.name.clone());
        check_name(&name, &target)?;
        if !self.has_perm(actor, &target, Perm::AddChildren) {
            return Err(ApiError::denied());
        }
        if self.child_by_name(&target, &name).is_some() {
            return Err(ApiError::conflict(format!(
                "Name already exists in target parent: {name}"
            )));
        }
        if self.subtree(&id).contains(&target) {
            return Err(ApiError::invalid(format!("Cannot copy {id} into itself")));
        }
        let new_id = self.copy_tree(actor, now, &id, &target, &name);
        self.touch(&target, actor, now);
        Ok(new_id)
    }

    fn copy_tree(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        parent: &str,
        name: &str,
    ) -> String {
        let Some(source) = self.nodes.get(id).cloned() else {
            return String::new();
        };
        let new_id = self.insert_node(parent, name, &source.node_type, &actor.user, now);
        if let Some(n) = self.node_mut(&new_id) {
            n.aspects = source.aspects.clone();
            n.props = source.props.clone();
            n.props.remove("cm:owner");
            n.aspects.remove("cm:ownable");
            n.content = source.content.clone();
            if n.is_versioned() {
                start_versioning(n, VersionRequest::Major);
            }
        }
        for child in source.children.iter() {
            let child_name = self.nodes.get(child).map(|c| c.name.clone());
            if let Some(child_name) = child_name
                && self.live(child).is_some()
            {
                self.copy_tree(actor, now, child, &new_id, &child_name);
            }
        }
        new_id
    }

    /// `POST nodes/{id}/move`; the node keeps its id.
    pub fn move_node(
        &mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        target: &str,
        name: Option<String>,
    ) -> Result<(), ApiError> {
        let target = self.target_folder(actor, target)?;
        let id = self.resolve(actor, id, None)?;
        let node = self.readable(actor, &id)?.clone();
        if id != target && self.is_special(&node) {
            return Err(ApiError::denied_msg(format!("Cannot move: {id}")));
        }
        let name = name.filter(|n| !n.is_empty()).unwrap_or(node.name.clone());
        check_name(&name, &target)?;
        if self.subtree(&id).contains(&target) {
            return Err(ApiError::invalid(format!("Cannot move {id} below itself")));
        }
        if !self.has_perm(actor, &id, Perm::Delete)
            || !self.has_perm(actor, &target, Perm::AddChildren)
        {
            return Err(ApiError::denied());
        }
        if self
            .child_by_name(&target, &name)
            .is_some_and(|o| o.id != id)
        {
            return Err(ApiError::conflict(format!(
                "Name already exists in target parent: {name}"
            )));
        }
        let old_parent = node.parent.clone().unwrap_or_default();
        if old_parent == target && name == node.name {
            return Ok(());
        }
        if let Some(p) = self.node_mut(&old_parent) {
            p.children.retain(|c| *c != id);
        }
        if let Some(p) = self.node_mut(&target) {
            p.children.push(id.clone());
        }
        if let Some(n) = self.node_mut(&id) {
            n.parent = Some(target.clone());
            if n.name != name {
                n.name = name;
                n.modified_at = now;
                n.modified_by = actor.user.clone();
            }
        }
        self.touch(&old_parent, actor, now);
        self.touch(&target, actor, now);
        Ok(())
    }

    /// `POST nodes/{id}/targets`.
    pub fn add_target(
        &mut self,
        actor: &Actor,
        source: &str,
        target: &str,
        assoc_type: &str,
    ) -> Result<(), ApiError> {
        let source = self.resolve(actor, source, None)?;
        self.readable(actor, &source)?;
        if target.is_empty() {
            return Err(ApiError::invalid("Missing targetId"));
        }
        if assoc_type.is_empty() {
            return Err(ApiError::invalid("Missing assocType"));
        }
        dictionary::check_qname(assoc_type)?;
        let single = dictionary::association(assoc_type)
            .ok_or_else(|| ApiError::invalid(format!("Unknown assocType: {assoc_type}")))?;
        self.live(target)
            .ok_or_else(|| ApiError::not_found(target))?;
        if !self.has_perm(actor, &source, Perm::CreateAssociations) {
            return Err(ApiError::denied());
        }
        let node = self
            .live(&source)
            .ok_or_else(|| ApiError::not_found(&source))?;
        if node
            .targets
            .iter()
            .any(|t| t.assoc_type == assoc_type && t.target == target)
        {
            return Err(ApiError::conflict(format!(
                "Node association '{assoc_type}' already exists from {source} to {target}"
            )));
        }
        if single && node.targets.iter().any(|t| t.assoc_type == assoc_type) {
            return Err(ApiError::integrity(format!(
                "Found 1 integrity violations: The association target multiplicity has been violated: {assoc_type}"
            )));
        }
        if let Some(n) = self.node_mut(&source) {
            n.targets.push(PeerAssoc {
                assoc_type: assoc_type.to_owned(),
                target: target.to_owned(),
            });
        }
        Ok(())
    }

    /// `GET nodes/{id}/targets`: readable targets, optionally of one association type.
    pub fn list_targets(
        &self,
        actor: &Actor,
        source: &str,
        assoc_type: Option<&str>,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let source = self.resolve(actor, source, None)?;
        let node = self.readable(actor, &source)?;
        Ok(node
            .targets
            .iter()
            .filter(|t| assoc_type.is_none_or(|a| a == t.assoc_type))
            .filter(|t| {
                self.live(&t.target).is_some() && self.has_perm(actor, &t.target, Perm::Read)
            })
            .map(|t| (t.target.clone(), t.assoc_type.clone()))
            .collect())
    }

    /// `DELETE nodes/{id}/targets/{targetId}`.
    pub fn remove_target(
        &mut self,
        actor: &Actor,
        source: &str,
        target: &str,
        assoc_type: Option<&str>,
    ) -> Result<(), ApiError> {
        let source = self.resolve(actor, source, None)?;
        self.readable(actor, &source)?;
        if !self.has_perm(actor, &source, Perm::CreateAssociations) {
            return Err(ApiError::denied());
        }
        let Some(node) = self.node_mut(&source) else {
            return Err(ApiError::not_found(&source));
        };
        let before = node.targets.len();
        node.targets
            .retain(|t| !(t.target == target && assoc_type.is_none_or(|a| a == t.assoc_type)));
        if node.targets.len() == before {
            return Err(ApiError::not_found(target));
        }
        Ok(())
    }

    /// The properties of a node as a map (for tests and the handle).
    pub fn properties_of(&self, id: &str) -> BTreeMap<String, PropValue> {
        self.nodes
            .get(id)
            .map(|n| n.props.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;
    use crate::emulator::repo::{NewPerson, bootstrap_time};
    use serde_json::json;

    fn repo() -> Repository {
        let mut repo = Repository::new(Settings::default());
        for user in ["alice", "bob"] {
            repo.add_person(NewPerson {
                id: user.into(),
                password: user.into(),
                first_name: user.into(),
                last_name: None,
                email: None,
                admin: false,
            });
        }
        repo
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("a*b", "p").unwrap_err().status.as_u16(), 422);
        assert_eq!(check_name("a.", "p").unwrap_err().status.as_u16(), 422);
        assert_eq!(check_name("a ", "p").unwrap_err().status.as_u16(), 422);
        assert_eq!(check_name("", "p").unwrap_err().status.as_u16(), 400);
        assert!(check_name("Report 2026.pdf", "p").is_ok());
    }

    #[test]
    fn version_labels() {
        assert_eq!(next_label(Some("1.0"), VersionRequest::Minor), "1.1");
        assert_eq!(next_label(Some("1.3"), VersionRequest::Major), "2.0");
        assert_eq!(next_label(None, VersionRequest::Minor), "0.1");
    }

    #[test]
    fn create_update_rename_and_clash() {
        let mut repo = repo();
        let now = bootstrap_time();
        let admin = repo.actor("admin");
        let shared = repo.well_known().shared.clone();
        let bob = repo.actor("bob");
        let folder = repo
            .create_node(
                &bob,
                now,
                &shared,
                NewNode {
                    name: Some("Projects".into()),
                    node_type: Some("cm:folder".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let clash = repo.create_node(
            &admin,
            now,
            &shared,
            NewNode {
                name: Some("PROJECTS".into()),
                node_type: Some("cm:folder".into()),
                ..Default::default()
            },
        );
        assert_eq!(clash.unwrap_err().status.as_u16(), 409);
        let renamed = repo.create_node(
            &admin,
            now,
            &shared,
            NewNode {
                name: Some("projects".into()),
                node_type: Some("cm:folder".into()),
                auto_rename: true,
                ..Default::default()
            },
        );
        assert_eq!(repo.live(&renamed.unwrap()).unwrap().name, "projects-1");
        let alice = repo.actor("alice");
        let denied = repo.update_node(
            &alice,
            now,
            &folder,
            NodeUpdate {
                name: Some("Mine".into()),
                ..Default::default()
            },
        );
        assert_eq!(denied.unwrap_err().status.as_u16(), 403);
        let mut props = Map::new();
        props.insert("cm:title".into(), json!("T"));
        repo.update_node(
            &bob,
            now,
            &folder,
            NodeUpdate {
                properties: Some(props),
                ..Default::default()
            },
        )
        .unwrap();
        let node = repo.live(&folder).unwrap();
        assert!(node.aspects.contains("cm:titled"));
        assert_eq!(node.text("cm:title"), Some("T"));
    }
}
