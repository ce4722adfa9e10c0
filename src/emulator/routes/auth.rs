//! Tickets: create (login), validate and delete (logout) — only `-me-`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Params;
use crate::emulator::auth::{Credentials, parse_credentials};
use crate::emulator::json::{ApiError, entry, respond};
use crate::emulator::state::Shared;

/// `POST tickets`.
pub async fn create_ticket(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return ApiError::invalid_argument("Could not read content from HTTP request body")
                .into_response();
        }
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(user), Some(password)) = (field("userId"), field("password")) else {
        return ApiError::invalid_argument("Invalid username or password").into_response();
    };
    if user.is_empty() || password.is_empty() {
        return ApiError::invalid_argument("Invalid username or password").into_response();
    }
    s.with_tickets(|repo, now| match repo.check_password(&user, &password) {
        Some(canonical) => {
            let ticket = repo.tickets().issue(&canonical, now);
            respond(
                StatusCode::CREATED,
                &entry(json!({ "id": ticket, "userId": canonical })),
            )
        }
        None => ApiError::denied_msg("Login failed").into_response(),
    })
}

fn ticket_of(headers: &HeaderMap, params: &Params) -> Option<String> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match parse_credentials(authorization, params.get("alf_ticket")) {
        Some(Credentials::Ticket(t)) => Some(t),
        _ => None,
    }
}

fn check_me(id: &str) -> Result<(), ApiError> {
    if id == "-me-" {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(
            "Invalid ticket id: only -me- is supported",
        ))
    }
}

/// `GET tickets/-me-`.
pub async fn validate_ticket(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call_on_tickets(&headers, &params, |_, _, _| {
        check_me(&id)?;
        let ticket = ticket_of(&headers, &params)
            .ok_or_else(|| ApiError::invalid_argument("Ticket base authentication required."))?;
        Ok(respond(StatusCode::OK, &entry(json!({ "id": ticket }))))
    })
}

/// `DELETE tickets/-me-`: logs out every session that shares the ticket.
pub async fn delete_ticket(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call_on_tickets(&headers, &params, |repo, _, _| {
        check_me(&id)?;
        let ticket = ticket_of(&headers, &params)
            .ok_or_else(|| ApiError::invalid_argument("Ticket base authentication required."))?;
        repo.tickets().invalidate(&ticket);
        Ok(super::no_content())
    })
}
