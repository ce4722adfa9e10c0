//! The shared HTTP side: one connection pool for all users, timeouts, retries, metrics, logs.
//!
//! [`AlfrescoClient`] is cheap to clone and is shared by every IMAP session. It sends one
//! [`Call`] with whatever credential header the caller gives it: user-bound calls go through a
//! [`RepoSession`](super::RepoSession), which adds the credential and its renewal.
//!
//! Retries: only idempotent calls (GET) are retried, after a connection error or a 502, 503
//! or 504, at most [`RestOptions::retries`] times with doubling, capped, jittered delays.
//! Each call is logged at debug level with its route template, status and duration — never
//! the URL (query values hold names) and never a header.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RANGE};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::content::Upload;
use super::error::{ErrorResponse, RestError};
use super::metrics::{InFlight, RestMetrics, StatusClass};
use super::options::RestOptions;
use super::route::{Api, Endpoint, Query, Route};

/// The largest JSON body the client reads (a page of 1000 nodes with properties is a few MB).
const MAX_JSON_BODY: usize = 64 * 1024 * 1024;
/// The largest error body the client reads.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The client for one repository, shared by all users.
#[derive(Clone, Debug)]
pub struct AlfrescoClient {
    inner: Arc<ClientInner>,
}

#[derive(Debug)]
struct ClientInner {
    http: reqwest::Client,
    options: RestOptions,
    metrics: RestMetrics,
}

impl AlfrescoClient {
    /// Sets up the connection pool. Installs `ring` as the process's TLS crypto provider if
    /// none is installed yet.
    pub fn new(options: RestOptions) -> Result<Self, RestError> {
        // Fails only when a provider is installed already, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let scheme = options.base_url.scheme();
        if (scheme != "http" && scheme != "https") || options.base_url.cannot_be_a_base() {
            return Err(RestError::Setup(format!(
                "the repository URL must be http or https, not {scheme:?}"
            )));
        }
        // The tenant is a path segment like any id: check it the same way once.
        Route::new(Api::Core, "/{tenant}", &[&options.tenant])
            .url(&options.base_url, "-default-", &Query::new())
            .map_err(|_| RestError::Setup(format!("invalid tenant {:?}", options.tenant)))?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .pool_max_idle_per_host(options.max_idle_per_host)
            .pool_idle_timeout(options.pool_idle_timeout)
            .user_agent(options.user_agent.clone())
            // A redirect would be followed without our checks: treat it as an answer.
            .redirect(reqwest::redirect::Policy::none())
            // The repository is reached directly, never through an environment proxy.
            .no_proxy()
            // Retries are ours alone (idempotent calls only).
            .retry(reqwest::retry::never())
            .tcp_nodelay(true);
        for pem in &options.extra_root_certificates_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| RestError::Setup(format!("CA certificate: {e}")))?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| RestError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            inner: Arc::new(ClientInner {
                http,
                options,
                metrics: RestMetrics::default(),
            }),
        })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &RestOptions {
        &self.inner.options
    }

    /// The call counters.
    pub fn metrics(&self) -> &RestMetrics {
        &self.inner.metrics
    }

    /// Sends `call` (retrying it when it is idempotent) and returns the response, whatever its
    /// status. `auth` is the `Authorization` header, if any.
    pub(crate) async fn send(
        &self,
        call: &Call,
        auth: Option<&HeaderValue>,
    ) -> Result<Sent, RestError> {
        let options = &self.inner.options;
        let endpoint = call.endpoint();
        let url = call
            .route
            .url(&options.base_url, &options.tenant, &call.query)?;
        let budget = if call.transfer {
            options.transfer_timeout
        } else {
            options.request_timeout
        };
        let mut attempt = 0u32;
        loop {
            let request = self.build(call, &url, auth).await?;
            let in_flight = self.inner.metrics.start();
            let started = Instant::now();
            let deadline = started + budget;
            let outcome = tokio::time::timeout_at(deadline, self.inner.http.execute(request)).await;
            let elapsed = started.elapsed();
            let error = match outcome {
                Ok(Ok(response)) => {
                    let status = response.status().as_u16();
                    self.inner
                        .metrics
                        .record(endpoint, StatusClass::of(status), elapsed);
                    tracing::debug!(
                        method = endpoint.method,
                        route = endpoint.route,
                        status,
                        elapsed_ms = elapsed.as_millis() as u64,
                        attempt,
                        "repository call"
                    );
                    if call.retry && attempt < options.retries && matches!(status, 502..=504) {
                        drop(response);
                        self.pause(attempt).await;
                        attempt += 1;
                        continue;
                    }
                    return Ok(Sent {
                        response,
                        deadline,
                        endpoint,
                        in_flight,
                    });
                }
                Ok(Err(error)) => transport_error(endpoint, error),
                Err(_) => RestError::Timeout { endpoint },
            };
            self.inner
                .metrics
                .record(endpoint, StatusClass::Failed, elapsed);
            tracing::debug!(
                method = endpoint.method,
                route = endpoint.route,
                elapsed_ms = elapsed.as_millis() as u64,
                attempt,
                error = %error,
                "repository call failed"
            );
            let retryable = matches!(
                error,
                RestError::Connect { .. } | RestError::Transport { .. }
            );
            if call.retry && retryable && attempt < options.retries {
                self.pause(attempt).await;
                attempt += 1;
                continue;
            }
            return Err(error);
        }
    }

    async fn build(
        &self,
        call: &Call,
        url: &url::Url,
        auth: Option<&HeaderValue>,
    ) -> Result<reqwest::Request, RestError> {
        let accept = if call.raw_response {
            HeaderValue::from_static("*/*")
        } else {
            HeaderValue::from_static("application/json")
        };
        let mut builder = self
            .inner
            .http
            .request(call.method.as_reqwest(), url.clone())
            .header(ACCEPT, accept);
        if let Some(auth) = auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if let Some(range) = &call.range {
            builder = builder.header(RANGE, range.clone());
        }
        builder = match &call.body {
            CallBody::Empty => builder,
            CallBody::Json(bytes) => builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(bytes.clone()),
            CallBody::Upload(upload) => builder.multipart(upload.form().await?),
        };
        builder
            .build()
            .map_err(|e| RestError::invalid(e.without_url().to_string()))
    }

    async fn pause(&self, attempt: u32) {
        let delay = self.inner.options.retry_delay(attempt);
        let jitter: f64 = rand::random_range(0.5..=1.0);
        tokio::time::sleep(delay.mul_f64(jitter)).await;
    }
}

/// Maps a reqwest error to ours, without the URL.
pub(crate) fn transport_error(endpoint: Endpoint, error: reqwest::Error) -> RestError {
    // A connect timeout is reported as both: either way the connection was never made.
    let connect = error.is_connect();
    let reason = error_chain(&error.without_url());
    if connect {
        RestError::Connect { endpoint, reason }
    } else {
        RestError::Transport { endpoint, reason }
    }
}

/// The error and its causes, `: `-separated.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// What a call sends as its body.
#[derive(Debug)]
pub(crate) enum CallBody {
    Empty,
    Json(Bytes),
    /// Rebuilt for each attempt, so a renewed ticket can resend it.
    Upload(Box<Upload>),
}

/// One repository call, described before it is sent (and possibly sent again).
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) route: Route,
    pub(crate) query: Query,
    pub(crate) body: CallBody,
    pub(crate) range: Option<HeaderValue>,
    /// Idempotent: retried after connection errors and 502/503/504.
    pub(crate) retry: bool,
    /// Bounded by the transfer timeout instead of the request timeout.
    pub(crate) transfer: bool,
    /// The answer is content, not JSON.
    pub(crate) raw_response: bool,
}

impl Call {
    fn new(method: Method, api: Api, template: &'static str, params: &[&str]) -> Self {
        Self {
            method,
            route: Route::new(api, template, params),
            query: Query::new(),
            body: CallBody::Empty,
            range: None,
            retry: method == Method::Get,
            transfer: false,
            raw_response: false,
        }
    }

    /// A GET (idempotent, retried).
    pub(crate) fn get(api: Api, template: &'static str, params: &[&str]) -> Self {
        Self::new(Method::Get, api, template, params)
    }

    /// A POST (never retried).
    pub(crate) fn post(api: Api, template: &'static str, params: &[&str]) -> Self {
        Self::new(Method::Post, api, template, params)
    }

    /// A PUT (never retried).
    pub(crate) fn put(api: Api, template: &'static str, params: &[&str]) -> Self {
        Self::new(Method::Put, api, template, params)
    }

    /// A DELETE (never retried).
    pub(crate) fn delete(api: Api, template: &'static str, params: &[&str]) -> Self {
        Self::new(Method::Delete, api, template, params)
    }

    /// Sets the query.
    pub(crate) fn with_query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    /// Sets a JSON body.
    pub(crate) fn with_json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, RestError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| RestError::invalid(format!("request body: {e}")))?;
        self.body = CallBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// Turns retries off (for calls whose answer must reflect this very moment).
    pub(crate) fn without_retry(mut self) -> Self {
        self.retry = false;
        self
    }

    /// The label for metrics, logs and errors.
    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint {
            method: self.method.as_str(),
            route: self.route.template(),
        }
    }
}

/// A response whose headers have arrived; the body is still to be read.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    pub(crate) deadline: Instant,
    pub(crate) endpoint: Endpoint,
    /// Counts the call as under way until the body is read or dropped.
    pub(crate) in_flight: InFlight,
}

impl Sent {
    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// Reads the whole body, up to `limit` bytes, before the call's deadline.
    async fn body(mut self, limit: usize) -> Result<Bytes, RestError> {
        let endpoint = self.endpoint;
        let mut body = BytesMut::new();
        loop {
            let chunk = tokio::time::timeout_at(self.deadline, self.response.chunk())
                .await
                .map_err(|_| RestError::Timeout { endpoint })?
                .map_err(|e| transport_error(endpoint, e))?;
            let Some(chunk) = chunk else {
                return Ok(body.freeze());
            };
            if body.len() + chunk.len() > limit {
                return Err(RestError::InvalidResponse {
                    endpoint,
                    reason: format!("body larger than {limit} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// Reads the body as JSON of type `T`.
    pub(crate) async fn json<T: DeserializeOwned>(self) -> Result<T, RestError> {
        let endpoint = self.endpoint;
        let body = self.body(MAX_JSON_BODY).await?;
        serde_json::from_slice(&body).map_err(|e| RestError::InvalidResponse {
            endpoint,
            reason: format!("unexpected JSON: {e}"),
        })
    }

    /// Drains the body (so the connection can be reused).
    pub(crate) async fn discard(self) -> Result<(), RestError> {
        self.body(MAX_JSON_BODY).await.map(drop)
    }

    /// Reads what is needed to report an error status: the status and the start of the body.
    pub(crate) async fn into_error_body(self) -> ErrorBody {
        let endpoint = self.endpoint;
        let status = self.status();
        let body = self.body(MAX_ERROR_BODY).await.unwrap_or_default();
        ErrorBody {
            endpoint,
            status,
            body,
        }
    }

    /// Turns an error status into a [`RestError`] (for calls made without a credential).
    pub(crate) async fn into_error(self) -> RestError {
        self.into_error_body().await.into_error(None)
    }
}

/// An error status with the start of its body.
#[derive(Debug)]
pub(crate) struct ErrorBody {
    pub(crate) endpoint: Endpoint,
    pub(crate) status: u16,
    body: Bytes,
}

impl ErrorBody {
    /// Parses Alfresco's error envelope; `secret` is scrubbed from any text that echoes it.
    pub(crate) fn into_error(self, secret: Option<&str>) -> RestError {
        RestError::Status {
            endpoint: self.endpoint,
            response: ErrorResponse::parse(self.status, &self.body, secret),
        }
    }
}
