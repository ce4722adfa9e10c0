//! Content: download with `Range` and `If-Modified-Since`, and content replacement.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::Params;
use super::nodes::node_entry;
use crate::emulator::json::{ApiError, http_date, parse_http_date};
use crate::emulator::mimetypes;
use crate::emulator::repo::VersionRequest;
use crate::emulator::repo::node::{ContentData, Node};
use crate::emulator::state::Shared;

const CHUNK: u64 = 64 * 1024;

fn body_of(data: ContentData, start: u64, end: u64) -> Body {
    if end - start <= CHUNK {
        return Body::from(data.slice(start, end));
    }
    let stream = futures::stream::unfold(start, move |pos| {
        let data = data.clone();
        async move {
            if pos >= end {
                return None;
            }
            let next = (pos + CHUNK).min(end);
            Some((Ok::<Bytes, Infallible>(data.slice(pos, next)), next))
        }
    });
    Body::from_stream(stream)
}

/// A single `bytes=` range, resolved against the content length.
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    Full,
    Part(u64, u64),
    Unsatisfiable,
}

fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Unsatisfiable;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (false, _) => a.parse::<u64>().ok().map(|start| {
            let end = if b.is_empty() {
                len
            } else {
                b.parse::<u64>().map(|e| e + 1).unwrap_or(len).min(len)
            };
            (start, end)
        }),
        (true, false) => b.parse::<u64>().ok().map(|n| (len.saturating_sub(n), len)),
        (true, true) => None,
    };
    match parsed {
        Some((start, end)) if start < len && start < end => RangeRequest::Part(start, end),
        Some(_) => RangeRequest::Unsatisfiable,
        None => RangeRequest::Full,
    }
}

fn content_response(node: &Node, headers: &HeaderMap, attachment: bool) -> Response {
    let Some(content) = node.content.clone() else {
        return Response::new(Body::empty());
    };
    let len = content.data.len();
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(
        h,
        header::CONTENT_TYPE,
        format!("{};charset={}", content.mimetype, content.encoding),
    );
    set(h, header::ACCEPT_RANGES, "bytes".into());
    set(h, header::LAST_MODIFIED, http_date(node.modified_at));
    set(
        h,
        header::ETAG,
        format!("\"{}\"", node.modified_at.timestamp_millis()),
    );
    set(
        h,
        header::CACHE_CONTROL,
        "must-revalidate, max-age=0".into(),
    );
    if attachment || !mimetypes::inline_allowed(&content.mimetype) {
        let ascii: String = node
            .name
            .chars()
            .map(|c| if c.is_ascii() && c != '"' { c } else { '_' })
            .collect();
        let encoded = utf8_percent_encode(&node.name, NON_ALPHANUMERIC);
        set(
            h,
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        );
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    if let Some(since) = since
        && node.modified_at.timestamp() <= since.timestamp()
    {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    match parse_range(range, len) {
        RangeRequest::Full => {
            set(
                response.headers_mut(),
                header::CONTENT_LENGTH,
                len.to_string(),
            );
            *response.body_mut() = body_of(content.data, 0, len);
        }
        RangeRequest::Part(start, end) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            set(
                response.headers_mut(),
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{len}", end - 1),
            );
            set(
                response.headers_mut(),
                header::CONTENT_LENGTH,
                (end - start).to_string(),
            );
            *response.body_mut() = body_of(content.data, start, end);
        }
        RangeRequest::Unsatisfiable => {
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            set(
                response.headers_mut(),
                header::CONTENT_RANGE,
                format!("bytes */{len}"),
            );
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
    }
    response
}

/// `GET nodes/{nodeId}/content`: posts a download activity for site content.
pub async fn download(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let id = repo.resolve(actor, &id, None)?;
        let node = repo.download(actor, now, &id, true)?;
        Ok(content_response(
            &node,
            &headers,
            params.flag("attachment").unwrap_or(true),
        ))
    })
}

/// Serves the content of a deleted node (no activity).
pub fn deleted_content(
    node: &Node,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Response, ApiError> {
    if !node.is_file() {
        return Err(ApiError::invalid(format!(
            "NodeId of content is expected: {}",
            node.id
        )));
    }
    Ok(content_response(
        node,
        headers,
        params.flag("attachment").unwrap_or(true),
    ))
}

/// `PUT nodes/{nodeId}/content`: new content (a new version when versioned), extraction again.
pub async fn replace(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(q.as_deref());
    s.call(&headers, &params, |repo, actor, now| {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type.to_ascii_lowercase().starts_with("multipart") {
            return Err(ApiError::unsupported_media(format!(
                "Cannot update using {content_type}"
            )));
        }
        let id = repo.resolve(actor, &id, None)?;
        let versioned = repo.live(&id).is_some_and(|n| n.is_versioned());
        let version = match (params.flag("majorVersion"), params.get("comment")) {
            (Some(true), _) => Some(VersionRequest::Major),
            (Some(false), _) => Some(VersionRequest::Minor),
            (None, Some(_)) if !versioned => Some(VersionRequest::Major),
            _ => None,
        };
        let name = params.get("name").map(str::to_owned);
        repo.replace_content(actor, now, &id, ContentData::Bytes(body), name, version)?;
        node_entry(repo, actor, &id, &params, StatusCode::OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), RangeRequest::Part(0, 4));
        assert_eq!(parse_range(Some("bytes=5-"), 10), RangeRequest::Part(5, 10));
        assert_eq!(parse_range(Some("bytes=-3"), 10), RangeRequest::Part(7, 10));
        assert_eq!(
            parse_range(Some("bytes=8-100"), 10),
            RangeRequest::Part(8, 10)
        );
        assert_eq!(
            parse_range(Some("bytes=10-12"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=0-1,4-5"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("items=0-1"), 10), RangeRequest::Full);
    }
}
