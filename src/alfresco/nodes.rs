//! Nodes: get, list children, create folders, update, copy, move, delete, peer associations.
//!
//! Node ids may be the aliases [`ROOT`], [`MY`] and [`SHARED`] where the API allows them
//! (get and children). Names only ever travel in JSON bodies or in the `relativePath` query
//! parameter, never in a URL path.

use serde::Serialize;
use serde_json::{Map, Value};

use super::client::Call;
use super::error::RestError;
use super::model::{Association, Node, PermissionElement};
use super::paging::{AllPages, Page, PageRequest, collect_all};
use super::params::{ChildrenQuery, Include, NodeQuery, add_include};
use super::route::{Api, Endpoint, Query, check_qname};
use super::session::RepoSession;

/// Alias of Company Home.
pub const ROOT: &str = "-root-";
/// Alias of the user's home folder (404 if the user has none).
pub const MY: &str = "-my-";
/// Alias of the Shared folder.
pub const SHARED: &str = "-shared-";

/// The page size [`RepoSession::all_children`] uses when the query sets none.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// A folder to create (`POST nodes/{id}/children` with JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFolder {
    /// The name (`cm:name`).
    pub name: String,
    /// The type: `cm:folder` or a subtype.
    pub node_type: String,
    /// Properties to set.
    pub properties: Map<String, Value>,
    /// Aspects to add.
    pub aspect_names: Vec<String>,
    /// Folders to create (or reuse) between the parent and the new folder, e.g. `A/B`.
    pub relative_path: Option<String>,
    /// On a name clash, let the repository pick a free name instead of answering 409.
    pub auto_rename: bool,
    /// Extra information in the answer.
    pub include: Vec<Include>,
}

impl NewFolder {
    /// A plain `cm:folder` called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            node_type: "cm:folder".to_string(),
            properties: Map::new(),
            aspect_names: Vec::new(),
            relative_path: None,
            auto_rename: false,
            include: Vec::new(),
        }
    }
}

/// Changes to a node (`PUT nodes/{id}`); only the fields that are set are sent.
///
/// Sending `aspect_names` replaces the whole set (aspects left out are removed, and removing
/// `cm:versionable` deletes the version history): read the node first. Setting a property of
/// a missing aspect adds the aspect, so flags and the like need only `properties`. A `null`
/// property value removes the property.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeUpdate {
    /// A new name (rename in place; 409 on a clash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A more specific type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_type: Option<String>,
    /// Properties to set (or, with `null`, remove).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// The complete new set of aspects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_names: Option<Vec<String>>,
    /// Permission changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionsUpdate>,
}

/// Permission changes in a [`NodeUpdate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionsUpdate {
    /// Turn inheritance from the parent on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inheritance_enabled: Option<bool>,
    /// The complete new list of locally set entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locally_set: Option<Vec<PermissionElement>>,
}

impl RepoSession {
    /// One node by id or alias (`GET nodes/{id}`), or the node at `relative_path` below it.
    /// A single node always comes with `properties` and `aspectNames`.
    pub async fn node(&self, node_id: &str, query: &NodeQuery) -> Result<Node, RestError> {
        let call =
            Call::get(Api::Core, "/nodes/{nodeId}", &[node_id]).with_query(query.to_query()?);
        self.entry(call).await
    }

    /// One page of a folder's children (`GET nodes/{id}/children`). Children are minimal
    /// unless `include` asks for more; `pagination.total_items` is filled by this endpoint.
    pub async fn children(
        &self,
        node_id: &str,
        query: &ChildrenQuery,
    ) -> Result<Page<Node>, RestError> {
        let call = Call::get(Api::Core, "/nodes/{nodeId}/children", &[node_id])
            .with_query(query.to_query()?);
        self.page(call).await
    }

    /// All children from `query.skip_count` on, page by page (`query.max_items`, else
    /// [`DEFAULT_PAGE_SIZE`], at a time). The pages are read one after the other, not as a
    /// snapshot: check [`AllPages::changed_while_paging`].
    pub async fn all_children(
        &self,
        node_id: &str,
        query: &ChildrenQuery,
    ) -> Result<AllPages<Node>, RestError> {
        let first = PageRequest {
            skip_count: query.skip_count,
            max_items: query.max_items.unwrap_or(DEFAULT_PAGE_SIZE),
        };
        let endpoint = Endpoint {
            method: "GET",
            route: "/nodes/{nodeId}/children",
        };
        collect_all(endpoint, first, |page| {
            let query = ChildrenQuery {
                skip_count: page.skip_count,
                max_items: Some(page.max_items),
                ..query.clone()
            };
            async move { self.children(node_id, &query).await }
        })
        .await
    }

    /// Creates a folder (`POST nodes/{id}/children`, JSON) → 201 with the new node.
    /// 409 when the name exists (unless `auto_rename`), 422 for characters `cm:name` forbids.
    pub async fn create_folder(
        &self,
        parent_id: &str,
        folder: &NewFolder,
    ) -> Result<Node, RestError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            name: &'a str,
            node_type: &'a str,
            #[serde(skip_serializing_if = "Map::is_empty")]
            properties: &'a Map<String, Value>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            aspect_names: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            relative_path: Option<&'a str>,
        }
        check_qname("node type", &folder.node_type)?;
        for aspect in &folder.aspect_names {
            check_qname("aspect", aspect)?;
        }
        let mut query = Query::new();
        if folder.auto_rename {
            query.push("autoRename", "true");
        }
        add_include(&mut query, &folder.include);
        let call = Call::post(Api::Core, "/nodes/{nodeId}/children", &[parent_id])
            .with_query(query)
            .with_json(&Body {
                name: &folder.name,
                node_type: &folder.node_type,
                properties: &folder.properties,
                aspect_names: &folder.aspect_names,
                relative_path: folder.relative_path.as_deref(),
            })?;
        self.entry(call).await
    }

    /// Updates a node (`PUT nodes/{id}`) → 200 with the node as it is now.
    pub async fn update_node(
        &self,
        node_id: &str,
        update: &NodeUpdate,
        include: &[Include],
    ) -> Result<Node, RestError> {
        if let Some(aspects) = &update.aspect_names {
            for aspect in aspects {
                check_qname("aspect", aspect)?;
            }
        }
        let mut query = Query::new();
        add_include(&mut query, include);
        let call = Call::put(Api::Core, "/nodes/{nodeId}", &[node_id])
            .with_query(query)
            .with_json(update)?;
        self.entry(call).await
    }

    /// Copies a node into `target_parent_id` (`POST nodes/{id}/copy`) → 201 with the copy,
    /// which has a new id. Folders are copied with their contents. 409 on a name clash.
    pub async fn copy_node(
        &self,
        node_id: &str,
        target_parent_id: &str,
        name: Option<&str>,
        include: &[Include],
    ) -> Result<Node, RestError> {
        self.relocate(
            "/nodes/{nodeId}/copy",
            node_id,
            target_parent_id,
            name,
            include,
        )
        .await
    }

    /// Moves a node into `target_parent_id` (`POST nodes/{id}/move`) → 200; the node keeps
    /// its id. With `name`, it is renamed on the way. 409 on a name clash.
    pub async fn move_node(
        &self,
        node_id: &str,
        target_parent_id: &str,
        name: Option<&str>,
        include: &[Include],
    ) -> Result<Node, RestError> {
        self.relocate(
            "/nodes/{nodeId}/move",
            node_id,
            target_parent_id,
            name,
            include,
        )
        .await
    }

    async fn relocate(
        &self,
        template: &'static str,
        node_id: &str,
        target_parent_id: &str,
        name: Option<&str>,
        include: &[Include],
    ) -> Result<Node, RestError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            target_parent_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'a str>,
        }
        let mut query = Query::new();
        add_include(&mut query, include);
        let call = Call::post(Api::Core, template, &[node_id])
            .with_query(query)
            .with_json(&Body {
                target_parent_id,
                name,
            })?;
        self.entry(call).await
    }

    /// Deletes a node (`DELETE nodes/{id}`) → 204. It goes to the trashcan (same id,
    /// restorable) unless `permanent`, which only the owner or an admin may do (else 403).
    pub async fn delete_node(&self, node_id: &str, permanent: bool) -> Result<(), RestError> {
        let mut query = Query::new();
        if permanent {
            query.push("permanent", "true");
        }
        let call = Call::delete(Api::Core, "/nodes/{nodeId}", &[node_id]).with_query(query);
        self.no_content(call).await
    }

    /// Adds a peer association (`POST nodes/{id}/targets`) → 201; 409 if it exists.
    pub async fn create_target(
        &self,
        source_id: &str,
        target_id: &str,
        assoc_type: &str,
    ) -> Result<Association, RestError> {
        check_qname("association type", assoc_type)?;
        let body = Association {
            target_id: target_id.to_string(),
            assoc_type: assoc_type.to_string(),
        };
        let call =
            Call::post(Api::Core, "/nodes/{nodeId}/targets", &[source_id]).with_json(&body)?;
        self.entry(call).await
    }

    /// The targets of a node's peer associations (`GET nodes/{id}/targets`), optionally of
    /// one type (`where=(assocType='imap:attachment')`).
    pub async fn targets(
        &self,
        source_id: &str,
        assoc_type: Option<&str>,
        include: &[Include],
    ) -> Result<Page<Node>, RestError> {
        let mut query = Query::new();
        if let Some(assoc_type) = assoc_type {
            check_qname("association type", assoc_type)?;
            query.push("where", format!("(assocType='{assoc_type}')"));
        }
        add_include(&mut query, include);
        let call = Call::get(Api::Core, "/nodes/{nodeId}/targets", &[source_id]).with_query(query);
        self.page(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_update_sends_only_what_is_set() {
        let mut update = NodeUpdate::default();
        assert_eq!(serde_json::to_string(&update).unwrap(), "{}");
        update
            .properties
            .insert("imap:flagSeen".into(), Value::Bool(true));
        update.properties.insert("cm:title".into(), Value::Null);
        update.permissions = Some(PermissionsUpdate {
            is_inheritance_enabled: Some(false),
            locally_set: Some(vec![]),
        });
        assert_eq!(
            serde_json::to_string(&update).unwrap(),
            r#"{"properties":{"cm:title":null,"imap:flagSeen":true},"permissions":{"isInheritanceEnabled":false,"locallySet":[]}}"#
        );
    }
}
