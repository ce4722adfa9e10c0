//! Content: streamed download (with byte ranges) and multipart upload of new files.
//!
//! Downloads are streams: a large document is never held in memory. Uploads stream from a
//! file, so a large APPEND spooled to disk is not loaded either.
//!
//! There is deliberately no call for `PUT nodes/{id}/content`: replacing content creates a
//! new version and runs metadata extraction again, and IMAP messages never change — a changed
//! message is a new node.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderValue};
use reqwest::multipart::{Form, Part};

use super::client::{Call, CallBody, transport_error};
use super::error::RestError;
use super::model::Node;
use super::params::{Include, add_include};
use super::route::{Api, Query, check_qname};
use super::session::{RepoSession, is_success};

/// A byte range to download: `bytes=start-end` (both inclusive) or `bytes=start-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte.
    pub start: u64,
    /// The last byte (inclusive), or `None` for "to the end".
    pub end: Option<u64>,
}

impl ByteRange {
    fn header(&self) -> Result<HeaderValue, RestError> {
        let text = match self.end {
            Some(end) if end < self.start => {
                return Err(RestError::invalid(format!(
                    "byte range {}-{end} ends before it starts",
                    self.start
                )));
            }
            Some(end) => format!("bytes={}-{end}", self.start),
            None => format!("bytes={}-", self.start),
        };
        HeaderValue::from_str(&text).map_err(|_| RestError::invalid("byte range"))
    }
}

/// A `Content-Range: bytes start-end/total` answer header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// The first byte sent.
    pub start: u64,
    /// The last byte sent (inclusive).
    pub end: u64,
    /// The full content's size, when known.
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes 0-99/1234` (or `bytes 0-99/*`).
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix("bytes ")?;
        let (range, total) = rest.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let start: u64 = start.trim().parse().ok()?;
        let end: u64 = end.trim().parse().ok()?;
        let total = match total.trim() {
            "*" => None,
            total => Some(total.parse().ok()?),
        };
        let consistent = start <= end && total.is_none_or(|total| end < total);
        consistent.then_some(Self { start, end, total })
    }
}

/// The body of a download, chunk by chunk.
pub type ContentStream = Pin<Box<dyn Stream<Item = Result<Bytes, RestError>> + Send>>;

/// An open download: status and lengths are known, the bytes are still to be read.
pub struct Download {
    /// 200 (whole content) or 206 (the requested range). A repository may ignore the range
    /// and answer 200 with everything: check [`Download::range`].
    pub status: u16,
    /// The bytes this response carries (`Content-Length`), when given.
    pub length: Option<u64>,
    /// The full content's size: the `Content-Range` total for 206, `Content-Length` for 200.
    pub total_length: Option<u64>,
    /// The range sent, for 206.
    pub range: Option<ContentRange>,
    /// `Content-Type`, the stored mimetype.
    pub mime_type: Option<String>,
    /// The bytes. Each chunk must arrive within the request timeout.
    pub stream: ContentStream,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("length", &self.length)
            .field("total_length", &self.total_length)
            .field("range", &self.range)
            .field("mime_type", &self.mime_type)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Reads the whole stream into memory (for small contents and tests).
    pub async fn bytes(mut self) -> Result<Vec<u8>, RestError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.stream.next().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all)
    }
}

/// Where the bytes of an upload come from.
#[derive(Debug, Clone)]
pub enum UploadContent {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A file, streamed (opened again if the upload has to be resent after a ticket renewal;
    /// it must not change meanwhile).
    File(PathBuf),
    /// Bytes made by a source, streamed (made again if the upload has to be resent).
    Source(Arc<dyn UploadSource>),
}

impl PartialEq for UploadContent {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Bytes(a), Self::Bytes(b)) => a == b,
            (Self::File(a), Self::File(b)) => a == b,
            (Self::Source(a), Self::Source(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// How much of a file is read at a time for an upload: each read is a trip to the blocking
/// pool, so pieces much larger than the default 4 KiB keep a large upload fast.
const UPLOAD_PIECE: usize = 256 * 1024;

/// A stream of upload bytes.
pub type UploadStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Makes the bytes of an upload, once for each attempt: an upload is resent from its source
/// (never from a copy in memory) after a ticket renewal or a lost answer.
pub trait UploadSource: Send + Sync + fmt::Debug {
    /// How many bytes every stream it opens yields.
    fn length(&self) -> u64;
    /// Opens a new stream of the bytes.
    fn open(&self) -> futures::future::BoxFuture<'static, std::io::Result<UploadStream>>;
}

/// A new file to upload (`POST nodes/{id}/children`, multipart/form-data).
///
/// Every option travels as a form field, because that is the only place the repository
/// reads them from in a multipart upload: `name`, `nodeType`, `autoRename`,
/// `versioningEnabled` (always sent; `false` by default, so no version history and no
/// metadata extraction), `aspectNames` (comma-separated), `relativePath`, and one field per
/// property value (`imap:messageSubject`, repeated for multi-valued properties).
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The node name; the repository guesses the mimetype from its extension (`.eml` gives
    /// `message/rfc822`).
    pub name: String,
    /// `cm:content` or a subtype.
    pub node_type: String,
    /// The bytes.
    pub content: UploadContent,
    /// The `Content-Type` of the file part (the repository ignores it).
    pub mime_type: String,
    /// On a name clash, let the repository pick `name-1.ext` instead of answering 409.
    pub auto_rename: bool,
    /// Keep a version history (and run metadata extraction).
    pub versioning_enabled: bool,
    /// Aspects to add.
    pub aspect_names: Vec<String>,
    /// Property values as text, `prefix:name` → value; repeat a name for multiple values.
    pub properties: Vec<(String, String)>,
    /// Folders to create between the parent and the file.
    pub relative_path: Option<String>,
    /// Extra information in the answer (a query parameter).
    pub include: Vec<Include>,
}

impl Upload {
    /// An unversioned `cm:content` upload with no aspects or properties.
    pub fn new(name: impl Into<String>, content: UploadContent) -> Self {
        Self {
            name: name.into(),
            node_type: "cm:content".to_string(),
            content,
            mime_type: "application/octet-stream".to_string(),
            auto_rename: false,
            versioning_enabled: false,
            aspect_names: Vec::new(),
            properties: Vec::new(),
            relative_path: None,
            include: Vec::new(),
        }
    }

    /// Adds one property value.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((name.into(), value.into()));
        self
    }

    /// Checks everything that goes into field names and lists.
    fn check(&self) -> Result<(), RestError> {
        if self.name.is_empty() {
            return Err(RestError::invalid("an upload needs a name"));
        }
        check_qname("node type", &self.node_type)?;
        for aspect in &self.aspect_names {
            check_qname("aspect", aspect)?;
        }
        for (name, _) in &self.properties {
            check_qname("property", name)?;
        }
        Ok(())
    }

    /// Builds the form (again for each attempt).
    pub(crate) async fn form(&self) -> Result<Form, RestError> {
        let mut form = Form::new()
            .text("name", self.name.clone())
            .text("nodeType", self.node_type.clone())
            .text("autoRename", self.auto_rename.to_string())
            .text("versioningEnabled", self.versioning_enabled.to_string());
        if !self.aspect_names.is_empty() {
            form = form.text("aspectNames", self.aspect_names.join(","));
        }
        if let Some(path) = &self.relative_path {
            form = form.text("relativePath", path.clone());
        }
        for (name, value) in &self.properties {
            form = form.text(name.clone(), value.clone());
        }
        let part = match &self.content {
            UploadContent::Bytes(bytes) => {
                Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
            }
            UploadContent::File(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(RestError::Upload)?;
                let length = file.metadata().await.map_err(RestError::Upload)?.len();
                let stream = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_PIECE);
                Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
            }
            UploadContent::Source(source) => {
                let stream = source.open().await.map_err(RestError::Upload)?;
                Part::stream_with_length(reqwest::Body::wrap_stream(stream), source.length())
            }
        };
        let part = part
            .file_name(part_file_name(&self.name))
            .mime_str(&self.mime_type)
            .map_err(|_| RestError::invalid(format!("mimetype {:?}", self.mime_type)))?;
        Ok(form.part("filedata", part))
    }
}

/// The file name of the file part: the node name with anything that could disturb the part
/// header replaced (the node name itself travels in the `name` field).
fn part_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || c == '"' || c == '\\' {
                '_'
            } else {
                c
            }
        })
        .collect()
}

impl RepoSession {
    /// Opens a download of a node's content (`GET nodes/{id}/content?attachment=false`),
    /// optionally of one byte range (206 with `Content-Range`; 416 when outside the content).
    /// Note that for site content every download posts a "downloaded" activity.
    pub async fn download(
        &self,
        node_id: &str,
        range: Option<ByteRange>,
    ) -> Result<Download, RestError> {
        let mut query = Query::new();
        query.push("attachment", "false");
        let mut call =
            Call::get(Api::Core, "/nodes/{nodeId}/content", &[node_id]).with_query(query);
        call.raw_response = true;
        call.range = range.map(|r| r.header()).transpose()?;
        let sent = self.exchange(&call).await?;
        let status = sent.status();
        if !is_success(status) {
            return Err(self.error(sent).await);
        }
        let endpoint = sent.endpoint;
        let headers = sent.response.headers();
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let length = text(CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
        let mime_type = text(CONTENT_TYPE).map(str::to_string);
        let range = match status {
            206 => {
                let header = text(CONTENT_RANGE).unwrap_or_default();
                let parsed =
                    ContentRange::parse(header).ok_or_else(|| RestError::InvalidResponse {
                        endpoint,
                        reason: "206 without a valid Content-Range".to_string(),
                    })?;
                Some(parsed)
            }
            _ => None,
        };
        let total_length = match range {
            Some(range) => range.total,
            None => length,
        };
        let idle = self.client().options().request_timeout;
        let in_flight = sent.in_flight;
        let body = sent.response.bytes_stream();
        let stream = futures::stream::unfold(Some((body, in_flight)), move |state| async move {
            let (mut body, in_flight) = state?;
            match tokio::time::timeout(idle, body.next()).await {
                Err(_) => Some((Err(RestError::Timeout { endpoint }), None)),
                Ok(None) => None,
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some((body, in_flight)))),
                Ok(Some(Err(error))) => Some((Err(transport_error(endpoint, error)), None)),
            }
        });
        Ok(Download {
            status,
            length,
            total_length,
            range,
            mime_type,
            stream: Box::pin(stream),
        })
    }

    /// Uploads a new file into `parent_id` (multipart `POST nodes/{id}/children`) → 201 with
    /// the new node. 409 on a name clash (unless `auto_rename`), 413 too large, 422 bad name,
    /// 507 quota exceeded. Never retried blindly: after a timeout or 5xx, look the name up.
    pub async fn upload(&self, parent_id: &str, upload: Upload) -> Result<Node, RestError> {
        upload.check()?;
        let mut query = Query::new();
        add_include(&mut query, &upload.include);
        let mut call =
            Call::post(Api::Core, "/nodes/{nodeId}/children", &[parent_id]).with_query(query);
        call.transfer = true;
        call.body = CallBody::Upload(Box::new(upload));
        self.entry(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers() {
        let header = |start, end| ByteRange { start, end }.header();
        assert_eq!(header(0, Some(99)).unwrap(), "bytes=0-99");
        assert_eq!(header(100, None).unwrap(), "bytes=100-");
        assert_eq!(header(5, Some(5)).unwrap(), "bytes=5-5");
        assert!(header(6, Some(5)).is_err());
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            ContentRange::parse("bytes 0-99/1234"),
            Some(ContentRange {
                start: 0,
                end: 99,
                total: Some(1234)
            })
        );
        assert_eq!(
            ContentRange::parse("bytes 5-9/*"),
            Some(ContentRange {
                start: 5,
                end: 9,
                total: None
            })
        );
        for bad in [
            "",
            "bytes */1234",
            "bytes 9-5/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes a-b/c",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn part_file_names_cannot_break_the_header() {
        assert_eq!(part_file_name("Message_1.eml"), "Message_1.eml");
        assert_eq!(part_file_name("a\"b\\c\r\nd.eml"), "a_b_c__d.eml");
    }

    #[test]
    fn upload_names_are_checked() {
        let upload = |f: fn(Upload) -> Upload| {
            f(Upload::new("m.eml", UploadContent::Bytes(Bytes::new()))).check()
        };
        assert!(upload(|u| u).is_ok());
        assert!(upload(|u| u.property("imap:messageSubject", "x")).is_ok());
        assert!(upload(|u| u.property("autoRename", "true")).is_err());
        assert!(upload(|u| u.property("filedata", "x")).is_err());
        assert!(
            upload(|u| Upload {
                aspect_names: vec!["a:b,c:d".into()],
                ..u
            })
            .is_err()
        );
        assert!(
            upload(|u| Upload {
                name: String::new(),
                ..u
            })
            .is_err()
        );
    }
}
