//! The trashcan: `deleted-nodes` list, get, restore, purge and content.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::Params;
use super::nodes::node_entry;
use crate::emulator::json::{ApiError, entry, respond};
use crate::emulator::render::{NodeView, node_json};
use crate::emulator::state::Shared;

/// `GET deleted-nodes`: the caller's deleted items (all for admins), newest first.
pub async fn list(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let view = NodeView::new(&params.list("include"), &[]);
        let all: Vec<Value> = repo
            .deleted_nodes(actor)
            .into_iter()
            .map(|n| node_json(repo, actor, n, &view))
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET deleted-nodes/{nodeId}`.
pub async fn get(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let node = repo.deleted_node(actor, &id)?;
        let view = NodeView::new(&params.list("include"), &[]).full();
        Ok(respond(
            StatusCode::OK,
            &entry(node_json(repo, actor, node, &view)),
        ))
    })
}

/// `POST deleted-nodes/{nodeId}/restore` with an optional `{"targetParentId"}`.
pub async fn restore(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let target = if body.is_empty() {
            None
        } else {
            let v: Value = serde_json::from_slice(&body).map_err(|_| {
                ApiError::invalid_argument("Could not read content from HTTP request body")
            })?;
            v.get("targetParentId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let id = repo.restore(actor, now, &id, target.as_deref())?;
        node_entry(repo, actor, &id, &params, StatusCode::OK)
    })
}

/// `DELETE deleted-nodes/{nodeId}`: purge.
pub async fn purge(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        repo.purge(actor, &id)?;
        Ok(super::no_content())
    })
}

/// `GET deleted-nodes/{nodeId}/content`.
pub async fn content(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        let node = repo.deleted_node(actor, &id)?.clone();
        super::content::deleted_content(&node, &headers, &params)
    })
}
