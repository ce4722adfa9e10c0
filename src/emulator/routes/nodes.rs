//! Nodes: get, update, delete, children (list, JSON create, multipart upload), copy, move and
//! peer associations (`targets`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Params;
use crate::emulator::json::{ApiError, entry, list, respond};
use crate::emulator::render::{NodeView, node_json};
use crate::emulator::repo::acl::Ace;
use crate::emulator::repo::listing::{ChildFilter, parse_order_by};
use crate::emulator::repo::{Actor, NewNode, NodeUpdate, PermissionsUpdate, Repository, Upload};
use crate::emulator::state::Shared;

fn view(params: &Params) -> NodeView {
    NodeView::new(&params.list("include"), &params.list("fields"))
}

/// Renders one node the way single-node endpoints do.
pub fn node_entry(
    repo: &Repository,
    actor: &Actor,
    id: &str,
    params: &Params,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let node = repo.live(id).ok_or_else(|| ApiError::not_found(id))?;
    let value = node_json(repo, actor, node, &view(params).full());
    Ok(respond(status, &entry(value)))
}

fn read_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_argument(&format!(
            "Could not read content from HTTP request body: {e}"
        ))
    })
}

fn string_list(value: Option<&Value>, what: &str) -> Result<Option<Vec<String>>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::invalid_argument(what))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid_argument(what)),
    }
}

fn string_field(body: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_argument(name)),
    }
}

fn properties_field(body: &Value) -> Result<Option<Map<String, Value>>, ApiError> {
    match body.get("properties") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(_) => Err(ApiError::invalid_argument("properties")),
    }
}

fn permissions_field(body: &Value) -> Result<Option<PermissionsUpdate>, ApiError> {
    let Some(p) = body.get("permissions").filter(|p| !p.is_null()) else {
        return Ok(None);
    };
    let inherit = match p.get("isInheritanceEnabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::invalid_argument("isInheritanceEnabled")),
    };
    let locally_set = match p.get("locallySet") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|e| {
                    let s = |k: &str| {
                        e.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let status = s("accessStatus");
                    let allowed = match status.as_str() {
                        "" | "ALLOWED" => true,
                        "DENIED" => false,
                        other => {
                            return Err(ApiError::invalid_argument(&format!(
                                "accessStatus: {other}"
                            )));
                        }
                    };
                    Ok(Ace {
                        authority: s("authorityId"),
                        role: s("name"),
                        allowed,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
        Some(_) => return Err(ApiError::invalid_argument("locallySet")),
    };
    let has_inherited = p
        .get("inherited")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    Ok(Some(PermissionsUpdate {
        inherit,
        locally_set,
        has_inherited,
    }))
}

/// `GET nodes/{nodeId}`.
pub async fn get_node(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let id = repo.resolve(actor, &id, params.get("relativePath"))?;
        repo.readable(actor, &id)?;
        node_entry(repo, actor, &id, &params, StatusCode::OK)
    })
}

/// `PUT nodes/{nodeId}`.
pub async fn update_node(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let body = read_json(&body)?;
        if !body.is_object() {
            return Err(ApiError::invalid_argument("nodeBodyUpdate"));
        }
        if body.get("parentId").is_some() {
            return Err(ApiError::invalid(format!(
                "Cannot update parentId of {id} via PUT /nodes/{{nodeId}}. Please use explicit POST /nodes/{{nodeId}}/move operation instead"
            )));
        }
        let req = NodeUpdate {
            name: string_field(&body, "name")?,
            node_type: string_field(&body, "nodeType")?,
            properties: properties_field(&body)?,
            aspects: string_list(body.get("aspectNames"), "aspectNames")?,
            permissions: permissions_field(&body)?,
        };
        let id = repo.resolve(actor, &id, None)?;
        repo.update_node(actor, now, &id, req)?;
        node_entry(repo, actor, &id, &params, StatusCode::OK)
    })
}

/// `DELETE nodes/{nodeId}` (`permanent=true` for the owner or an admin).
pub async fn delete_node(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        repo.delete_node(actor, now, &id, params.flag("permanent").unwrap_or(false))?;
        Ok(super::no_content())
    })
}

/// `GET nodes/{nodeId}/children`.
pub async fn list_children(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let filter = match params.get("where") {
            Some(w) => ChildFilter::parse(w)?,
            None => ChildFilter::default(),
        };
        let keys = parse_order_by(&params.list("orderBy"))?;
        let parent = repo.resolve(actor, &id, params.get("relativePath"))?;
        let window = paging.skip.saturating_add(paging.max);
        let children = repo.children_window(actor, &parent, &filter, &keys, window)?;
        let total = children.len();
        let view = view(&params);
        let page: Vec<Value> = children
            .iter()
            .skip(paging.skip)
            .take(paging.max)
            .map(|n| node_json(repo, actor, n, &view))
            .collect();
        let has_more = paging.skip.saturating_add(page.len()) < total;
        let source = if params.flag("includeSource") == Some(true) {
            let node = repo.readable(actor, &parent)?;
            Some((
                "source",
                node_json(repo, actor, node, &NodeView::default().full()),
            ))
        } else {
            None
        };
        Ok(respond(
            StatusCode::OK,
            &list(page, paging, Some(total), has_more, source),
        ))
    })
}

fn form_text(value: &str) -> Option<String> {
    (!value.is_empty() && !value.eq_ignore_ascii_case("null")).then(|| value.to_owned())
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let mut up = Upload {
        versioning_enabled: true,
        ..Default::default()
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::invalid_argument(&format!("multipart: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let data = field.bytes().await.map_err(bad)?;
        let text = String::from_utf8_lossy(&data).into_owned();
        match name.to_lowercase().as_str() {
            "name" => {
                if let Some(n) = form_text(&text) {
                    up.name = Some(n);
                }
            }
            "filedata" => {
                if let Some(f) = file_name {
                    up.file_name = Some(f);
                    up.data = Some(data);
                }
            }
            "autorename" => up.auto_rename = text.eq_ignore_ascii_case("true"),
            "nodetype" => up.node_type = form_text(&text),
            "overwrite" => up.overwrite = text.eq_ignore_ascii_case("true"),
            "majorversion" => up.major_version = Some(text.eq_ignore_ascii_case("true")),
            "relativepath" => up.relative_path = form_text(&text),
            "versioningenabled" if form_text(&text).is_some() => {
                up.versioning_enabled = !text.eq_ignore_ascii_case("false");
            }
            "aspectnames" => up.aspects.extend(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            "comment" | "renditions" => {}
            _ if name.contains(':') => match up.properties.iter_mut().find(|(k, _)| *k == name) {
                Some((_, values)) => values.push(text),
                None => up.properties.push((name, vec![text])),
            },
            _ => {}
        }
    }
    Ok(up)
}

fn new_node(body: &Value, params: &Params) -> Result<NewNode, ApiError> {
    if !body.is_object() {
        return Err(ApiError::invalid_argument("nodeBodyCreate"));
    }
    Ok(NewNode {
        name: string_field(body, "name")?,
        node_type: string_field(body, "nodeType")?,
        properties: properties_field(body)?,
        aspects: string_list(body.get("aspectNames"), "aspectNames")?,
        relative_path: string_field(body, "relativePath")?,
        permissions: permissions_field(body)?,
        auto_rename: params.flag("autoRename").unwrap_or(false),
        major_version: params.flag("majorVersion"),
        versioning_enabled: params.flag("versioningEnabled"),
    })
}

fn create_one(
    repo: &mut Repository,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
    parent: &str,
    body: &Value,
    params: &Params,
) -> Result<String, ApiError> {
    let req = new_node(body, params)?;
    let id = repo.create_node(actor, now, parent, req)?;
    if let Some(targets) = body.get("targets").and_then(Value::as_array) {
        for t in targets {
            let s = |k: &str| {
                t.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            repo.add_target(actor, &id, &s("targetId"), &s("assocType"))?;
        }
    }
    Ok(id)
}

/// `POST nodes/{nodeId}/children`: JSON creation or multipart upload.
pub async fn create_child(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    req: Request,
) -> Response {
    let params = Params::parse(q.as_deref());
    let headers = req.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let upload = match Multipart::from_request(req, &()).await {
            Ok(m) => read_upload(m).await,
            Err(e) => Err(ApiError::invalid_argument(&format!("multipart: {e}"))),
        };
        return s.call(&headers, &params, |repo, actor, now| {
            let id = repo.upload(actor, now, &id, upload?)?;
            node_entry(repo, actor, &id, &params, StatusCode::CREATED)
        });
    }
    let body = match axum::body::to_bytes(req.into_body(), usize::MAX).await {
        Ok(b) => b,
        Err(_) => return ApiError::invalid_argument("body").into_response(),
    };
    s.call(&headers, &params, |repo, actor, now| {
        let body = read_json(&body)?;
        match &body {
            Value::Array(items) => {
                let mut ids = Vec::new();
                for item in items {
                    ids.push(create_one(repo, actor, now, &id, item, &params)?);
                }
                let view = view(&params).full();
                let entries: Vec<Value> = ids
                    .iter()
                    .filter_map(|i| repo.live(i))
                    .map(|n| node_json(repo, actor, n, &view))
                    .collect();
                let paging = crate::emulator::json::Paging { skip: 0, max: 100 };
                let total = entries.len();
                Ok(respond(
                    StatusCode::CREATED,
                    &list(entries, paging, Some(total), false, None),
                ))
            }
            _ => {
                let new_id = create_one(repo, actor, now, &id, &body, &params)?;
                node_entry(repo, actor, &new_id, &params, StatusCode::CREATED)
            }
        }
    })
}

fn target_and_name(body: &[u8]) -> Result<(String, Option<String>), ApiError> {
    let body = read_json(body)?;
    let target = string_field(&body, "targetParentId")?.unwrap_or_default();
    Ok((target, string_field(&body, "name")?))
}

/// `POST nodes/{nodeId}/copy` (201, new id).
pub async fn copy(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let (target, name) = target_and_name(&body)?;
        let new_id = repo.copy_node(actor, now, &id, &target, name)?;
        node_entry(repo, actor, &new_id, &params, StatusCode::CREATED)
    })
}

/// `POST nodes/{nodeId}/move` (200, same id).
pub async fn move_node(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let (target, name) = target_and_name(&body)?;
        let id = repo.resolve(actor, &id, None)?;
        repo.move_node(actor, now, &id, &target, name)?;
        node_entry(repo, actor, &id, &params, StatusCode::OK)
    })
}

/// `POST nodes/{nodeId}/targets`.
pub async fn add_target(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        let body = read_json(&body)?;
        let target = string_field(&body, "targetId")?.unwrap_or_default();
        let assoc = string_field(&body, "assocType")?.unwrap_or_default();
        repo.add_target(actor, &id, &target, &assoc)?;
        Ok(respond(
            StatusCode::CREATED,
            &entry(serde_json::json!({ "targetId": target, "assocType": assoc })),
        ))
    })
}

fn assoc_type_filter(where_: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(w) = where_ else {
        return Ok(None);
    };
    let inner = w
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .and_then(|s| s.trim().strip_prefix("assocType"))
        .map(str::trim)
        .and_then(|s| s.strip_prefix('='))
        .map(|s| s.trim().trim_matches('\'').to_owned())
        .ok_or_else(|| ApiError::invalid(format!("An invalid WHERE query was received. {w}")))?;
    Ok(Some(inner))
}

/// `GET nodes/{nodeId}/targets` (`where=(assocType='imap:attachment')`).
pub async fn list_targets(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let filter = assoc_type_filter(params.get("where"))?;
        let targets = repo.list_targets(actor, &id, filter.as_deref())?;
        let view = view(&params);
        let all: Vec<Value> = targets
            .iter()
            .filter_map(|(target, assoc)| {
                let node = repo.live(target)?;
                let mut v = node_json(repo, actor, node, &view);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert(
                        "association".into(),
                        serde_json::json!({ "assocType": assoc }),
                    );
                }
                Some(v)
            })
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `DELETE nodes/{nodeId}/targets/{targetId}`.
pub async fn remove_target(
    State(s): State<Arc<Shared>>,
    Path((id, target)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        repo.remove_target(actor, &id, &target, params.get("assocType"))?;
        Ok(super::no_content())
    })
}
