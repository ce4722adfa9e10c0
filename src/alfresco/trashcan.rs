//! The trashcan: the user's deleted nodes (`deleted-nodes`), restore and purge.
//!
//! A deleted node keeps its id. The list holds the items this user deleted, newest first
//! (an administrator sees everyone's).

use serde::Serialize;

use super::client::Call;
use super::error::RestError;
use super::model::{DeletedNode, Node};
use super::paging::{AllPages, Page, PageRequest, collect_all};
use super::params::{Include, add_include};
use super::route::{Api, Endpoint, Query};
use super::session::RepoSession;

impl RepoSession {
    /// One page of deleted nodes (`GET deleted-nodes`).
    pub async fn deleted_nodes(
        &self,
        page: PageRequest,
        include: &[Include],
    ) -> Result<Page<DeletedNode>, RestError> {
        let mut query = Query::new();
        page.add_to(&mut query)?;
        add_include(&mut query, include);
        self.page(Call::get(Api::Core, "/deleted-nodes", &[]).with_query(query))
            .await
    }

    /// All deleted nodes, `page_size` at a time.
    pub async fn all_deleted_nodes(
        &self,
        page_size: u32,
        include: &[Include],
    ) -> Result<AllPages<DeletedNode>, RestError> {
        let endpoint = Endpoint {
            method: "GET",
            route: "/deleted-nodes",
        };
        collect_all(endpoint, PageRequest::first(page_size), |page| {
            self.deleted_nodes(page, include)
        })
        .await
    }

    /// One deleted node (`GET deleted-nodes/{id}`); 404 when it is not in the trashcan.
    pub async fn deleted_node(
        &self,
        node_id: &str,
        include: &[Include],
    ) -> Result<DeletedNode, RestError> {
        let mut query = Query::new();
        add_include(&mut query, include);
        let call = Call::get(Api::Core, "/deleted-nodes/{nodeId}", &[node_id]).with_query(query);
        self.entry(call).await
    }

    /// Restores a deleted node (`POST deleted-nodes/{id}/restore`) → 200 with the node, which
    /// keeps its id: into its former parent, or into `target_parent_id`. 409 on a name clash.
    pub async fn restore_deleted_node(
        &self,
        node_id: &str,
        target_parent_id: Option<&str>,
    ) -> Result<Node, RestError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            target_parent_id: Option<&'a str>,
        }
        let call = Call::post(Api::Core, "/deleted-nodes/{nodeId}/restore", &[node_id])
            .with_json(&Body { target_parent_id })?;
        self.entry(call).await
    }

    /// Deletes a node from the trashcan for good (`DELETE deleted-nodes/{id}`) → 204.
    pub async fn purge_deleted_node(&self, node_id: &str) -> Result<(), RestError> {
        self.no_content(Call::delete(
            Api::Core,
            "/deleted-nodes/{nodeId}",
            &[node_id],
        ))
        .await
    }
}
