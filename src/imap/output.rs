//! What a session sends, and how it becomes bytes.
//!
//! Responses are built with `imap-types` and encoded with `imap-codec`, except where the crate
//! cannot help: a FETCH whose body data is streamed from the repository (a 200 MB document
//! must never sit in memory) is written item by item, with the body as a literal copied from
//! its stream; and a few extension responses are written as ready-made lines.

use std::num::NonZeroU32;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use imap_codec::encode::Encoder;
use imap_codec::{GreetingCodec, ResponseCodec};
use imap_types::fetch::MessageDataItem;
use imap_types::response::{Data, Greeting, Response};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::mailbox::{Content, MailboxError};

/// One thing a session sends.
#[derive(Debug)]
pub enum Output {
    /// A response encoded by `imap-codec`.
    Response(Response<'static>),
    /// A FETCH response that may carry streamed body data.
    Fetch(FetchOutput),
    /// A complete response line we encode ourselves, CRLF included.
    Line(Vec<u8>),
}

/// A FETCH response (`* n FETCH (...)`).
#[derive(Debug)]
pub struct FetchOutput {
    /// The message sequence number.
    pub seq: NonZeroU32,
    /// The items, in order.
    pub items: Vec<FetchItem>,
}

/// One item of a FETCH response.
#[derive(Debug)]
pub enum FetchItem {
    /// An item encoded by `imap-codec`.
    Data(Box<MessageDataItem<'static>>),
    /// Body data sent as a literal: `label {n}\r\n<bytes>`.
    Literal {
        /// The item name as echoed to the client (`BODY[HEADER.FIELDS (From)]<0>`).
        label: Vec<u8>,
        /// The bytes, in memory or streamed.
        body: Body,
        /// BINARY data (RFC 3516): sent as a literal8 (`~{n}`) when it holds NUL bytes.
        binary: bool,
    },
}

impl FetchItem {
    /// An item encoded by `imap-codec`.
    pub fn data(item: MessageDataItem<'static>) -> Self {
        FetchItem::Data(Box::new(item))
    }
}

/// Body data of a FETCH item.
#[derive(Debug)]
pub enum Body {
    /// Held in memory.
    Bytes(Bytes),
    /// Streamed from the repository; its length is known before the first byte.
    Stream(Content),
}

impl Body {
    /// The number of bytes the literal announces.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Stream(content) => content.length,
        }
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why output could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The connection failed; the session ends.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// A streamed body failed or did not have its announced length. The literal was already
    /// announced, so the connection cannot continue.
    #[error("message body failed while streaming: {0}")]
    Body(MailboxError),
}

/// Where a session's output goes: the connection, or a buffer in tests.
#[async_trait]
pub trait Responder: Send {
    /// Sends one response.
    async fn send(&mut self, output: Output) -> Result<(), SendError>;
}

/// Encodes a greeting.
pub fn encode_greeting(greeting: &Greeting<'_>) -> Vec<u8> {
    GreetingCodec::default().encode(greeting).dump()
}

/// Encodes a response.
pub fn encode_response(response: &Response<'_>) -> Vec<u8> {
    ResponseCodec::default().encode(response).dump()
}

/// Encodes one FETCH item as it appears inside `(...)`.
pub fn encode_fetch_item(item: &MessageDataItem<'_>) -> Vec<u8> {
    let seq = NonZeroU32::MIN;
    let response = Response::Data(Data::Fetch {
        seq,
        items: vec1(item.clone()),
    });
    let bytes = encode_response(&response);
    // "* 1 FETCH (" ... ")\r\n"
    const PREFIX: &[u8] = b"* 1 FETCH (";
    const SUFFIX: &[u8] = b")\r\n";
    bytes
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn vec1(item: MessageDataItem<'_>) -> imap_types::core::Vec1<MessageDataItem<'_>> {
    imap_types::core::Vec1::from(item)
}

/// Writes one output to `writer`, streaming body data; flushes at the end.
pub async fn write_output<W: AsyncWrite + Unpin + Send>(
    writer: &mut W,
    output: Output,
) -> Result<(), SendError> {
    match output {
        Output::Response(response) => writer.write_all(&encode_response(&response)).await?,
        Output::Line(line) => writer.write_all(&line).await?,
        Output::Fetch(fetch) => write_fetch(writer, fetch).await?,
    }
    writer.flush().await?;
    Ok(())
}

async fn write_fetch<W: AsyncWrite + Unpin + Send>(
    writer: &mut W,
    fetch: FetchOutput,
) -> Result<(), SendError> {
    let mut head = format!("* {} FETCH (", fetch.seq).into_bytes();
    for (index, item) in fetch.items.into_iter().enumerate() {
        if index > 0 {
            head.push(b' ');
        }
        match item {
            FetchItem::Data(data) => head.extend_from_slice(&encode_fetch_item(&data)),
            FetchItem::Literal {
                label,
                body,
                binary,
            } => {
                head.extend_from_slice(&label);
                let literal8 = binary && matches!(&body, Body::Bytes(bytes) if bytes.contains(&0));
                let marker = if literal8 { " ~" } else { " " };
                head.extend_from_slice(format!("{marker}{{{}}}\r\n", body.len()).as_bytes());
                writer.write_all(&head).await?;
                head.clear();
                write_body(writer, body).await?;
            }
        }
    }
    head.extend_from_slice(b")\r\n");
    writer.write_all(&head).await?;
    Ok(())
}

async fn write_body<W: AsyncWrite + Unpin + Send>(
    writer: &mut W,
    body: Body,
) -> Result<(), SendError> {
    match body {
        Body::Bytes(bytes) => writer.write_all(&bytes).await?,
        Body::Stream(content) => {
            let mut written = 0u64;
            let mut stream = content.stream;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(SendError::Body)?;
                let room = content.length - written;
                if chunk.len() as u64 > room {
                    return Err(SendError::Body(MailboxError::MessageGone));
                }
                writer.write_all(&chunk).await?;
                written += chunk.len() as u64;
            }
            if written != content.length {
                return Err(SendError::Body(MailboxError::MessageGone));
            }
        }
    }
    Ok(())
}

/// A [`Responder`] that keeps the encoded bytes (tests, and the fuzz target).
#[derive(Debug, Default)]
pub struct BufferResponder {
    /// Everything sent so far.
    pub bytes: Vec<u8>,
}

#[async_trait]
impl Responder for BufferResponder {
    async fn send(&mut self, output: Output) -> Result<(), SendError> {
        write_output(&mut self.bytes, output).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_types::core::Vec1;
    use imap_types::fetch::Section;
    use imap_types::response::Status;

    #[tokio::test]
    async fn fetch_with_streamed_body() {
        let stream = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"Subject: x\r\n")),
            Ok(Bytes::from_static(b"\r\nbody")),
        ]);
        let content = Content {
            length: 18,
            stream: Box::pin(stream),
        };
        let fetch = FetchOutput {
            seq: NonZeroU32::new(3).unwrap(),
            items: vec![
                FetchItem::data(MessageDataItem::Uid(NonZeroU32::new(7).unwrap())),
                FetchItem::Literal {
                    label: b"BODY[]".to_vec(),
                    body: Body::Stream(content),
                    binary: false,
                },
                FetchItem::data(MessageDataItem::Rfc822Size(18)),
            ],
        };
        let mut out = BufferResponder::default();
        out.send(Output::Fetch(fetch)).await.unwrap();
        assert_eq!(
            out.bytes,
            b"* 3 FETCH (UID 7 BODY[] {18}\r\nSubject: x\r\n\r\nbody RFC822.SIZE 18)\r\n"
        );
    }

    #[tokio::test]
    async fn short_stream_is_an_error() {
        let stream = futures::stream::iter(vec![Ok(Bytes::from_static(b"abc"))]);
        let fetch = FetchOutput {
            seq: NonZeroU32::MIN,
            items: vec![FetchItem::Literal {
                label: b"BODY[]".to_vec(),
                body: Body::Stream(Content {
                    length: 5,
                    stream: Box::pin(stream),
                }),
                binary: false,
            }],
        };
        let mut out = BufferResponder::default();
        let error = out.send(Output::Fetch(fetch)).await.unwrap_err();
        assert!(matches!(error, SendError::Body(MailboxError::MessageGone)));
    }

    #[test]
    fn fetch_items_are_encoded_alone() {
        let section = Section::Text(None);
        let item = MessageDataItem::BodyExt {
            section: Some(section),
            origin: Some(0),
            data: imap_types::core::NString(None),
        };
        assert_eq!(encode_fetch_item(&item), b"BODY[TEXT]<0> NIL");
        let _ = Vec1::from(MessageDataItem::Rfc822Size(1));
    }

    #[tokio::test]
    async fn responses() {
        let mut out = BufferResponder::default();
        let status = Status::ok(None, None, "done").unwrap();
        out.send(Output::Response(Response::Status(status)))
            .await
            .unwrap();
        assert_eq!(out.bytes, b"* OK done\r\n");
    }
}
