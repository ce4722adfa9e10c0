//! The repository's JSON entities as Rust types.
//!
//! The repository leaves null and empty fields out, and `fields=` can trim any field away,
//! so every field has a default: absent strings are empty, absent lists are empty, absent
//! objects are `None`. Serializing leaves the same fields out again. Dates use the
//! repository's format ([`super::date`]). Property values stay JSON (`imap:flagSeen` is a
//! boolean, `cm:addressees` a list, dates are strings).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::date;

fn is_false(value: &bool) -> bool {
    !*value
}

/// A file, folder or other node (`Node` in the API).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Node {
    /// The node id (the UUID of `workspace://SpacesStore/<uuid>`).
    pub id: String,
    /// `cm:name`.
    pub name: String,
    /// The type, e.g. `cm:content`, `cm:folder`.
    pub node_type: String,
    /// Whether it is a folder (a `cm:folder` or subtype).
    pub is_folder: bool,
    /// Whether it is a file (a `cm:content` or subtype).
    pub is_file: bool,
    /// With `include=isLocked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// `cm:created`.
    #[serde(with = "date::option", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// `cm:creator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_user: Option<UserInfo>,
    /// `cm:modified`.
    #[serde(with = "date::option", skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<DateTime<Utc>>,
    /// `cm:modifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_by_user: Option<UserInfo>,
    /// The primary parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// With `include=isLink`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_link: Option<bool>,
    /// With `include=isFavorite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_favorite: Option<bool>,
    /// Files only: mimetype and size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentInfo>,
    /// Aspects (never `sys:*`); always on single gets, on list entries with
    /// `include=aspectNames`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspect_names: Vec<String>,
    /// Properties `prefix:name` → JSON value; always on single gets, on list entries with
    /// `include=properties`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// With `include=allowableOperations`: a subset of `delete`, `create`, `update`,
    /// `updatePermissions` (left out when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowable_operations: Vec<String>,
    /// With `include=path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathInfo>,
    /// With `include=permissions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// With `include=association`: how the node hangs below the listed parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association: Option<AssociationInfo>,
}

impl Node {
    /// A property's JSON value.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name)
    }

    /// A text property.
    pub fn property_str(&self, name: &str) -> Option<&str> {
        self.property(name).and_then(Value::as_str)
    }

    /// A boolean property (also accepting the texts `true`/`false`).
    pub fn property_bool(&self, name: &str) -> Option<bool> {
        match self.property(name)? {
            Value::Bool(value) => Some(*value),
            Value::String(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// A date property, parsed from the repository's format.
    pub fn property_date(&self, name: &str) -> Option<DateTime<Utc>> {
        self.property_str(name)
            .and_then(|text| date::parse(text).ok())
    }

    /// Whether the node has an aspect (as far as the response shows aspects).
    pub fn has_aspect(&self, aspect: &str) -> bool {
        self.aspect_names.iter().any(|a| a == aspect)
    }

    /// Whether `include=allowableOperations` listed an operation (`delete`, `update`, …).
    pub fn allows(&self, operation: &str) -> bool {
        self.allowable_operations.iter().any(|o| o == operation)
    }

    /// The content size in bytes, for files.
    pub fn size(&self) -> Option<u64> {
        self.content.as_ref().map(|c| c.size_in_bytes)
    }
}

/// A user as shown on nodes (`createdByUser`, `modifiedByUser`, `archivedByUser`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserInfo {
    /// The user id.
    pub id: String,
    /// The display name.
    pub display_name: String,
}

/// A file's content description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContentInfo {
    /// e.g. `message/rfc822`.
    pub mime_type: String,
    /// The mimetype's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type_name: Option<String>,
    /// The size in bytes.
    pub size_in_bytes: u64,
    /// The text encoding, e.g. `UTF-8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// A node's primary path (`include=path`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PathInfo {
    /// The parent folder's display path, e.g. `/Company Home/Sites/x/documentLibrary`.
    pub name: String,
    /// `false` when the user cannot read some ancestor, so `elements` is cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_complete: Option<bool>,
    /// The ancestors, root first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<PathElement>,
}

/// One ancestor in a [`PathInfo`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PathElement {
    /// Node id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_type: Option<String>,
    /// Aspects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspect_names: Vec<String>,
}

/// A node's permissions (`include=permissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Permissions {
    /// Whether the node inherits its parent's permissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inheritance_enabled: Option<bool>,
    /// Entries inherited from ancestors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inherited: Vec<PermissionElement>,
    /// Entries set on this node.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locally_set: Vec<PermissionElement>,
    /// Roles that may be set on this node.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settable: Vec<String>,
}

/// One access control entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PermissionElement {
    /// A user id or group (`GROUP_EVERYONE`, `GROUP_site_x_SiteManager`, …).
    pub authority_id: String,
    /// The role or permission, e.g. `Coordinator`.
    pub name: String,
    /// Allowed or denied.
    pub access_status: AccessStatus,
    /// Read-only display name of the authority (never sent).
    #[serde(skip_serializing)]
    pub authority_display_name: Option<String>,
}

/// Whether a permission entry allows or denies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccessStatus {
    /// `ALLOWED` (the default).
    #[default]
    Allowed,
    /// `DENIED`.
    Denied,
}

/// How a listed child hangs below its parent (`include=association`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AssociationInfo {
    /// e.g. `cm:contains`.
    pub assoc_type: String,
    /// Whether this is the child's primary parent (child listings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_primary: Option<bool>,
}

/// A peer association (`POST nodes/{id}/targets`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Association {
    /// The target node.
    pub target_id: String,
    /// e.g. `imap:attachment`.
    pub assoc_type: String,
}

/// A node in the trashcan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeletedNode {
    /// The node as it was (same id as before the delete).
    #[serde(flatten)]
    pub node: Node,
    /// When it was deleted.
    #[serde(with = "date::option", skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<DateTime<Utc>>,
    /// Who deleted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_by_user: Option<UserInfo>,
}

/// A person (`GET people/-me-`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Person {
    /// The canonical user id (user names are case-insensitive; use this one).
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the account is enabled.
    pub enabled: bool,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Aspects (custom namespaces only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspect_names: Vec<String>,
    /// Properties (custom namespaces only).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// What the account is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

impl Default for Person {
    fn default() -> Self {
        Self {
            id: String::new(),
            first_name: String::new(),
            last_name: None,
            display_name: None,
            email: None,
            // The API's documented default.
            enabled: true,
            job_title: None,
            aspect_names: Vec::new(),
            properties: Map::new(),
            capabilities: None,
        }
    }
}

impl Person {
    /// Whether the person is a repository administrator.
    pub fn is_admin(&self) -> bool {
        self.capabilities.as_ref().is_some_and(|c| c.is_admin)
    }
}

/// A person's capabilities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Capabilities {
    /// Administrator.
    #[serde(skip_serializing_if = "is_false")]
    pub is_admin: bool,
    /// The guest account.
    #[serde(skip_serializing_if = "is_false")]
    pub is_guest: bool,
    /// Whether the account can be changed.
    #[serde(skip_serializing_if = "is_false")]
    pub is_mutable: bool,
}

/// A user preference; the value is any JSON (IMAP favourites are booleans).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preference {
    /// The preference name, e.g. `org.alfresco.share.sites.imapFavourites.marketing`.
    pub id: String,
    /// The value (`null` when absent).
    #[serde(skip_serializing_if = "Value::is_null")]
    pub value: Value,
}

/// A site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Site {
    /// The short name, e.g. `marketing`.
    pub id: String,
    /// The site's node id.
    pub guid: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who can see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<SiteVisibility>,
    /// The Share preset, e.g. `site-dashboard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The current user's role, if a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<SiteRole>,
}

/// A site's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SiteVisibility {
    /// Anyone can see and join.
    Public,
    /// Anyone can see, joining needs approval.
    Moderated,
    /// Members only (404 to everyone else).
    Private,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// A site role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SiteRole {
    /// Read.
    SiteConsumer,
    /// Read and add.
    SiteContributor,
    /// Read, add and edit.
    SiteCollaborator,
    /// Everything.
    SiteManager,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// One of the user's site memberships (`GET people/-me-/sites`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SiteMembership {
    /// The site's short name.
    pub id: String,
    /// The site's node id.
    pub guid: String,
    /// The user's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<SiteRole>,
    /// The site.
    pub site: Site,
}

/// A site container, such as `documentLibrary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SiteContainer {
    /// The container name (`documentLibrary`, `wiki`, `calendar`, …).
    pub id: String,
    /// The container's folder node id.
    pub folder_id: String,
}

/// A favourite (`GET people/-me-/favorites`). Not the same thing as Share's IMAP favourites,
/// which are preferences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Favourite {
    /// The favourite's node id.
    pub target_guid: String,
    /// When it was made a favourite.
    #[serde(with = "date::option", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// What it is.
    pub target: FavouriteTarget,
    /// With `include=properties`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// With `include=allowableOperations`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowable_operations: Vec<String>,
}

/// The target of a favourite: exactly one of the three is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FavouriteTarget {
    /// A site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<Site>,
    /// A file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Node>,
    /// A folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<Node>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_node_reads_and_writes_back_the_same() {
        let json = r#"{"id":"6d1c","name":"Message_1.eml","nodeType":"cm:content",
            "isFolder":false,"isFile":true,"isLocked":false,
            "createdAt":"2024-05-01T10:20:30.123+0000",
            "createdByUser":{"id":"jdoe","displayName":"J Doe"},
            "modifiedAt":"2024-05-01T10:21:00.000+0000",
            "modifiedByUser":{"id":"jdoe","displayName":"J Doe"},"parentId":"a2b3",
            "content":{"mimeType":"message/rfc822","mimeTypeName":"EMail","sizeInBytes":2048,"encoding":"UTF-8"},
            "aspectNames":["imap:imapContent","cm:auditable"],
            "properties":{"imap:flagSeen":true,"imap:messageSubject":"Hello",
              "imap:dateReceived":"2024-05-01T10:20:30.000+0000","cm:addressees":["a@x","b@x"]},
            "allowableOperations":["delete","update"],
            "path":{"name":"/Company Home/Imap Home/jdoe","isComplete":true,
              "elements":[{"id":"r","name":"Company Home","nodeType":"cm:folder","aspectNames":["cm:titled"]}]},
            "permissions":{"isInheritanceEnabled":false,
              "locallySet":[{"authorityId":"jdoe","name":"Coordinator","accessStatus":"ALLOWED"}],
              "settable":["Coordinator","Consumer"]}}"#;
        let node: Node = serde_json::from_str(json).unwrap();
        assert_eq!(node.property_bool("imap:flagSeen"), Some(true));
        assert_eq!(node.property_str("imap:messageSubject"), Some("Hello"));
        assert_eq!(
            node.property_date("imap:dateReceived")
                .map(|d| date::format(&d)),
            Some("2024-05-01T10:20:30.000+0000".to_string())
        );
        assert!(node.has_aspect("imap:imapContent"));
        assert!(node.allows("delete") && !node.allows("updatePermissions"));
        assert_eq!(node.size(), Some(2048));
        let permissions = node.permissions.clone().unwrap();
        assert_eq!(permissions.is_inheritance_enabled, Some(false));
        assert_eq!(permissions.locally_set[0].authority_id, "jdoe");
        assert_eq!(node.path.as_ref().unwrap().is_complete, Some(true));
        let back: Value = serde_json::to_value(&node).unwrap();
        let original: Value = serde_json::from_str(json).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn a_trimmed_node_has_defaults_and_writes_nothing_extra() {
        let node: Node = serde_json::from_str(r#"{"id":"x","name":"a"}"#).unwrap();
        assert_eq!(node.id, "x");
        assert!(!node.is_file && node.properties.is_empty() && node.content.is_none());
        assert_eq!(
            serde_json::to_string(&node).unwrap(),
            r#"{"id":"x","name":"a","nodeType":"","isFolder":false,"isFile":false}"#
        );
    }

    #[test]
    fn deleted_node_flattens_the_node() {
        let json = r#"{"id":"d1","name":"old.txt","nodeType":"cm:content","isFolder":false,
            "isFile":true,"archivedAt":"2026-11-28T12:57:32.509+0000",
            "archivedByUser":{"id":"alice","displayName":"Alice"}}"#;
        let deleted: DeletedNode = serde_json::from_str(json).unwrap();
        assert_eq!(deleted.node.id, "d1");
        assert_eq!(deleted.archived_by_user.unwrap().id, "alice");
        assert_eq!(
            date::format(&deleted.archived_at.unwrap()),
            "2026-11-28T12:57:32.509+0000"
        );
    }

    #[test]
    fn person_site_and_favourite() {
        let person: Person = serde_json::from_str(
            r#"{"id":"alice","firstName":"Alice","email":"alice@example.com","enabled":true,
                "capabilities":{"isAdmin":false,"isGuest":false,"isMutable":true}}"#,
        )
        .unwrap();
        assert!(!person.is_admin());
        assert!(Person::default().enabled);
        let membership: SiteMembership = serde_json::from_str(
            r#"{"id":"marketing","guid":"g1","role":"SiteManager","site":{"id":"marketing",
                "guid":"g1","title":"Marketing","visibility":"PUBLIC","role":"SiteManager"}}"#,
        )
        .unwrap();
        assert_eq!(membership.role, Some(SiteRole::SiteManager));
        assert_eq!(membership.site.visibility, Some(SiteVisibility::Public));
        let odd: Site =
            serde_json::from_str(r#"{"id":"s","visibility":"SECRET","role":"SiteOwner"}"#).unwrap();
        assert_eq!(odd.visibility, Some(SiteVisibility::Unknown));
        assert_eq!(odd.role, Some(SiteRole::Unknown));
        let favourite: Favourite = serde_json::from_str(
            r#"{"targetGuid":"g1","createdAt":"2026-01-02T03:04:05.006+0000",
                "target":{"site":{"id":"marketing","guid":"g1","title":"Marketing","visibility":"PUBLIC"}}}"#,
        )
        .unwrap();
        assert_eq!(favourite.target.site.unwrap().id, "marketing");
    }

    #[test]
    fn permission_updates_never_send_the_display_name() {
        let element = PermissionElement {
            authority_id: "alice".into(),
            name: "Coordinator".into(),
            access_status: AccessStatus::Allowed,
            authority_display_name: Some("Alice".into()),
        };
        assert_eq!(
            serde_json::to_string(&element).unwrap(),
            r#"{"authorityId":"alice","name":"Coordinator","accessStatus":"ALLOWED"}"#
        );
    }
}
