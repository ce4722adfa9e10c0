//! APPEND (RFC 3501 §6.3.11) with APPENDUID (RFC 4315) and APPENDLIMIT (RFC 7889).

use std::num::NonZeroU32;

use bytes::Bytes;
use imap_types::datetime::DateTime as ImapDateTime;
use imap_types::extensions::binary::LiteralOrLiteral8;
use imap_types::flag::Flag;
use imap_types::mailbox::Mailbox;
use imap_types::response::Code;

use crate::imap::flags;
use crate::imap::output::Responder;
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::mailbox::{AppendRequest, MailboxError, MessageBody, PendingSummary};
use crate::state::NewMessage;

impl Session {
    pub(crate) async fn append(
        &mut self,
        mailbox: Mailbox<'static>,
        flag_list: Vec<Flag<'static>>,
        date: Option<ImapDateTime>,
        message: LiteralOrLiteral8<'static>,
        spooled: Option<MessageBody>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let _ = out;
        let account = self.account()?;
        let flags = flags::from_imap(&flag_list).map_err(|e| Failure::bad(e.to_string()))?;
        let name = self.mailbox_name(&mailbox)?;
        let info = match account.mailboxes.mailbox(&name).await {
            Ok(info) => info,
            Err(MailboxError::NotFound) => {
                return Err(Failure::No(Some(Code::TryCreate), "No such mailbox".into()));
            }
            Err(error) => return Err(error.into()),
        };
        let Some(key) = info.key.clone() else {
            return Err(Failure::no(
                "CANNOT",
                "Messages cannot be stored in this mailbox",
            ));
        };
        if !info.rights.insert {
            return Err(Failure::no(
                "NOPERM",
                "You may not store messages in this mailbox",
            ));
        }
        let body = match spooled {
            Some(body) => body,
            None => MessageBody::Memory(Bytes::from(literal_bytes(message))),
        };
        if body.len() > self.ctx.settings.append_limit {
            return Err(Failure::No(Some(Code::TooBig), "Message too large".into()));
        }
        if body.is_empty() {
            return Err(Failure::no("CANNOT", "An empty message cannot be stored"));
        }
        // Summarised while it is uploaded; a spooled message is never read into memory.
        let summary = PendingSummary::start(&body);
        let request = AppendRequest {
            body,
            flags: flags.clone(),
            internal_date: date.map(|d| d.as_ref().to_owned()),
            summary,
        };
        let item = account.mailboxes.append(&info, &request).await?;
        crate::imap::messages::remember_appended(&self.ctx, &item, &request).await;
        let store = self.ctx.store.as_ref();
        let record = store.open_mailbox(&key, &info.name).await?;
        let user = account.mailboxes.user().to_owned();
        let private = flags.private();
        let new = NewMessage {
            node_id: item.node_id.clone(),
            identity: item.identity.clone(),
            shared_flags: flags.shared(),
            default_seen: false,
            private_flags: (!private.is_empty()).then_some((user, private)),
            replaces: None,
            pin: item.pin.clone(),
        };
        let allocation = store.allocate(record.id, &[new], false).await?;
        self.ctx.hub.notify(&key);
        let uid = allocation.uids.first().copied().and_then(NonZeroU32::new);
        let validity = NonZeroU32::new(allocation.record.uid_validity);
        match (uid, validity) {
            (Some(uid), Some(uid_validity)) => Ok(Completion::with(
                Code::AppendUid { uid_validity, uid },
                "APPEND completed",
            )),
            _ => Ok(Completion::ok("APPEND completed")),
        }
    }
}

fn literal_bytes(message: LiteralOrLiteral8<'static>) -> Vec<u8> {
    match message {
        LiteralOrLiteral8::Literal(literal) => literal.into_inner().into_owned(),
        LiteralOrLiteral8::Literal8(literal) => literal.data.into_owned(),
    }
}
