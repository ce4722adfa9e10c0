//! `POST search`: the AFTS subset over the lagging index, with permission checks that stop
//! silently at the permission-evaluation limit (1000 when the request sets no limits).

use std::cmp::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Params;
use crate::emulator::dictionary::compare;
use crate::emulator::json::{ApiError, Paging, list, respond};
use crate::emulator::render::{NodeView, node_json};
use crate::emulator::repo::acl::Perm;
use crate::emulator::search::{Doc, afts, matches};
use crate::emulator::state::Shared;

/// Permission checks made when the request sets no `limits` (`system.acl.maxPermissionChecks`).
pub const DEFAULT_PERMISSION_CHECKS: usize = 1000;

const INCLUDES: &[&str] = &[
    "allowableOperations",
    "aspectNames",
    "isLink",
    "path",
    "properties",
    "association",
    "isLocked",
    "permissions",
    "isFavorite",
];

const KNOWN_KEYS: &[&str] = &[
    "query",
    "paging",
    "include",
    "fields",
    "sort",
    "limits",
    "scope",
    "defaults",
    "filterQueries",
    "includeRequest",
];

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::invalid(msg.into())
}

struct SortSpec {
    field: Option<String>,
    ascending: bool,
}

fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("{what} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(bad(format!("{what} must be a list"))),
    }
}

fn int(value: Option<&Value>, what: &str) -> Result<Option<i64>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{what} must be an integer"))),
    }
}

fn sort_field(doc: &Doc, field: &str) -> Option<crate::emulator::dictionary::PropValue> {
    let name = match field {
        "name" => "cm:name",
        "createdAt" => "cm:created",
        "modifiedAt" => "cm:modified",
        other => other,
    };
    doc.props.get(name).cloned()
}

/// `POST search`.
pub async fn search(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let req: Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid_argument("Could not read content from HTTP request body"))?;
        let obj = req.as_object().ok_or_else(|| bad("The search request must be an object"))?;
        if let Some(key) = obj.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            return Err(bad(format!("{key} is not supported by the emulator")));
        }
        let query = req.get("query").ok_or_else(|| bad("query is missing"))?;
        let text = query
            .get("query")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("query.query is missing"))?;
        match query.get("language").and_then(Value::as_str) {
            None | Some("afts") => {}
            Some(other) => return Err(bad(format!("Query language {other} is not supported by the emulator"))),
        }
        let default_and = match req.pointer("/defaults/defaultFTSOperator").and_then(Value::as_str) {
            None | Some("AND") => true,
            Some("OR") => false,
            Some(other) => return Err(bad(format!("Unknown defaultFTSOperator: {other}"))),
        };
        let mut expr = afts::parse(text, default_and).map_err(|e| bad(e.0))?;
        if let Some(fqs) = req.get("filterQueries").and_then(Value::as_array) {
            let mut all = vec![expr];
            for fq in fqs {
                let q = fq.get("query").and_then(Value::as_str).ok_or_else(|| bad("filterQueries[].query is missing"))?;
                all.push(afts::parse(q, default_and).map_err(|e| bad(e.0))?);
            }
            expr = afts::Expr::And(all);
        }
        if let Some(scope) = req.get("scope") {
            let locations = match scope.get("locations") {
                None => Vec::new(),
                Some(Value::Array(_)) => strings(scope.get("locations"), "scope.locations")?,
                Some(_) => {
                    return Err(ApiError::invalid_argument(
                        "Could not read content from HTTP request body: scope.locations must be an array",
                    ));
                }
            };
            if locations.iter().any(|l| l != "nodes") {
                return Err(bad("Only the nodes scope is supported by the emulator"));
            }
        }
        let paging_value = req.get("paging");
        let max = int(paging_value.and_then(|p| p.get("maxItems")), "paging.maxItems")?.unwrap_or(100);
        let skip = int(paging_value.and_then(|p| p.get("skipCount")), "paging.skipCount")?.unwrap_or(0);
        if max < 1 || skip < 0 {
            return Err(ApiError::invalid_argument("paging"));
        }
        let paging = Paging {
            skip: skip as usize,
            max: max as usize,
        };
        let include = strings(req.get("include"), "include")?;
        if let Some(bad_include) = include.iter().find(|i| !INCLUDES.contains(&i.as_str())) {
            return Err(ApiError::invalid_argument(&format!("include: {bad_include}")));
        }
        let fields = strings(req.get("fields"), "fields")?;
        let mut sorts = Vec::new();
        if let Some(items) = req.get("sort") {
            let items = items.as_array().ok_or_else(|| bad("sort must be a list"))?;
            for item in items {
                let kind = item.get("type").and_then(Value::as_str).unwrap_or("FIELD");
                let ascending = item.get("ascending").and_then(Value::as_bool).unwrap_or(false);
                match kind {
                    "FIELD" => {
                        let field = item
                            .get("field")
                            .and_then(Value::as_str)
                            .ok_or_else(|| bad("sort field is missing"))?;
                        sorts.push(SortSpec {
                            field: Some(field.to_owned()),
                            ascending,
                        });
                    }
                    "SCORE" | "DOCUMENT" => sorts.push(SortSpec { field: None, ascending }),
                    other => return Err(bad(format!("Unknown sort type: {other}"))),
                }
            }
        }
        let limit = match req.get("limits") {
            None => DEFAULT_PERMISSION_CHECKS,
            Some(l) => int(l.get("permissionEvaluationCount"), "limits.permissionEvaluationCount")?
                .map(|n| n.max(0) as usize)
                .unwrap_or(DEFAULT_PERMISSION_CHECKS),
        };

        let index = repo.index();
        let mut hits: Vec<&Doc> = index.docs().into_iter().filter(|d| matches(&expr, d)).collect();
        hits.sort_by(|a, b| {
            for s in &sorts {
                let ord = match &s.field {
                    Some(f) => compare(sort_field(a, f).as_ref(), sort_field(b, f).as_ref()),
                    None => a.seq.cmp(&b.seq),
                };
                let ord = if s.ascending { ord } else { ord.reverse() };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            a.seq.cmp(&b.seq)
        });
        let mut checks = 0usize;
        let mut allowed = Vec::new();
        for doc in hits {
            if repo.live(&doc.id).is_none() {
                continue;
            }
            if checks >= limit {
                break;
            }
            checks += 1;
            if repo.has_perm(actor, &doc.id, Perm::Read) {
                allowed.push(doc.id.clone());
            }
        }
        let total = allowed.len();
        let view = NodeView::new(&include, &fields);
        let page: Vec<Value> = allowed
            .iter()
            .skip(paging.skip)
            .take(paging.max)
            .filter_map(|id| repo.live(id))
            .map(|node| {
                let mut v = node_json(repo, actor, node, &view);
                if let Some(o) = v.as_object_mut() {
                    o.insert("search".into(), json!({ "score": 1.0 }));
                }
                v
            })
            .collect();
        let has_more = paging.skip.saturating_add(page.len()) < total;
        let context = json!({ "consistency": { "lastTxId": repo.index().last_tx() } });
        Ok(respond(
            StatusCode::OK,
            &list(page, paging, Some(total), has_more, Some(("context", context))),
        ))
    })
}
