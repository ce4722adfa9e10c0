//! Alfresco's repository events ("event2", the `alfresco.repo.event2` topic): the JSON
//! documents parsed into what change detection needs.
//!
//! Only node events (`org.alfresco.event.node.Created`, `.Updated`, `.Deleted`) and secondary
//! child-association events (`org.alfresco.event.assoc.child.Created`, `.Deleted`) are kept;
//! every other type is [`RepoEvent::Other`]. Parsing is lenient as Alfresco's own consumers
//! are: unknown fields are ignored and every optional field may be missing (older repositories
//! send no `secondaryParents`, for instance).

use serde::Deserialize;

/// The event type prefix of node events.
const NODE_PREFIX: &str = "org.alfresco.event.node.";
/// The event type prefix of child-association events.
const CHILD_ASSOC_PREFIX: &str = "org.alfresco.event.assoc.child.";

/// What an event says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoEvent {
    /// A node was created, changed or deleted.
    Node(NodeEvent),
    /// A secondary parent-child link was made or removed.
    ChildAssoc(ChildAssocEvent),
    /// Anything else (peer associations, permissions, audit entries, future types).
    Other,
}

/// Which node event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    /// `org.alfresco.event.node.Created` (also a restore from the trashcan).
    Created,
    /// `org.alfresco.event.node.Updated` (also a move or a rename).
    Updated,
    /// `org.alfresco.event.node.Deleted` (the snapshot is from before the deletion).
    Deleted,
}

/// A node event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEvent {
    /// Created, updated or deleted.
    pub action: NodeAction,
    /// The node's id (a UUID, without the store).
    pub node_id: String,
    /// The node is `cm:content` or a subtype.
    pub is_file: bool,
    /// The node is `cm:folder` or a subtype.
    pub is_folder: bool,
    /// Ids of the primary ancestors, nearest first (`primaryHierarchy`).
    pub primary_hierarchy: Vec<String>,
    /// Ids of the parents through secondary associations.
    pub secondary_parents: Vec<String>,
    /// The applied aspects (without the filtered `sys:` ones).
    pub aspect_names: Vec<String>,
    /// For an update: the old values of what changed (`resourceBefore`).
    pub before: Option<Before>,
}

impl NodeEvent {
    /// The primary parent's id (`primaryHierarchy[0]`).
    pub fn parent(&self) -> Option<&str> {
        self.primary_hierarchy.first().map(String::as_str)
    }

    /// The primary parent before a move, when the node really moved. A rename through the
    /// file-folder service also carries the old hierarchy, equal to the new one: that is no
    /// move, so the lists are compared rather than the field's presence tested.
    pub fn previous_parent(&self) -> Option<&str> {
        let before = self.before.as_ref()?.primary_hierarchy.as_ref()?;
        (*before != self.primary_hierarchy)
            .then(|| before.first().map(String::as_str))
            .flatten()
    }
}

/// The `resourceBefore` of an update: only what changed is present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Before {
    /// The old primary hierarchy (present after a move or a rename).
    pub primary_hierarchy: Option<Vec<String>>,
    /// The old secondary parents (present when a secondary link changed).
    pub secondary_parents: Option<Vec<String>>,
    /// The old name (a rename).
    pub name: Option<String>,
    /// The content changed (the key is present, whatever its value).
    pub content: bool,
    /// Names of the properties that changed.
    pub properties: Vec<String>,
    /// The old aspect set (aspects were added or removed).
    pub aspect_names: Option<Vec<String>>,
    /// The old type.
    pub node_type: Option<String>,
    /// `modifiedAt` changed.
    pub modified_at: bool,
    /// `modifiedByUser` changed.
    pub modified_by: bool,
}

impl Before {
    /// True when nothing but the given properties changed (and perhaps `modifiedAt`), e.g.
    /// the `sys:cascade*` bookkeeping the repository rewrites on its own.
    pub fn only_properties_among(&self, names: &[&str]) -> bool {
        self.primary_hierarchy.is_none()
            && self.secondary_parents.is_none()
            && self.name.is_none()
            && !self.content
            && self.aspect_names.is_none()
            && self.node_type.is_none()
            && !self.modified_by
            && !self.properties.is_empty()
            && self.properties.iter().all(|p| names.contains(&p.as_str()))
    }
}

/// A secondary child association made or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildAssocEvent {
    /// Made (`true`) or removed.
    pub created: bool,
    /// The parent's id.
    pub parent_id: String,
    /// The child's id.
    pub child_id: String,
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The body is not the JSON of a repository event.
    #[error("not a repository event: {0}")]
    Json(#[from] serde_json::Error),
    /// A node or association event without the ids it must carry.
    #[error("event {event_type} without {missing}")]
    Missing {
        /// The event type.
        event_type: String,
        /// What is missing.
        missing: &'static str,
    },
}

/// Reads one event body (UTF-8 JSON).
pub fn parse(body: &[u8]) -> Result<RepoEvent, EventError> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    let event_type = envelope.event_type;
    let missing = |missing| EventError::Missing {
        event_type: event_type.clone(),
        missing,
    };
    if let Some(verb) = event_type.strip_prefix(NODE_PREFIX) {
        let action = match verb {
            "Created" => NodeAction::Created,
            "Updated" => NodeAction::Updated,
            "Deleted" => NodeAction::Deleted,
            _ => return Ok(RepoEvent::Other),
        };
        let data = envelope.data.ok_or_else(|| missing("data"))?;
        let resource: NodeResource =
            serde_json::from_value(data.resource.ok_or_else(|| missing("data.resource"))?)?;
        let node_id = resource.id.ok_or_else(|| missing("data.resource.id"))?;
        let before = match data.resource_before {
            Some(value) if action == NodeAction::Updated => {
                Some(before_of(serde_json::from_value(value)?))
            }
            _ => None,
        };
        return Ok(RepoEvent::Node(NodeEvent {
            action,
            node_id,
            is_file: resource.is_file.unwrap_or(false),
            is_folder: resource.is_folder.unwrap_or(false),
            primary_hierarchy: resource.primary_hierarchy.unwrap_or_default(),
            secondary_parents: resource.secondary_parents.unwrap_or_default(),
            aspect_names: resource.aspect_names.unwrap_or_default(),
            before,
        }));
    }
    if let Some(verb) = event_type.strip_prefix(CHILD_ASSOC_PREFIX) {
        let created = match verb {
            "Created" => true,
            "Deleted" => false,
            _ => return Ok(RepoEvent::Other),
        };
        let data = envelope.data.ok_or_else(|| missing("data"))?;
        let resource: AssocResource =
            serde_json::from_value(data.resource.ok_or_else(|| missing("data.resource"))?)?;
        let parent_id = resource
            .parent
            .and_then(|r| r.id)
            .ok_or_else(|| missing("data.resource.parent.id"))?;
        let child_id = resource
            .child
            .and_then(|r| r.id)
            .ok_or_else(|| missing("data.resource.child.id"))?;
        return Ok(RepoEvent::ChildAssoc(ChildAssocEvent {
            created,
            parent_id,
            child_id,
        }));
    }
    Ok(RepoEvent::Other)
}

fn before_of(raw: BeforeResource) -> Before {
    Before {
        primary_hierarchy: raw.primary_hierarchy,
        secondary_parents: raw.secondary_parents,
        name: raw.name,
        content: raw.content.is_some(),
        properties: raw
            .properties
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
        aspect_names: raw.aspect_names,
        node_type: raw.node_type,
        modified_at: raw.modified_at.is_some(),
        modified_by: raw.modified_by_user.is_some(),
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    event_type: String,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    resource: Option<serde_json::Value>,
    #[serde(rename = "resourceBefore")]
    resource_before: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeResource {
    id: Option<String>,
    is_file: Option<bool>,
    is_folder: Option<bool>,
    primary_hierarchy: Option<Vec<String>>,
    secondary_parents: Option<Vec<String>>,
    aspect_names: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BeforeResource {
    primary_hierarchy: Option<Vec<String>>,
    secondary_parents: Option<Vec<String>>,
    name: Option<String>,
    // `{}` (no content before) and `null`-free objects both count as "content changed".
    content: Option<serde_json::Value>,
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    aspect_names: Option<Vec<String>>,
    node_type: Option<String>,
    modified_at: Option<serde_json::Value>,
    modified_by_user: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct AssocResource {
    parent: Option<IdRef>,
    child: Option<IdRef>,
}

#[derive(Deserialize)]
struct IdRef {
    id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE_ROOT: &str = "6a0f2c71-9b8e-4d3a-a1f5-0e2d7c4b9f10";
    const COMPANY_HOME: &str = "3c5e8f12-7a4b-4c9d-8e2f-1b6a0d9c7e21";
    const IMAP_HOME: &str = "b9d4a7e3-2f1c-4e8b-9a6d-5c3f0e7b1a32";
    const USER: &str = "e2a6c9f4-8d3b-4f7a-b5e1-9c0d2a4f6b43";
    const INBOX: &str = "f7c3b1e8-4a9d-4e2c-8f6b-3d1a5e9c0b54";
    const ARCHIVE: &str = "a4b8d2e6-1c3f-4a5b-8d7e-9f0a1b2c3d4e";
    const FILE: &str = "0d8e4f2a-6c1b-4b9e-a3d7-8f5c2e1a9b65";

    fn hierarchy(first: &str) -> Vec<String> {
        [first, USER, IMAP_HOME, COMPANY_HOME, STORE_ROOT]
            .map(String::from)
            .to_vec()
    }

    fn node_json(kind: &str, before: Option<serde_json::Value>, parent: &str) -> Vec<u8> {
        let mut data = serde_json::json!({
            "eventGroupId": "9c2e7a41-5b3d-4f6e-8a1c-2d0b9e7f4a83",
            "resource": {
                "@type": "NodeResource",
                "id": FILE,
                "primaryHierarchy": hierarchy(parent),
                "name": "Message_4711.eml",
                "nodeType": "cm:content",
                "createdByUser": { "id": "jsmith", "displayName": "John Smith" },
                "createdAt": "2026-03-10T09:15:42.101+01:00",
                "modifiedByUser": { "id": "jsmith", "displayName": "John Smith" },
                "modifiedAt": "2026-03-10T09:15:42.1Z",
                "content": { "mimeType": "message/rfc822", "sizeInBytes": 18342, "encoding": "UTF-8" },
                "properties": { "cm:versionLabel": "1.0", "cm:autoVersion": true, "cm:x": null },
                "aspectNames": [ "cm:versionable", "cm:auditable" ],
                "primaryAssocQName": "cm:Message_4711.eml",
                "secondaryParents": [],
                "isFile": true,
                "isFolder": false
            }
        });
        if let Some(before) = before {
            data["resourceBefore"] = before;
        }
        serde_json::to_vec(&serde_json::json!({
            "specversion": "1.0",
            "type": format!("org.alfresco.event.node.{kind}"),
            "id": "4e0b6f3a-2d7c-4a91-8f5e-1c9b3a7d2e60",
            "source": "/5f1d2c3b-9a8e-4b7d-a6c5-0e4f3d2c1b70",
            "time": "2026-03-10T09:15:42.318Z",
            "dataschema": format!("https://api.alfresco.com/schema/event/repo/v1/node{kind}"),
            "datacontenttype": "application/json",
            "data": data
        }))
        .unwrap()
    }

    fn node(body: &[u8]) -> NodeEvent {
        match parse(body).unwrap() {
            RepoEvent::Node(node) => node,
            other => panic!("not a node event: {other:?}"),
        }
    }

    #[test]
    fn a_file_created_in_a_folder() {
        let event = node(&node_json("Created", None, INBOX));
        assert_eq!(
            event,
            NodeEvent {
                action: NodeAction::Created,
                node_id: FILE.into(),
                is_file: true,
                is_folder: false,
                primary_hierarchy: hierarchy(INBOX),
                secondary_parents: vec![],
                aspect_names: vec!["cm:versionable".into(), "cm:auditable".into()],
                before: None,
            }
        );
        assert_eq!(event.parent(), Some(INBOX));
        assert_eq!(event.previous_parent(), None);
    }

    #[test]
    fn content_replaced() {
        let before = serde_json::json!({
            "@type": "NodeResource",
            "modifiedAt": "2026-03-10T09:15:42.101Z",
            "content": { "mimeType": "message/rfc822", "sizeInBytes": 18342, "encoding": "UTF-8" },
            "properties": { "cm:versionLabel": "1.0" }
        });
        let event = node(&node_json("Updated", Some(before), INBOX));
        assert_eq!(event.action, NodeAction::Updated);
        assert_eq!(
            event.before,
            Some(Before {
                content: true,
                properties: vec!["cm:versionLabel".into()],
                modified_at: true,
                ..Before::default()
            })
        );
        // `{}`: the node had no content before; still a content change.
        let before = serde_json::json!({ "@type": "NodeResource", "content": {} });
        let event = node(&node_json("Updated", Some(before), INBOX));
        assert!(event.before.unwrap().content);
    }

    #[test]
    fn a_move_names_the_previous_parent_and_a_rename_does_not() {
        let before = serde_json::json!({
            "@type": "NodeResource",
            "primaryHierarchy": hierarchy(INBOX),
            "properties": { "sys:cascadeTx": null, "sys:cascadeCRC": null }
        });
        let moved = node(&node_json("Updated", Some(before), ARCHIVE));
        assert_eq!(moved.parent(), Some(ARCHIVE));
        assert_eq!(moved.previous_parent(), Some(INBOX));

        let before = serde_json::json!({
            "@type": "NodeResource",
            "name": "old.eml",
            "primaryHierarchy": hierarchy(INBOX),
        });
        let renamed = node(&node_json("Updated", Some(before), INBOX));
        assert_eq!(renamed.previous_parent(), None);
        assert_eq!(renamed.before.unwrap().name.as_deref(), Some("old.eml"));
    }

    #[test]
    fn a_deletion_keeps_the_old_parents() {
        let event = node(&node_json("Deleted", None, INBOX));
        assert_eq!(event.action, NodeAction::Deleted);
        assert_eq!(event.parent(), Some(INBOX));
    }

    #[test]
    fn bookkeeping_only_updates_are_recognised() {
        let before = serde_json::json!({
            "properties": { "sys:cascadeTx": 1, "sys:cascadeCRC": 2 },
            "modifiedAt": "2026-03-10T09:15:42Z"
        });
        let event = node(&node_json("Updated", Some(before), INBOX));
        let before = event.before.unwrap();
        assert!(before.only_properties_among(&["sys:cascadeTx", "sys:cascadeCRC"]));
        assert!(!before.only_properties_among(&["sys:cascadeTx"]));
        assert!(!Before::default().only_properties_among(&["sys:cascadeTx"]));
    }

    #[test]
    fn secondary_parents_and_child_associations() {
        let body = br#"{"type":"org.alfresco.event.node.Updated","data":{
            "resource":{"id":"X","isFile":true,"primaryHierarchy":["P"],"secondaryParents":["F","G"]},
            "resourceBefore":{"secondaryParents":["G"]}}}"#;
        let event = node(body);
        assert_eq!(event.secondary_parents, ["F", "G"]);
        assert_eq!(
            event.before.unwrap().secondary_parents,
            Some(vec!["G".to_owned()])
        );
        let body = br#"{"type":"org.alfresco.event.assoc.child.Created","data":{"eventGroupId":"g",
            "resource":{"@type":"ChildAssociationResource","assocType":"cm:contains",
            "assocQName":"cm:x","parent":{"id":"F"},"child":{"id":"X"}}}}"#;
        assert_eq!(
            parse(body).unwrap(),
            RepoEvent::ChildAssoc(ChildAssocEvent {
                created: true,
                parent_id: "F".into(),
                child_id: "X".into()
            })
        );
    }

    #[test]
    fn old_repositories_without_optional_fields() {
        let body = br#"{"type":"org.alfresco.event.node.Created","data":{"resource":{"id":"X"}}}"#;
        let event = node(body);
        assert_eq!(event.primary_hierarchy, Vec::<String>::new());
        assert!(!event.is_file && !event.is_folder);
        assert_eq!(event.parent(), None);
    }

    #[test]
    fn other_types_are_ignored_and_broken_bodies_are_errors() {
        for kind in [
            "org.alfresco.event.assoc.peer.Created",
            "org.alfresco.event.permission.Updated",
            "org.alfresco.event.node.Frobbed",
            "com.example.Something",
        ] {
            let body = format!(r#"{{"type":"{kind}","data":{{"resource":{{"id":"X"}}}}}}"#);
            assert_eq!(parse(body.as_bytes()).unwrap(), RepoEvent::Other, "{kind}");
        }
        assert!(matches!(parse(b"not json"), Err(EventError::Json(_))));
        assert!(matches!(parse(b"{}"), Err(EventError::Json(_))));
        assert!(matches!(
            parse(br#"{"type":"org.alfresco.event.node.Deleted","data":{"resource":{}}}"#),
            Err(EventError::Missing {
                missing: "data.resource.id",
                ..
            })
        ));
        assert!(matches!(
            parse(br#"{"type":"org.alfresco.event.node.Deleted"}"#),
            Err(EventError::Missing {
                missing: "data",
                ..
            })
        ));
    }
}
