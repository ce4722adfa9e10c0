//! Injected faults for tests: answer a matching request with an error status (before or after
//! the repository handled it, so a test can simulate a lost response to a committed change) or
//! delay it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::json::ApiError;
use super::state::Shared;

/// When an injected status replaces the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTiming {
    /// The request never reaches the repository.
    BeforeHandling,
    /// The repository performs the request, then the answer is replaced (a lost response).
    AfterHandling,
}

/// A fault rule.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Method to match (any when `None`).
    pub method: Option<String>,
    /// Substring the URL path must contain.
    pub path_contains: String,
    /// Status to answer with (`None`: only delay).
    pub status: Option<u16>,
    /// When the status replaces the answer.
    pub timing: FaultTiming,
    /// Delay before answering.
    pub delay: Duration,
    /// How many requests it applies to (`None`: all).
    pub times: Option<u32>,
}

impl Fault {
    /// Answers requests whose path contains `path_contains` with `status`, without handling them.
    pub fn status(method: Option<&str>, path_contains: &str, status: u16) -> Self {
        Self {
            method: method.map(str::to_owned),
            path_contains: path_contains.to_owned(),
            status: Some(status),
            timing: FaultTiming::BeforeHandling,
            delay: Duration::ZERO,
            times: None,
        }
    }

    /// Delays matching requests.
    pub fn delay(method: Option<&str>, path_contains: &str, delay: Duration) -> Self {
        Self {
            status: None,
            delay,
            ..Self::status(method, path_contains, 0)
        }
    }

    /// Lets the repository perform the request before the status replaces the answer (and
    /// before the delay, so a client that times out leaves a committed change behind).
    pub fn after_handling(mut self) -> Self {
        self.timing = FaultTiming::AfterHandling;
        self
    }

    /// Applies to the next `n` matching requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(&self.path_contains)
    }
}

/// Identifies an installed fault.
pub type FaultId = u64;

/// The installed faults.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<(FaultId, Fault)>>,
    next: AtomicU64,
}

impl Faults {
    /// Installs a fault.
    pub fn add(&self, fault: Fault) -> FaultId {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, fault));
        id
    }

    /// Removes a fault.
    pub fn remove(&self, id: FaultId) {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(i, _)| *i != id);
    }

    /// Removes all faults.
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn take_match(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let pos = rules.iter().position(|(_, f)| f.matches(method, path))?;
        let fault = rules[pos].1.clone();
        if let Some(n) = rules[pos].1.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                rules.remove(pos);
            }
        }
        Some(fault)
    }
}

fn fault_response(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::for_status(status).into_response()
}

/// Middleware applying the installed faults.
pub async fn inject(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(fault) = shared
        .faults
        .take_match(req.method().as_str(), req.uri().path())
    else {
        return next.run(req).await;
    };
    if fault.timing == FaultTiming::AfterHandling {
        // The repository commits first; the answer is late (a client may time out) or lost.
        let response = next.run(req).await;
        if !fault.delay.is_zero() {
            tokio::time::sleep(fault.delay).await;
        }
        return match fault.status {
            Some(status) => fault_response(status),
            None => response,
        };
    }
    match fault.status {
        Some(status) => {
            if !fault.delay.is_zero() {
                tokio::time::sleep(fault.delay).await;
            }
            fault_response(status)
        }
        None => {
            // A slow repository: the request arrives late and is still performed when the
            // client has stopped waiting (a servlet container does not stop a request whose
            // client went away), so it runs apart from the connection that carried it.
            let delay = fault.delay;
            let handled = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                next.run(req).await
            });
            handled
                .await
                .unwrap_or_else(|_| fault_response(StatusCode::INTERNAL_SERVER_ERROR.as_u16()))
        }
    }
}
