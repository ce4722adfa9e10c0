//! JSON views of repository objects, shaped like Alfresco's: nodes (minimal in lists, with
//! `properties` and `aspectNames` for single gets, plus whatever `include` asks for), people,
//! sites, and the `fields` filter.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::dictionary::{HIDDEN_PROPERTIES, is_subclass};
use super::json::{Obj, format_date};
use super::mimetypes;
use super::repo::acl::{Perm, SETTABLE_ROLES, SITE_ROLES};
use super::repo::node::Node;
use super::repo::{Actor, Person, Repository, Site};

/// What to render beyond the minimal node.
#[derive(Debug, Clone, Default)]
pub struct NodeView {
    /// What is rendered: the `include` values, plus what single gets always add.
    pub include: BTreeSet<String>,
    /// The `include` values as requested (kept by the `fields` filter).
    pub requested: BTreeSet<String>,
    /// `fields` values (empty: all).
    pub fields: Vec<String>,
}

impl NodeView {
    /// From the raw `include` and `fields` lists.
    pub fn new(include: &[String], fields: &[String]) -> Self {
        let include: BTreeSet<String> = include.iter().cloned().collect();
        Self {
            requested: include.clone(),
            include,
            fields: fields.to_vec(),
        }
    }

    /// The view of a single get: `properties` and `aspectNames` always (but `fields` still
    /// filters them out unless it names them).
    pub fn full(mut self) -> Self {
        self.include.insert("properties".into());
        self.include.insert("aspectNames".into());
        self
    }

    fn has(&self, name: &str) -> bool {
        self.include.contains(name)
    }
}

/// `{"id", "displayName"}` of a user.
pub fn user_info(repo: &Repository, user: &str) -> Value {
    json!({ "id": user, "displayName": repo.display_name(user) })
}

fn visible_aspects(node: &Node) -> Vec<String> {
    node.aspects
        .iter()
        .filter(|a| !a.starts_with("sys:"))
        .cloned()
        .collect()
}

fn allowable_operations(repo: &Repository, actor: &Actor, node: &Node) -> Vec<&'static str> {
    let mut ops = Vec::new();
    if !repo.is_special(node) && repo.has_perm(actor, &node.id, Perm::Delete) {
        ops.push("delete");
    }
    if !node.is_file() && repo.has_perm(actor, &node.id, Perm::AddChildren) {
        ops.push("create");
    }
    if repo.has_perm(actor, &node.id, Perm::Write) {
        ops.push("update");
    }
    if repo.has_perm(actor, &node.id, Perm::ChangePermissions) {
        ops.push("updatePermissions");
    }
    ops
}

fn permission_element(repo: &Repository, authority: &str, role: &str, allowed: bool) -> Value {
    let display = match authority {
        a if a.starts_with("GROUP_") => a.to_owned(),
        a => repo.display_name(a),
    };
    json!({
        "authorityId": authority,
        "name": role,
        "accessStatus": if allowed { "ALLOWED" } else { "DENIED" },
        "authorityDisplayName": display,
    })
}

fn permissions(repo: &Repository, actor: &Actor, node: &Node) -> Option<Value> {
    if !repo.has_perm(actor, &node.id, Perm::ReadPermissions) {
        return None;
    }
    let locally: Vec<Value> = node
        .acl
        .entries
        .iter()
        .map(|e| permission_element(repo, &e.authority, &e.role, e.allowed))
        .collect();
    let mut inherited = Vec::new();
    if node.acl.inherit {
        let mut current = node.parent.as_deref().and_then(|p| repo.node(p));
        while let Some(n) = current {
            inherited.extend(
                n.acl
                    .entries
                    .iter()
                    .map(|e| permission_element(repo, &e.authority, &e.role, e.allowed)),
            );
            if !n.acl.inherit {
                break;
            }
            current = n.parent.as_deref().and_then(|p| repo.node(p));
        }
    }
    let settable: Vec<&str> = if node.node_type == "st:site" {
        SITE_ROLES.iter().chain(SETTABLE_ROLES).copied().collect()
    } else {
        SETTABLE_ROLES.to_vec()
    };
    Some(
        Obj::new()
            .put("isInheritanceEnabled", node.acl.inherit)
            .put("inherited", inherited)
            .put("locallySet", locally)
            .put("settable", settable)
            .build(),
    )
}

/// The `path` of a node: its ancestors from Company Home down to its parent, as far up as the
/// actor can read (`isComplete` false when an ancestor is unreadable).
pub fn path_info(repo: &Repository, actor: &Actor, node: &Node) -> Value {
    let start = node
        .parent
        .clone()
        .or_else(|| node.archived.as_ref().map(|a| a.original_parent.clone()));
    let mut elements = Vec::new();
    let mut complete = true;
    let mut current = start.as_deref().and_then(|p| repo.node(p));
    while let Some(n) = current {
        if !repo.has_perm(actor, &n.id, Perm::Read) {
            complete = false;
            break;
        }
        elements.push(
            Obj::new()
                .put("id", n.id.clone())
                .put("name", n.name.clone())
                .put("nodeType", n.node_type.clone())
                .put("aspectNames", visible_aspects(n))
                .build(),
        );
        current = n.parent.as_deref().and_then(|p| repo.node(p));
    }
    elements.reverse();
    if elements.is_empty() {
        return json!({});
    }
    let name: String = elements
        .iter()
        .map(|e| format!("/{}", e["name"].as_str().unwrap_or_default()))
        .collect();
    json!({ "name": name, "isComplete": complete, "elements": elements })
}

/// A node as JSON.
pub fn node_json(repo: &Repository, actor: &Actor, node: &Node, view: &NodeView) -> Value {
    let parent = node
        .parent
        .clone()
        .or_else(|| node.archived.as_ref().map(|a| a.original_parent.clone()));
    let mut obj = Obj::new()
        .put("id", node.id.clone())
        .put("name", node.name.clone())
        .put("nodeType", node.node_type.clone())
        .put("isFolder", node.is_folder())
        .put("isFile", node.is_file())
        .put("modifiedAt", format_date(node.modified_at))
        .put("modifiedByUser", user_info(repo, &node.modified_by))
        .put("createdAt", format_date(node.created_at))
        .put("createdByUser", user_info(repo, &node.created_by))
        .put_opt("parentId", parent);
    if let Some(content) = &node.content {
        obj = obj.put(
            "content",
            json!({
                "mimeType": content.mimetype,
                "mimeTypeName": mimetypes::display_name(&content.mimetype),
                "sizeInBytes": content.data.len(),
                "encoding": content.encoding,
            }),
        );
    }
    if view.has("aspectNames") {
        obj = obj.put("aspectNames", visible_aspects(node));
    }
    if view.has("properties") {
        let props: serde_json::Map<String, Value> = node
            .props
            .iter()
            .filter(|(k, v)| {
                !k.starts_with("sys:") && !HIDDEN_PROPERTIES.contains(&k.as_str()) && !v.is_empty()
            })
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        obj = obj.put("properties", Value::Object(props));
    }
    if view.has("isLink") {
        obj = obj.put("isLink", is_subclass(&node.node_type, "cm:link"));
    }
    if view.has("isLocked") {
        obj = obj.put("isLocked", false);
    }
    if view.has("isFavorite") {
        obj = obj.put("isFavorite", repo.is_favourite(&actor.user, &node.id));
    }
    if view.has("allowableOperations") {
        obj = obj.put(
            "allowableOperations",
            allowable_operations(repo, actor, node),
        );
    }
    if view.has("permissions") {
        obj = obj.put_opt("permissions", permissions(repo, actor, node));
    }
    if view.has("path") {
        obj = obj.put_always("path", path_info(repo, actor, node));
    }
    if view.has("association") && node.parent.is_some() {
        obj = obj.put(
            "association",
            json!({ "assocType": "cm:contains", "isPrimary": true }),
        );
    }
    if let Some(archived) = &node.archived {
        obj = obj
            .put("archivedAt", format_date(archived.at))
            .put("archivedByUser", user_info(repo, &archived.by));
    }
    apply_fields(obj.build(), &view.fields, &view.requested)
}

/// Keeps only the listed top-level fields (plus the included ones); no-op when `fields` is empty.
pub fn apply_fields(value: Value, fields: &[String], include: &BTreeSet<String>) -> Value {
    if fields.is_empty() {
        return value;
    }
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.iter().any(|f| f == k) || include.contains(k))
                .collect(),
        ),
        other => other,
    }
}

/// A person as JSON.
pub fn person_json(repo: &Repository, person: &Person) -> Value {
    let admin = person.groups.contains("GROUP_ALFRESCO_ADMINISTRATORS");
    let _ = repo;
    Obj::new()
        .put("id", person.id.clone())
        .put("firstName", person.first_name.clone())
        .put_opt("lastName", person.last_name.clone())
        .put("displayName", person.display_name())
        .put_opt("email", person.email.clone())
        .put("enabled", person.enabled)
        .put("emailNotificationsEnabled", true)
        .put(
            "capabilities",
            json!({ "isAdmin": admin, "isGuest": false, "isMutable": true }),
        )
        .build()
}

/// A site as JSON, with the actor's role when they are a member.
pub fn site_json(site: &Site, actor: &Actor) -> Value {
    Obj::new()
        .put("id", site.id.clone())
        .put("guid", site.guid.clone())
        .put("title", site.title.clone())
        .put_opt("description", site.description.clone())
        .put("visibility", site.visibility.as_str())
        .put("preset", site.preset.clone())
        .put_opt("role", site.members.get(&actor.user).cloned())
        .build()
}
