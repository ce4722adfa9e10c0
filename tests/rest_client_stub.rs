//! A scripted HTTP stub of the Alfresco REST API on 127.0.0.1:0 for the REST client tests.
//!
//! It records every request exactly as it arrived (method, raw path, raw query, headers,
//! body) and answers from a script. Included by `rest_client.rs` and `rest_client_logs.rs`
//! with `#[path]`; compiled on its own it holds no tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alfresco_imap::alfresco::{AlfrescoClient, RestOptions};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, State};
use axum::http::{Extensions, HeaderMap, Request, Response, StatusCode};
use bytes::Bytes;
use serde_json::Value;

/// The core API base path.
pub const CORE: &str = "/alfresco/api/-default-/public/alfresco/versions/1";
/// The authentication API base path.
pub const AUTH: &str = "/alfresco/api/-default-/public/authentication/versions/1";
/// The search API base path.
pub const SEARCH: &str = "/alfresco/api/-default-/public/search/versions/1";

/// One request as the stub received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The raw (still percent-encoded) path.
    pub path: String,
    /// The raw query string.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Kept so the body-limit setting of the stub applies when the body is parsed again.
    extensions: Extensions,
}

impl Recorded {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// `METHOD path?query`, for compact assertions.
    pub fn line(&self) -> String {
        match &self.query {
            Some(query) => format!("{} {}?{}", self.method, self.path, query),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// The multipart fields in order: (name, file name, content type, data).
    pub async fn multipart(&self) -> Vec<Field> {
        let mut builder = Request::builder().method("POST").uri("/");
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if let Some(extensions) = builder.extensions_mut() {
            *extensions = self.extensions.clone();
        }
        let request = builder.body(Body::from(self.body.clone())).unwrap();
        let mut multipart = Multipart::from_request(request, &()).await.unwrap();
        let mut fields = Vec::new();
        while let Some(field) = multipart.next_field().await.unwrap() {
            fields.push(Field {
                name: field.name().unwrap_or_default().to_string(),
                file_name: field.file_name().map(str::to_string),
                content_type: field.content_type().map(str::to_string),
                data: field.bytes().await.unwrap(),
            });
        }
        fields
    }
}

/// One multipart field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Bytes,
}

impl Field {
    /// (name, value as text) of a plain field.
    pub fn text(&self) -> (&str, &str) {
        (&self.name, std::str::from_utf8(&self.data).unwrap())
    }
}

/// How the stub answers one request.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: ReplyBody,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    Bytes(Bytes),
    /// Never answers.
    Hang,
    /// Sends these bytes, then stalls forever.
    Stall(Bytes),
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=UTF-8".into(),
            )],
            body: ReplyBody::Bytes(Bytes::from(body.to_string())),
        }
    }

    /// A JSON answer from literal text (to control the exact bytes).
    pub fn json_text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=UTF-8".into(),
            )],
            body: ReplyBody::Bytes(Bytes::from(body.to_string())),
        }
    }

    /// `{"entry": …}` with 200.
    pub fn entry(entry: Value) -> Self {
        Self::json(200, serde_json::json!({ "entry": entry }))
    }

    /// Alfresco's error envelope.
    pub fn error(status: u16, key: &str, summary: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"error": {
                "errorKey": key,
                "statusCode": status,
                "briefSummary": summary,
                "stackTrace": "For security reasons the stack trace is no longer displayed, but the property is kept for previous versions",
                "descriptionURL": "https://api-explorer.alfresco.com",
                "logId": "4f1c0a7e-0000-4000-8000-000000000001"
            }}),
        )
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Bytes(Bytes::new()),
        }
    }

    /// Raw bytes.
    pub fn bytes(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Bytes(body.into()),
        }
    }

    /// Never answers.
    pub fn hang() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Hang,
        }
    }

    /// Sends the headers and `first`, then stalls.
    pub fn stall_after(first: impl Into<Bytes>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Stall(first.into()),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
struct Shared {
    recorded: Arc<Mutex<Vec<Recorded>>>,
    handler: Arc<Handler>,
}

/// A running stub.
pub struct Stub {
    pub port: u16,
    recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl Stub {
    /// Starts a stub that answers with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Stub {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            recorded: recorded.clone(),
            handler: Arc::new(handler),
        };
        let app = axum::Router::new()
            .fallback(serve)
            .layer(DefaultBodyLimit::disable())
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Stub { port, recorded }
    }

    /// Starts a stub that answers with `replies` in order (500 once they run out).
    pub async fn replies(replies: Vec<Reply>) -> Stub {
        let queue = Mutex::new(VecDeque::from(replies));
        Self::start(move |_| {
            queue
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Reply::error(500, "stub", "no reply scripted"))
        })
        .await
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }

    /// `METHOD path?query` of everything received so far.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::line).collect()
    }

    /// Options pointing at the stub, with millisecond timings.
    pub fn options(&self) -> RestOptions {
        test_options(self.port)
    }

    /// A client with [`Stub::options`].
    pub fn client(&self) -> AlfrescoClient {
        AlfrescoClient::new(self.options()).unwrap()
    }
}

/// Options for `http://127.0.0.1:{port}/alfresco` with millisecond timings.
pub fn test_options(port: u16) -> RestOptions {
    let url = url::Url::parse(&format!("http://127.0.0.1:{port}/alfresco")).unwrap();
    let mut options = RestOptions::new(url);
    options.connect_timeout = Duration::from_millis(500);
    options.request_timeout = Duration::from_millis(2000);
    options.transfer_timeout = Duration::from_millis(2000);
    options.retries = 2;
    options.retry_initial_delay = Duration::from_millis(1);
    options.retry_max_delay = Duration::from_millis(2);
    options
}

async fn serve(State(shared): State<Shared>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        extensions: parts.extensions,
    };
    shared.recorded.lock().unwrap().push(recorded.clone());
    let reply = (shared.handler)(&recorded);
    let body = match reply.body {
        ReplyBody::Bytes(bytes) => Body::from(bytes),
        ReplyBody::Hang => futures::future::pending().await,
        ReplyBody::Stall(first) => {
            let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(first) })
                .chain(futures::stream::pending());
            Body::from_stream(stream)
        }
    };
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(body).unwrap()
}

use futures::StreamExt as _;
