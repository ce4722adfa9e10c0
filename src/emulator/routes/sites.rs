//! Sites and their containers.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Params;
use crate::emulator::json::{ApiError, entry, respond};
use crate::emulator::render::{apply_fields, site_json};
use crate::emulator::repo::{Actor, Repository, Site};
use crate::emulator::state::Shared;

fn visible_site<'a>(repo: &'a Repository, actor: &Actor, id: &str) -> Result<&'a Site, ApiError> {
    repo.site(id)
        .filter(|s| repo.site_visible(actor, s))
        .ok_or_else(|| ApiError::not_found(id))
}

fn containers_of(repo: &Repository, site: &Site) -> Vec<Value> {
    let Some(node) = repo.live(&site.guid) else {
        return Vec::new();
    };
    node.children
        .iter()
        .filter_map(|c| repo.live(c))
        .filter(|c| c.aspects.contains("st:siteContainer"))
        .filter_map(|c| {
            let component = c.text("st:componentId")?;
            Some(json!({ "id": component, "folderId": c.id }))
        })
        .collect()
}

/// `GET sites`: the sites the caller can see.
pub async fn list(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        if params.get("relations").is_some() {
            return Err(ApiError::invalid(
                "relations are not supported by the emulator",
            ));
        }
        let visibility = match params.get("where") {
            None => None,
            Some(w) => {
                let v = w
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .strip_prefix("visibility=")
                    .map(|v| v.trim_matches('\'').to_owned())
                    .ok_or_else(|| {
                        ApiError::invalid(format!("An invalid WHERE query was received. {w}"))
                    })?;
                Some(v)
            }
        };
        let mut sites: Vec<&Site> = repo
            .sites()
            .filter(|site| repo.site_visible(actor, site))
            .filter(|site| {
                visibility
                    .as_deref()
                    .is_none_or(|v| v == site.visibility.as_str())
            })
            .collect();
        let mut by_id = false;
        let mut ascending = true;
        if let Some(first) = params.list("orderBy").first() {
            let mut words = first.split_whitespace();
            match words.next().unwrap_or_default() {
                "id" => by_id = true,
                "title" => {}
                other => return Err(ApiError::invalid(format!("Invalid sort field: {other}"))),
            }
            ascending = !words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
        }
        sites.sort_by(|a, b| {
            let key = |s: &Site| {
                if by_id {
                    s.id.to_lowercase()
                } else {
                    s.title.to_lowercase()
                }
            };
            let ord = key(a).cmp(&key(b));
            if ascending { ord } else { ord.reverse() }
        });
        let all: Vec<Value> = sites
            .into_iter()
            .map(|site| {
                apply_fields(
                    site_json(site, actor),
                    &params.list("fields"),
                    &Default::default(),
                )
            })
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET sites/{siteId}` (404 for a private site the caller is not a member of).
pub async fn get(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        if params.get("relations").is_some() {
            return Err(ApiError::invalid(
                "relations are not supported by the emulator",
            ));
        }
        let site = visible_site(repo, actor, &id)?;
        let v = apply_fields(
            site_json(site, actor),
            &params.list("fields"),
            &Default::default(),
        );
        Ok(respond(StatusCode::OK, &entry(v)))
    })
}

/// `GET sites/{siteId}/containers`.
pub async fn containers(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let site = visible_site(repo, actor, &id)?;
        Ok(respond(
            StatusCode::OK,
            &paging.list_of(containers_of(repo, site)),
        ))
    })
}

/// `GET sites/{siteId}/containers/{containerId}`.
pub async fn container(
    State(s): State<Arc<Shared>>,
    Path((id, container)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let site = visible_site(repo, actor, &id)?;
        let found = containers_of(repo, site)
            .into_iter()
            .find(|c| c["id"] == container.as_str())
            .ok_or_else(|| ApiError::not_found(&container))?;
        Ok(respond(StatusCode::OK, &entry(found)))
    })
}
