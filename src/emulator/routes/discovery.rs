//! Discovery (repository information) and the unauthenticated probes.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Params;
use crate::emulator::ids::stable_uuid;
use crate::emulator::json::{ApiError, entry, respond};
use crate::emulator::state::Shared;

/// `GET probes/{probeId}` (`-ready-`, `-live-`).
pub async fn probe(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let probes = s.probes();
    let (up, name) = match id.as_str() {
        "-ready-" => (probes.ready, "readyProbe"),
        "-live-" => (probes.live, "liveProbe"),
        other => return ApiError::not_found(other).into_response(),
    };
    if up {
        respond(
            StatusCode::OK,
            &entry(json!({ "message": format!("{name}: Success - Tested") })),
        )
    } else {
        ApiError::for_status(StatusCode::SERVICE_UNAVAILABLE).into_response()
    }
}

/// `GET /alfresco/api/discovery`.
pub async fn discovery(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.read(&headers, &params, |_, _, _| {
        Ok(respond(
            StatusCode::OK,
            &entry(json!({
                "repository": {
                    "id": stable_uuid("repository"),
                    "edition": "Community",
                    "version": {
                        "major": "26",
                        "minor": "3",
                        "patch": "0",
                        "hotfix": "0",
                        "schema": 19200,
                        "label": "emulator",
                        "display": "26.3.0 (emulator) schema 19200",
                    },
                    "status": {
                        "isReadOnly": false,
                        "isAuditEnabled": true,
                        "isQuickShareEnabled": true,
                        "isThumbnailGenerationEnabled": false,
                        "isDirectAccessUrlEnabled": false,
                    },
                }
            })),
        ))
    })
}
