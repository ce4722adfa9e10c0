//! THREAD and UID THREAD (RFC 5256 §3): the messages a search finds, threaded by
//! ORDEREDSUBJECT or REFERENCES from their summaries (subject, Date, Message-ID, In-Reply-To,
//! References), never from the messages' bytes once summarised.

use imap_types::core::{Charset, Vec1};
use imap_types::extensions::thread::ThreadingAlgorithm;
use imap_types::search::SearchKey;

use crate::imap::base_subject::BaseSubject;
use crate::imap::commands::search::{decoded_subject, sort_date};
use crate::imap::messages::message_info;
use crate::imap::output::{Output, Responder};
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::imap::thread::{ThreadMessage, ordered_subject, references};
use crate::mailbox::MailboxError;
use crate::message::{EnvelopeFields, Text};

impl Session {
    /// THREAD: the search, then one `* THREAD` response with the thread lists.
    pub(crate) async fn thread(
        &mut self,
        algorithm: ThreadingAlgorithm<'static>,
        charset: Charset<'static>,
        search: Vec1<SearchKey<'static>>,
        uid: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let by_references = match algorithm {
            ThreadingAlgorithm::OrderedSubject => false,
            ThreadingAlgorithm::References => true,
            ThreadingAlgorithm::Other(_) => {
                return Err(Failure::bad("Unsupported threading algorithm"));
            }
        };
        let found = self.matching(Some(charset), search).await?;
        let account = self.account()?;
        let ctx = self.ctx.clone();
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let no_envelope = EnvelopeFields::default();
        let mut messages = Vec::with_capacity(found.indexes.len());
        for index in found.indexes {
            let message = &selected.messages[index];
            let info = match message_info(&ctx, account.mailboxes.as_ref(), &selected.info, message)
                .await
            {
                Ok(info) => info,
                // Deleted meanwhile: it is not threaded.
                Err(MailboxError::MessageGone) => continue,
                Err(error) => return Err(error.into()),
            };
            let envelope = info
                .summary
                .root()
                .envelope
                .as_ref()
                .unwrap_or(&no_envelope);
            let number = if uid { message.uid } else { index as u32 + 1 };
            messages.push(ThreadMessage::new(
                number,
                sort_date(message, Some(&info)),
                BaseSubject::of(&decoded_subject(Some(&info))),
                envelope.message_id.as_ref().map(Text::as_bytes),
                envelope.in_reply_to.as_ref().map(Text::as_bytes),
                envelope.references.as_ref().map(Text::as_bytes),
            ));
        }
        let threads = if by_references {
            references(&messages)
        } else {
            ordered_subject(&messages)
        };
        let lists = threads.thread_lists();
        let line = if lists.is_empty() {
            "* THREAD\r\n".to_owned()
        } else {
            format!("* THREAD {lists}\r\n")
        };
        out.send(Output::Line(line.into_bytes())).await?;
        Ok(Completion::ok("THREAD completed"))
    }
}
