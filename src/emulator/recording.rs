//! Request recording for contract tests: every exchange's method, path, query, headers (without
//! credentials), JSON body or form field names, and the response's status, headers and JSON body.

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::state::Shared;

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// URL path (percent-decoded).
    pub path: String,
    /// Query parameters in order (decoded).
    pub query: Vec<(String, String)>,
    /// Headers except `Authorization` and `Cookie`.
    pub headers: Vec<(String, String)>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The body when it is JSON.
    pub body: Option<Value>,
    /// Field names of a `multipart/form-data` body, in order.
    pub form_fields: Vec<String>,
}

/// A recorded response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The body when it is JSON.
    pub body: Option<Value>,
    /// Whether the body was empty (known only for JSON and empty bodies).
    pub empty_body: bool,
}

/// One request and its response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// The request.
    pub request: RecordedRequest,
    /// The response.
    pub response: RecordedResponse,
}

/// The list of recorded exchanges.
#[derive(Debug, Default)]
pub struct Recorder {
    exchanges: Mutex<Vec<Exchange>>,
}

impl Recorder {
    fn push(&self, exchange: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(exchange);
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Removes and returns everything recorded so far.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn header_list(headers: &axum::http::HeaderMap, skip_credentials: bool) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !skip_credentials || (*name != header::AUTHORIZATION && *name != header::COOKIE)
        })
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"))
}

/// The `name` of every part of a multipart body.
pub fn multipart_field_names(content_type: &str, body: &[u8]) -> Vec<String> {
    let Some(boundary) = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return Vec::new();
    };
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    text.split(delimiter.as_str())
        .filter_map(|part| {
            let headers = part.split("\r\n\r\n").next()?;
            headers.lines().find_map(|line| {
                let lower = line.to_ascii_lowercase();
                if !lower.starts_with("content-disposition:") {
                    return None;
                }
                let start = lower
                    .find("name=\"")
                    .filter(|i| !lower[..*i].ends_with("file"))?
                    + 6;
                let end = line[start..].find('"')? + start;
                Some(line[start..end].to_owned())
            })
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Middleware that records the exchange when recording is on.
pub async fn record(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(recorder) = shared.recorder.as_ref() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let request = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: decode(parts.uri.path()),
        query,
        headers: header_list(&parts.headers, true),
        content_type: content_type.clone(),
        body: if is_json(content_type.as_deref()) {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        },
        form_fields: match content_type.as_deref() {
            Some(ct) if ct.to_ascii_lowercase().starts_with("multipart/") => {
                multipart_field_names(ct, &bytes)
            }
            _ => Vec::new(),
        },
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json = is_json(content_type.as_deref());
    let no_length_body = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0");
    let (body, recorded_body, empty_body) = if json || content_type.is_none() {
        let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let value = if json {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        };
        let empty = bytes.is_empty();
        (Body::from(bytes), value, empty)
    } else {
        (body, None, no_length_body)
    };
    recorder.push(Exchange {
        request,
        response: RecordedResponse {
            status: parts.status.as_u16(),
            headers: header_list(&parts.headers, false),
            content_type,
            body: recorded_body,
            empty_body,
        },
    });
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multipart_field_names() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"filedata\"; filename=\"a.eml\"\r\nContent-Type: message/rfc822\r\n\r\nname=\"x\"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"imap:flagSeen\"\r\n\r\ntrue\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_field_names("multipart/form-data; boundary=XyZ", body),
            vec!["filedata".to_owned(), "imap:flagSeen".to_owned()]
        );
    }
}
