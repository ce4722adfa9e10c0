//! People: the person, preferences, site memberships, favourites and the activity feed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Params, person_id};
use crate::emulator::json::{ApiError, Obj, entry, format_date, respond};
use crate::emulator::render::{NodeView, apply_fields, node_json, person_json, site_json};
use crate::emulator::repo::people::FavouriteTarget;
use crate::emulator::repo::{Actor, Repository};
use crate::emulator::state::Shared;

fn fields(params: &Params, value: Value) -> Value {
    apply_fields(value, &params.list("fields"), &Default::default())
}

/// `GET people/{personId}`.
pub async fn get_person(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let id = person_id(repo, actor, &id)?;
        let person = repo.person(&id).ok_or_else(|| ApiError::not_found(&id))?;
        Ok(respond(
            StatusCode::OK,
            &entry(fields(&params, person_json(repo, person))),
        ))
    })
}

/// `GET people`: every person by ascending id (the documented default order), minimal unless
/// `include=capabilities` (`properties` and `aspectNames` are never stored here).
pub async fn list_people(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, _, _| {
        let paging = params.paging()?;
        let capabilities = params.list("include").iter().any(|i| i == "capabilities");
        let all: Vec<Value> = repo
            .people()
            .map(|person| {
                let mut value = person_json(repo, person);
                if !capabilities && let Some(map) = value.as_object_mut() {
                    map.remove("capabilities");
                }
                fields(&params, value)
            })
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

fn own_or_admin(repo: &Repository, actor: &Actor, id: &str) -> Result<String, ApiError> {
    let id = person_id(repo, actor, id)?;
    if id != actor.user && !actor.admin {
        return Err(ApiError::denied());
    }
    Ok(id)
}

/// `GET people/{personId}/preferences` (all preferences, no filter, paged).
pub async fn list_preferences(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let id = own_or_admin(repo, actor, &id)?;
        let person = repo.person(&id).ok_or_else(|| ApiError::not_found(&id))?;
        let all: Vec<Value> = person
            .preferences
            .iter()
            .map(|(k, v)| fields(&params, json!({ "id": k, "value": v })))
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET people/{personId}/preferences/{name}` (404 when not set).
pub async fn get_preference(
    State(s): State<Arc<Shared>>,
    Path((id, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let id = own_or_admin(repo, actor, &id)?;
        let value = repo
            .person(&id)
            .and_then(|p| p.preferences.get(&name))
            .ok_or_else(|| ApiError::not_found(&name))?;
        Ok(respond(
            StatusCode::OK,
            &entry(fields(&params, json!({ "id": name, "value": value }))),
        ))
    })
}

/// `PUT people/{personId}/preferences/{name}`: a null or empty value removes the preference.
pub async fn put_preference(
    State(s): State<Arc<Shared>>,
    Path((id, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        let id = own_or_admin(repo, actor, &id)?;
        let body: Value = serde_json::from_slice(&body).map_err(|_| {
            ApiError::invalid_argument("Could not read content from HTTP request body")
        })?;
        let value = body.get("value").cloned().unwrap_or(Value::Null);
        let empty = matches!(&value, Value::Null) || value.as_str().is_some_and(str::is_empty);
        repo.set_preference(&id, &name, (!empty).then(|| value.clone()));
        let out = Obj::new()
            .put("id", name.clone())
            .put("value", value)
            .build();
        Ok(respond(StatusCode::OK, &entry(fields(&params, out))))
    })
}

fn membership_json(repo: &Repository, actor: &Actor, person: &str, site_id: &str) -> Option<Value> {
    let site = repo.site(site_id)?;
    let role = site.members.get(person)?;
    Some(json!({
        "id": site.id,
        "guid": site.guid,
        "role": role,
        "site": site_json(site, actor),
    }))
}

/// `GET people/{personId}/sites`: memberships (of sites the caller can see).
pub async fn list_memberships(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
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
        let id = person_id(repo, actor, &id)?;
        let where_ = params.get("where").map(str::to_owned);
        let filter = |key: &str| -> Option<String> {
            let w = where_.as_deref()?;
            let start = w.find(&format!("{key}="))? + key.len() + 1;
            let rest = &w[start..];
            Some(rest.trim_start_matches('\'').split('\'').next()?.to_owned())
        };
        if let Some(w) = &where_
            && !w.contains("visibility=")
            && !w.contains("preset=")
        {
            return Err(ApiError::invalid(format!(
                "An invalid WHERE query was received. {w}"
            )));
        }
        let (visibility, preset) = (filter("visibility"), filter("preset"));
        let mut sites: Vec<_> = repo
            .sites()
            .filter(|site| site.members.contains_key(&id) && repo.site_visible(actor, site))
            .filter(|site| {
                visibility
                    .as_deref()
                    .is_none_or(|v| v == site.visibility.as_str())
            })
            .filter(|site| preset.as_deref().is_none_or(|p| p == site.preset))
            .collect();
        let order = params.list("orderBy");
        let mut key = ("title".to_owned(), true);
        if let Some(first) = order.first() {
            let mut words = first.split_whitespace();
            let field = words.next().unwrap_or_default().to_owned();
            if !["id", "title", "role"].contains(&field.as_str()) {
                return Err(ApiError::invalid(format!("Invalid sort field: {field}")));
            }
            key = (
                field,
                !words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc")),
            );
        }
        sites.sort_by(|a, b| {
            let v = |s: &crate::emulator::repo::Site| match key.0.as_str() {
                "id" => s.id.to_lowercase(),
                "role" => s.members.get(&id).cloned().unwrap_or_default(),
                _ => s.title.to_lowercase(),
            };
            let ord = v(a).cmp(&v(b));
            if key.1 { ord } else { ord.reverse() }
        });
        let all: Vec<Value> = sites
            .iter()
            .filter_map(|site| membership_json(repo, actor, &id, &site.id))
            .map(|v| fields(&params, v))
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET people/{personId}/sites/{siteId}`.
pub async fn get_membership(
    State(s): State<Arc<Shared>>,
    Path((id, site_id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let id = person_id(repo, actor, &id)?;
        let site = repo
            .site(&site_id)
            .ok_or_else(|| ApiError::not_found(&site_id))?;
        if !repo.site_visible(actor, site) {
            return Err(ApiError::not_found(&site_id));
        }
        let v = membership_json(repo, actor, &id, &site_id)
            .ok_or_else(|| ApiError::not_found(&site_id))?;
        Ok(respond(StatusCode::OK, &entry(v)))
    })
}

fn favourite_json(
    repo: &Repository,
    actor: &Actor,
    target: &FavouriteTarget,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<(String, Value)> {
    let view = NodeView::default();
    let (guid, target_json) = match target {
        FavouriteTarget::Site(site) => {
            let site = repo.site(site)?;
            if !repo.site_visible(actor, site) {
                return None;
            }
            (site.guid.clone(), json!({ "site": site_json(site, actor) }))
        }
        FavouriteTarget::File(id) | FavouriteTarget::Folder(id) => {
            let node = repo.readable(actor, id).ok()?;
            let key = if node.is_folder() { "folder" } else { "file" };
            (
                id.clone(),
                json!({ key: node_json(repo, actor, node, &view) }),
            )
        }
    };
    let value = Obj::new()
        .put("targetGuid", guid.clone())
        .put_opt("createdAt", at.map(format_date))
        .put("target", target_json)
        .build();
    Some((guid, value))
}

fn favourites(
    repo: &Repository,
    actor: &Actor,
    user: &str,
) -> Vec<(
    String,
    &'static str,
    Value,
    Option<chrono::DateTime<chrono::Utc>>,
)> {
    let mut out = Vec::new();
    for (site, at) in repo.site_favourites(user) {
        if let Some((guid, v)) = favourite_json(repo, actor, &FavouriteTarget::Site(site), at) {
            out.push((guid, "site", v, at));
        }
    }
    for (id, folder, at) in repo.node_favourites(user) {
        let target = if folder {
            FavouriteTarget::Folder(id)
        } else {
            FavouriteTarget::File(id)
        };
        if let Some((guid, v)) = favourite_json(repo, actor, &target, at) {
            out.push((guid, if folder { "folder" } else { "file" }, v, at));
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.3));
    out
}

/// `GET people/{personId}/favorites` (`where=(EXISTS(target/site))` and friends).
pub async fn list_favourites(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let id = own_or_admin(repo, actor, &id)?;
        let kinds: Vec<&str> = match params.get("where") {
            None => vec!["site", "file", "folder"],
            Some(w) => {
                let kinds: Vec<&str> = ["site", "file", "folder"]
                    .into_iter()
                    .filter(|k| w.contains(&format!("EXISTS(target/{k})")))
                    .collect();
                if kinds.is_empty() {
                    return Err(ApiError::invalid(format!(
                        "An invalid WHERE query was received. {w}"
                    )));
                }
                kinds
            }
        };
        let all: Vec<Value> = favourites(repo, actor, &id)
            .into_iter()
            .filter(|(_, kind, _, _)| kinds.contains(kind))
            .map(|(_, _, v, _)| fields(&params, v))
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET people/{personId}/favorites/{favoriteId}`.
pub async fn get_favourite(
    State(s): State<Arc<Shared>>,
    Path((id, fav)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let id = own_or_admin(repo, actor, &id)?;
        let (_, _, v, _) = favourites(repo, actor, &id)
            .into_iter()
            .find(|(guid, _, _, _)| *guid == fav)
            .ok_or_else(|| ApiError::not_found(&fav))?;
        Ok(respond(StatusCode::OK, &entry(fields(&params, v))))
    })
}

/// `POST people/{personId}/favorites` with `{"target": {"site"|"file"|"folder": {"guid"}}}`.
pub async fn add_favourite(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let id = own_or_admin(repo, actor, &id)?;
        let body: Value = serde_json::from_slice(&body).map_err(|_| {
            ApiError::invalid_argument("Could not read content from HTTP request body")
        })?;
        let target = body
            .get("target")
            .ok_or_else(|| ApiError::invalid("target is missing"))?;
        let guid_of = |kind: &str| {
            target
                .get(kind)
                .and_then(|t| t.get("guid").or_else(|| t.get("id")))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let favourite = if let Some(guid) = guid_of("site") {
            let site = repo
                .sites()
                .find(|s| s.guid == guid || s.id == guid)
                .filter(|s| repo.site_visible(actor, s))
                .map(|s| s.id.clone())
                .ok_or_else(|| ApiError::not_found(&guid))?;
            FavouriteTarget::Site(site)
        } else if let Some(guid) = guid_of("file") {
            if !repo.readable(actor, &guid)?.is_file() {
                return Err(ApiError::invalid(format!("{guid} is not a file")));
            }
            FavouriteTarget::File(guid)
        } else if let Some(guid) = guid_of("folder") {
            if !repo.readable(actor, &guid)?.is_folder() {
                return Err(ApiError::invalid(format!("{guid} is not a folder")));
            }
            FavouriteTarget::Folder(guid)
        } else {
            return Err(ApiError::invalid("target must be a site, file or folder"));
        };
        repo.add_favourite(&id, &favourite, now)?;
        let (_, v) =
            favourite_json(repo, actor, &favourite, Some(now)).ok_or_else(ApiError::internal)?;
        Ok(respond(StatusCode::CREATED, &entry(fields(&params, v))))
    })
}

/// `DELETE people/{personId}/favorites/{favoriteId}`.
pub async fn remove_favourite(
    State(s): State<Arc<Shared>>,
    Path((id, fav)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, _| {
        let id = own_or_admin(repo, actor, &id)?;
        repo.remove_favourite(&id, &fav)?;
        Ok(super::no_content())
    })
}

/// `GET people/{personId}/favorite-sites`.
pub async fn list_favourite_sites(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let id = own_or_admin(repo, actor, &id)?;
        let all: Vec<Value> = repo
            .site_favourites(&id)
            .into_iter()
            .filter_map(|(site, _)| repo.site(&site).filter(|s| repo.site_visible(actor, s)))
            .map(|site| fields(&params, site_json(site, actor)))
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}

/// `GET people/{personId}/activities`: activities of the person's sites, newest first.
pub async fn list_activities(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |repo, actor, _| {
        let paging = params.paging()?;
        let id = own_or_admin(repo, actor, &id)?;
        let who = params.get("who");
        if let Some(w) = who
            && w != "me"
            && w != "others"
        {
            return Err(ApiError::invalid_argument(&format!("who: {w}")));
        }
        let site_filter = params.get("siteId");
        if let Some(site) = site_filter
            && repo.site(site).is_none_or(|s| !repo.site_visible(actor, s))
        {
            return Err(ApiError::not_found(site));
        }
        let member_of: Vec<String> = repo
            .sites()
            .filter(|s| s.members.contains_key(&id))
            .map(|s| s.id.clone())
            .collect();
        let all: Vec<Value> = repo
            .activities()
            .all()
            .iter()
            .rev()
            .filter(|a| member_of.contains(&a.site_id))
            .filter(|a| site_filter.is_none_or(|s| s == a.site_id))
            .filter(|a| match who {
                Some("me") => a.user == id,
                Some("others") => a.user != id,
                _ => true,
            })
            .map(|a| {
                let person = repo.person(&a.user);
                let summary = Obj::new()
                    .put("title", a.name.clone())
                    .put("objectId", a.node_id.clone())
                    .put("parentObjectId", a.parent_id.clone())
                    .put_opt("firstName", person.map(|p| p.first_name.clone()))
                    .put_opt("lastName", person.and_then(|p| p.last_name.clone()))
                    .build();
                fields(
                    &params,
                    json!({
                        "id": a.id,
                        "siteId": a.site_id,
                        "postedAt": format_date(a.posted_at),
                        "feedPersonId": id,
                        "postPersonId": a.user,
                        "activityType": a.activity_type,
                        "activitySummary": summary,
                    }),
                )
            })
            .collect();
        Ok(respond(StatusCode::OK, &paging.list_of(all)))
    })
}
