//! The HTTP surface: one file per resource family, thin handlers over the repository, and the
//! pieces they share (query parameters, authentication, paging).

mod auth;
mod content;
mod discovery;
mod nodes;
mod people;
mod search;
mod sites;
mod trash;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

use super::auth::{Credentials, parse_credentials};
use super::cache::{self, Cacheable};
use super::json::{ApiError, Paging};
use super::repo::{Actor, Repository};
use super::state::Shared;
use super::{faults, recording};

/// Path of the core API.
pub const CORE: &str = "/alfresco/api/-default-/public/alfresco/versions/1";
/// Path of the authentication API.
pub const AUTH: &str = "/alfresco/api/-default-/public/authentication/versions/1";
/// Path of the search API.
pub const SEARCH: &str = "/alfresco/api/-default-/public/search/versions/1";
/// Path of the discovery API.
pub const DISCOVERY: &str = "/alfresco/api/discovery";

/// Query parameters in order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All comma-separated values of a parameter (repeated parameters concatenate).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A boolean parameter the way Java's `Boolean.valueOf` reads it.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v.eq_ignore_ascii_case("true"))
    }

    /// `skipCount` and `maxItems`.
    pub fn paging(&self) -> Result<Paging, ApiError> {
        let number = |name: &str, default: i64| -> Result<i64, ApiError> {
            match self.get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid_argument(&format!("{name}: {v}"))),
            }
        };
        let skip = number("skipCount", 0)?;
        let max = number("maxItems", 100)?;
        if skip < 0 {
            return Err(ApiError::invalid_argument(
                "Negative values not supported for skipCount.",
            ));
        }
        if max < 1 {
            return Err(ApiError::invalid_argument(
                "Only positive values supported for maxItems.",
            ));
        }
        Ok(Paging {
            skip: skip as usize,
            max: max as usize,
        })
    }
}

/// Authenticates a request: Basic with user and password, a ticket, or a bearer token.
pub fn authenticate(
    repo: &mut Repository,
    now: DateTime<Utc>,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Actor, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let user = match parse_credentials(authorization, params.get("alf_ticket")) {
        Some(Credentials::Password { user, password }) => {
            let user = repo
                .check_password(&user, &password)
                .ok_or_else(ApiError::unauthorized)?;
            repo.tickets().touch_user(&user, now);
            user
        }
        Some(Credentials::Ticket(ticket)) => repo
            .tickets()
            .validate(&ticket, now)
            .filter(|u| repo.person(u).is_some_and(|p| p.enabled))
            .ok_or_else(ApiError::unauthorized)?,
        Some(Credentials::Bearer(token)) => repo
            .tickets()
            .validate_bearer(&token)
            .filter(|u| repo.person(u).is_some_and(|p| p.enabled))
            .ok_or_else(ApiError::unauthorized)?,
        None => return Err(ApiError::unauthorized()),
    };
    Ok(repo.actor(&user))
}

impl Shared {
    /// Who a request authenticates as, and the repository's generation at that moment; `None`
    /// when it does not authenticate.
    pub fn identify(&self, headers: &HeaderMap, query: Option<&str>) -> Option<(String, u64)> {
        let params = Params::parse(query);
        let (mut repo, now) = self.current();
        let actor = authenticate(&mut repo, now, headers, &params).ok()?;
        Some((actor.user, self.generation.current()))
    }

    /// Runs an authenticated read-only operation and turns its error into Alfresco's error
    /// response. A successful answer is marked [`Cacheable`]: it may be served again to the
    /// same user for the same request until the repository changes.
    pub fn read(
        &self,
        headers: &HeaderMap,
        params: &Params,
        f: impl FnOnce(&Repository, &Actor, DateTime<Utc>) -> Result<Response, ApiError>,
    ) -> Response {
        let (mut repo, now) = self.current();
        let answer =
            authenticate(&mut repo, now, headers, params).and_then(|actor| f(&repo, &actor, now));
        drop(repo);
        match answer {
            Ok(mut response) => {
                if response.status().is_success() {
                    response.extensions_mut().insert(Cacheable);
                }
                response
            }
            Err(error) => error.into_response(),
        }
    }

    /// Runs an authenticated login or logout operation (tickets only, see
    /// [`Shared::with_tickets`]) and turns its error into Alfresco's error response.
    pub fn call_on_tickets(
        &self,
        headers: &HeaderMap,
        params: &Params,
        f: impl FnOnce(&mut Repository, &Actor, DateTime<Utc>) -> Result<Response, ApiError>,
    ) -> Response {
        self.with_tickets(|repo, now| {
            let actor = authenticate(repo, now, headers, params)?;
            f(repo, &actor, now)
        })
        .unwrap_or_else(IntoResponse::into_response)
    }

    /// Runs an authenticated operation that may change the repository and turns its error
    /// into Alfresco's error response.
    pub fn call(
        &self,
        headers: &HeaderMap,
        params: &Params,
        f: impl FnOnce(&mut Repository, &Actor, DateTime<Utc>) -> Result<Response, ApiError>,
    ) -> Response {
        self.with_repo(|repo, now| {
            let actor = authenticate(repo, now, headers, params)?;
            f(repo, &actor, now)
        })
        .unwrap_or_else(IntoResponse::into_response)
    }
}

/// Resolves `-me-` and checks the person exists.
pub fn person_id(repo: &Repository, actor: &Actor, id: &str) -> Result<String, ApiError> {
    let id = if id == "-me-" {
        actor.user.as_str()
    } else {
        id
    };
    repo.person(id)
        .map(|p| p.id.clone())
        .ok_or_else(|| ApiError::not_found(id))
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn not_found() -> Response {
    ApiError::not_found_msg("Unable to locate resource resource for :").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::unsupported_operation().into_response()
}

/// The whole router.
pub fn router(shared: Arc<Shared>) -> Router {
    let core = Router::new()
        .route("/probes/{probe_id}", get(discovery::probe))
        .route(
            "/nodes/{node_id}",
            get(nodes::get_node)
                .put(nodes::update_node)
                .delete(nodes::delete_node),
        )
        .route(
            "/nodes/{node_id}/children",
            get(nodes::list_children).post(nodes::create_child),
        )
        .route(
            "/nodes/{node_id}/content",
            get(content::download).put(content::replace),
        )
        .route("/nodes/{node_id}/copy", post(nodes::copy))
        .route("/nodes/{node_id}/move", post(nodes::move_node))
        .route(
            "/nodes/{node_id}/targets",
            get(nodes::list_targets).post(nodes::add_target),
        )
        .route(
            "/nodes/{node_id}/targets/{target_id}",
            axum::routing::delete(nodes::remove_target),
        )
        .route("/deleted-nodes", get(trash::list))
        .route(
            "/deleted-nodes/{node_id}",
            get(trash::get).delete(trash::purge),
        )
        .route("/deleted-nodes/{node_id}/restore", post(trash::restore))
        .route("/deleted-nodes/{node_id}/content", get(trash::content))
        .route("/people", get(people::list_people))
        .route("/people/{person_id}", get(people::get_person))
        .route(
            "/people/{person_id}/preferences",
            get(people::list_preferences),
        )
        .route(
            "/people/{person_id}/preferences/{name}",
            get(people::get_preference).put(people::put_preference),
        )
        .route("/people/{person_id}/sites", get(people::list_memberships))
        .route(
            "/people/{person_id}/sites/{site_id}",
            get(people::get_membership),
        )
        .route(
            "/people/{person_id}/favorites",
            get(people::list_favourites).post(people::add_favourite),
        )
        .route(
            "/people/{person_id}/favorites/{favorite_id}",
            get(people::get_favourite).delete(people::remove_favourite),
        )
        .route(
            "/people/{person_id}/favorite-sites",
            get(people::list_favourite_sites),
        )
        .route(
            "/people/{person_id}/activities",
            get(people::list_activities),
        )
        .route("/sites", get(sites::list))
        .route("/sites/{site_id}", get(sites::get))
        .route("/sites/{site_id}/containers", get(sites::containers))
        .route(
            "/sites/{site_id}/containers/{container_id}",
            get(sites::container),
        );
    let auth = Router::new()
        .route("/tickets", post(auth::create_ticket))
        .route(
            "/tickets/{ticket_id}",
            get(auth::validate_ticket).delete(auth::delete_ticket),
        );
    Router::new()
        .nest(CORE, core)
        .nest(AUTH, auth)
        .route(&format!("{SEARCH}/search"), post(search::search))
        .route(DISCOVERY, get(discovery::discovery))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(5 * 1024 * 1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            cache::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            recording::record,
        ))
        .with_state(shared)
}
