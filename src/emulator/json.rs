//! Alfresco's wire conventions: the `entry`/`list` envelopes with `pagination`, the error body,
//! the date format (`2026-11-28T12:57:32.509+0000`), and a JSON object builder that leaves out
//! null and empty values the way Alfresco's serializer does.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

/// The fixed `stackTrace` text of every error body.
pub const STACK_TRACE: &str = "For security reasons the stack trace is no longer displayed, but the property is kept for previous versions";
/// The fixed `descriptionURL` of every error body.
pub const DESCRIPTION_URL: &str = "https://api-explorer.alfresco.com";
/// The challenge sent with every 401.
pub const CHALLENGE: &str = "AlfTicket realm=\"Alfresco -default- tenant\"";

/// Formats an instant the way Alfresco writes dates: milliseconds, UTC, `+0000`.
pub fn format_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Parses a date sent by a client for a `d:datetime` property: ISO 8601 with `Z`, `±hh:mm` or
/// `±hhmm`, with or without fractional seconds, or a plain date; also epoch milliseconds.
pub fn parse_date_input(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    }
    s.parse::<i64>()
        .ok()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

/// Formats an instant as an HTTP date (RFC 1123), for `Last-Modified`.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parses an HTTP date (RFC 1123), for `If-Modified-Since`.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a JSON value counts as empty for Alfresco's serializer (left out of responses).
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Builds a JSON object, leaving out null and empty values.
#[derive(Debug, Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` unless `value` is null or empty.
    pub fn put(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        if !is_empty(&value) {
            self.0.insert(key.to_owned(), value);
        }
        self
    }

    /// Adds `key` when `value` is `Some` and not empty.
    pub fn put_opt<V: Into<Value>>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.put(key, v),
            None => self,
        }
    }

    /// Adds `key` even when `value` is an empty object (Alfresco keeps empty beans).
    pub fn put_always(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    /// The finished object.
    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// `{"entry": value}`.
pub fn entry(value: Value) -> Value {
    json!({ "entry": value })
}

/// A page request: `skipCount` and `maxItems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Items skipped before the page.
    pub skip: usize,
    /// Page size.
    pub max: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Self { skip: 0, max: 100 }
    }
}

impl Paging {
    /// Cuts one page out of `all` and wraps it in a `list` envelope with `totalItems`.
    pub fn list_of(&self, all: Vec<Value>) -> Value {
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(self.skip).take(self.max).collect();
        let has_more = self.skip.saturating_add(page.len()) < total;
        list(page, *self, Some(total), has_more, None)
    }
}

/// A `list` envelope around already paged entries.
pub fn list(
    page: Vec<Value>,
    paging: Paging,
    total: Option<usize>,
    has_more: bool,
    extra: Option<(&str, Value)>,
) -> Value {
    let mut pagination = json!({
        "count": page.len(),
        "hasMoreItems": has_more,
        "skipCount": paging.skip,
        "maxItems": paging.max,
    });
    if let (Some(total), Some(p)) = (total, pagination.as_object_mut()) {
        p.insert("totalItems".into(), json!(total));
    }
    let entries: Vec<Value> = page.into_iter().map(entry).collect();
    let mut list = Map::new();
    list.insert("pagination".into(), pagination);
    list.insert("entries".into(), Value::Array(entries));
    if let Some((key, value)) = extra {
        list.insert(key.into(), value);
    }
    json!({ "list": list })
}

/// An error as the REST framework reports it (`error` body with the status code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {key}: {summary}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `errorKey`: a `framework.exception.*` key, or the literal message of the exception.
    pub key: String,
    /// `briefSummary` without its log-correlation number.
    pub summary: String,
}

impl ApiError {
    fn new(status: StatusCode, key: impl Into<String>, summary: impl Into<String>) -> Self {
        Self {
            status,
            key: key.into(),
            summary: summary.into(),
        }
    }

    /// An exception thrown with a literal message: the message is both key and summary.
    pub fn literal(status: StatusCode, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(status, message.clone(), message)
    }

    /// 404 for an entity id.
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "framework.exception.EntityNotFound",
            format!("The entity with id: {id} was not found"),
        )
    }

    /// 404 with a literal message.
    pub fn not_found_msg(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::NOT_FOUND, message)
    }

    /// 400 with a literal message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::BAD_REQUEST, message)
    }

    /// 400 `framework.exception.InvalidArgument`.
    pub fn invalid_argument(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "framework.exception.InvalidArgument",
            format!("An invalid argument was received {detail}"),
        )
    }

    /// 403 `framework.exception.PermissionDenied`.
    pub fn denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "framework.exception.PermissionDenied",
            "Permission was denied",
        )
    }

    /// 403 with a literal message.
    pub fn denied_msg(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::FORBIDDEN, message)
    }

    /// 409 with a literal message (name clash, existing association).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::CONFLICT, message)
    }

    /// 422 with a literal message (integrity violation).
    pub fn integrity(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 401: authentication failed or missing.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "framework.exception.ApiDefault",
            "Authentication failed for Web Script org/alfresco/api/ResourceWebScript",
        )
    }

    /// 405: the resource does not support the method.
    pub fn unsupported_operation() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "framework.exception.UnsupportedResourceOperation",
            "The operation is unsupported",
        )
    }

    /// 415 with a literal message.
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::literal(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 500 `framework.exception.ApiDefault`.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "framework.exception.ApiDefault",
            "Unknown error calling the Rest API",
        )
    }

    /// The error Alfresco sends for a bare status (used by injected faults).
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::unauthorized(),
            403 => Self::denied(),
            404 => Self::new(status, "framework.exception.NotFound", "was not found"),
            405 => Self::unsupported_operation(),
            409 => Self::new(
                status,
                "framework.exception.ConstraintViolated",
                "A constraint was violated",
            ),
            413 => Self::new(
                status,
                "framework.exception.RequestEntityTooLarge",
                "The file can't be uploaded because it's larger than the maximum upload size",
            ),
            507 => Self::new(
                status,
                "framework.exception.InsufficientStorage",
                "The file upload exceeds the content storage allowance",
            ),
            _ => Self::new(
                status,
                "framework.exception.ApiDefault",
                "Unknown error calling the Rest API",
            ),
        }
    }

    /// The JSON error body.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "errorKey": self.key,
                "statusCode": self.status.as_u16(),
                "briefSummary": format!("{} {}", log_number(), self.summary),
                "stackTrace": STACK_TRACE,
                "descriptionURL": DESCRIPTION_URL,
                "logId": uuid::Uuid::new_v4().to_string(),
            }
        })
    }
}

/// The 8-digit log-correlation number that starts every `briefSummary`.
fn log_number() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 10_000;
    let today = Utc::now();
    format!("{:02}{:02}{n:04}", today.month(), today.day())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, json_body(&self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(CHALLENGE),
            );
        }
        response
    }
}

/// A JSON response body with Alfresco's content type.
pub fn json_body(value: &Value) -> Response {
    let mut response = value.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON response with a status.
pub fn respond(status: StatusCode, value: &Value) -> Response {
    let mut response = json_body(value);
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_use_alfresco_format() {
        let t = Utc.timestamp_millis_opt(1_795_870_652_509).unwrap();
        assert_eq!(format_date(t), "2026-11-28T12:57:32.509+0000");
        assert_eq!(parse_date_input("2026-11-28T12:57:32.509+0000"), Some(t));
        assert_eq!(parse_date_input("2026-11-28T13:57:32.509+01:00"), Some(t));
        assert_eq!(parse_date_input("2026-11-28T12:57:32.509Z"), Some(t));
        assert!(parse_date_input("yesterday").is_none());
        assert_eq!(http_date(t), "Sat, 28 Nov 2026 12:57:32 GMT");
        assert_eq!(
            parse_http_date("Sat, 28 Nov 2026 12:57:32 GMT").map(|d| d.timestamp()),
            Some(t.timestamp())
        );
    }

    #[test]
    fn obj_leaves_out_empty_values() {
        let v = Obj::new()
            .put("a", "")
            .put("b", Value::Null)
            .put("c", json!([]))
            .put("d", false)
            .put("e", 0)
            .put("f", "x")
            .build();
        assert_eq!(v, json!({"d": false, "e": 0, "f": "x"}));
    }

    #[test]
    fn list_envelope_pages() {
        let all: Vec<Value> = (0..5).map(|i| json!({ "id": i })).collect();
        let v = Paging { skip: 1, max: 2 }.list_of(all);
        assert_eq!(
            v["list"]["pagination"],
            json!({"count": 2, "hasMoreItems": true, "skipCount": 1, "maxItems": 2, "totalItems": 5})
        );
        assert_eq!(v["list"]["entries"][0], json!({"entry": {"id": 1}}));
    }

    #[test]
    fn error_body_has_alfresco_shape() {
        let body = ApiError::not_found("abc").body();
        let e = &body["error"];
        assert_eq!(e["statusCode"], 404);
        assert_eq!(e["errorKey"], "framework.exception.EntityNotFound");
        let summary = e["briefSummary"].as_str().unwrap();
        assert!(summary.ends_with(" The entity with id: abc was not found"));
        assert_eq!(summary.split(' ').next().unwrap().len(), 8);
        assert_eq!(e["descriptionURL"], DESCRIPTION_URL);
    }
}
