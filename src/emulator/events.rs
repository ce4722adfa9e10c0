//! Repository events for changes made through the emulator's REST API, in Alfresco's event2
//! JSON (node Created / Updated / Deleted with `primaryHierarchy` and, for updates, a
//! `resourceBefore` holding only what changed), published to a STOMP broker the way
//! Alfresco's messages reach STOMP subscribers: without `content-length`.
//!
//! The journal remembers the last published facts of every node and compares them with the
//! repository after each request, so every handler is covered without publishing code of
//! its own.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::repo::Repository;
use super::repo::node::Node;
use crate::events::publish::Publisher;

/// What an event reports about a node, as last published.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    hierarchy: Vec<String>,
    name: String,
    node_type: String,
    is_file: bool,
    is_folder: bool,
    size: Option<u64>,
    /// What changes when the content is replaced: its size and version label.
    content_tag: Option<(u64, Option<String>)>,
    mimetype: Option<String>,
    modified_at: DateTime<Utc>,
    modified_by: String,
    created_at: DateTime<Utc>,
    created_by: String,
    aspects: Vec<String>,
}

impl Facts {
    fn of(repo: &Repository, node: &Node) -> Self {
        let mut hierarchy: Vec<String> = Vec::new();
        let mut parent = node.parent.clone();
        while let Some(id) = parent {
            if hierarchy.contains(&id) {
                break;
            }
            parent = repo.node(&id).and_then(|n| n.parent.clone());
            hierarchy.push(id);
        }
        Self {
            hierarchy,
            name: node.name.clone(),
            node_type: node.node_type.clone(),
            is_file: node.is_file(),
            is_folder: node.is_folder(),
            size: node.content.as_ref().map(|c| c.data.len()),
            content_tag: node.content.as_ref().map(|c| {
                let label = node.props.get("cm:versionLabel").map(|v| format!("{v:?}"));
                (c.data.len(), label)
            }),
            mimetype: node.content.as_ref().map(|c| c.mimetype.clone()),
            modified_at: node.modified_at,
            modified_by: node.modified_by.clone(),
            created_at: node.created_at,
            created_by: node.created_by.clone(),
            aspects: node
                .aspects
                .iter()
                .filter(|a| !a.starts_with("sys:"))
                .cloned()
                .collect(),
        }
    }

    fn resource(&self, id: &str) -> Value {
        let mut resource = json!({
            "@type": "NodeResource",
            "id": id,
            "name": self.name,
            "nodeType": self.node_type,
            "isFile": self.is_file,
            "isFolder": self.is_folder,
            "primaryHierarchy": self.hierarchy,
            "createdByUser": { "id": self.created_by, "displayName": self.created_by },
            "createdAt": time(self.created_at),
            "modifiedByUser": { "id": self.modified_by, "displayName": self.modified_by },
            "modifiedAt": time(self.modified_at),
            "properties": {},
            "aspectNames": self.aspects,
            "primaryAssocQName": format!("cm:{}", self.name),
            "secondaryParents": [],
        });
        if let (Some(size), Some(mimetype)) = (self.size, &self.mimetype) {
            resource["content"] =
                json!({ "mimeType": mimetype, "sizeInBytes": size, "encoding": "UTF-8" });
        }
        resource
    }

    /// The `resourceBefore` of an update from `old` to `self`, `None` when nothing an event
    /// reports changed.
    fn before(&self, old: &Facts) -> Option<Value> {
        let mut before = Map::new();
        if old.hierarchy != self.hierarchy {
            before.insert("primaryHierarchy".into(), json!(old.hierarchy));
        }
        if old.name != self.name {
            before.insert("name".into(), json!(old.name));
            before.insert("primaryHierarchy".into(), json!(old.hierarchy));
        }
        if old.content_tag != self.content_tag {
            before.insert(
                "content".into(),
                match (old.size, &old.mimetype) {
                    (Some(size), Some(mimetype)) => json!({ "mimeType": mimetype,
                        "sizeInBytes": size, "encoding": "UTF-8" }),
                    _ => json!({}),
                },
            );
        }
        if old.aspects != self.aspects {
            before.insert("aspectNames".into(), json!(old.aspects));
        }
        if old.node_type != self.node_type {
            before.insert("nodeType".into(), json!(old.node_type));
        }
        if old.modified_by != self.modified_by {
            before.insert(
                "modifiedByUser".into(),
                json!({ "id": old.modified_by, "displayName": old.modified_by }),
            );
        }
        if old.modified_at != self.modified_at {
            before.insert("modifiedAt".into(), json!(time(old.modified_at)));
        }
        if before.is_empty() {
            return None;
        }
        before.insert("@type".into(), json!("NodeResource"));
        Some(Value::Object(before))
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Turns repository changes into events and hands them to a publisher.
#[derive(Debug)]
pub struct EventJournal {
    known: HashMap<String, Facts>,
    publisher: Publisher,
    source: String,
}

impl EventJournal {
    /// A journal that knows every live node of `repo` (no events for the seed data).
    pub fn new(repo: &Repository, publisher: Publisher) -> Self {
        let known = repo
            .all_nodes()
            .filter(|n| !n.in_trash)
            .map(|n| (n.id.clone(), Facts::of(repo, n)))
            .collect();
        Self {
            known,
            publisher,
            source: format!("/{}", uuid::Uuid::new_v4()),
        }
    }

    /// Publishes events for the nodes in `changed`, comparing them with what was published.
    pub fn publish(&mut self, repo: &Repository, changed: &BTreeSet<String>, now: DateTime<Utc>) {
        let group = uuid::Uuid::new_v4().to_string();
        for id in changed {
            let current = repo.live(id).map(|node| Facts::of(repo, node));
            let previous = self.known.get(id);
            let event = match (previous, &current) {
                (None, Some(facts)) => Some(("Created", facts.resource(id), None)),
                (Some(old), Some(facts)) => facts
                    .before(old)
                    .map(|before| ("Updated", facts.resource(id), Some(before))),
                (Some(old), None) => Some(("Deleted", old.resource(id), None)),
                (None, None) => None,
            };
            match current {
                Some(facts) => {
                    self.known.insert(id.clone(), facts);
                }
                None => {
                    self.known.remove(id);
                }
            }
            let Some((kind, resource, before)) = event else {
                continue;
            };
            let mut data = json!({ "eventGroupId": group, "resource": resource });
            if let Some(before) = before {
                data["resourceBefore"] = before;
            }
            let schema = format!("https://api.alfresco.com/schema/event/repo/v1/node{kind}");
            let event = json!({
                "specversion": "1.0",
                "type": format!("org.alfresco.event.node.{kind}"),
                "id": uuid::Uuid::new_v4().to_string(),
                "source": self.source,
                "time": time(now),
                "dataschema": schema,
                "datacontenttype": "application/json",
                "data": data,
            });
            self.publisher.publish(event.to_string().into_bytes());
        }
    }
}
