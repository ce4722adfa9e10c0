//! CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.3–6.3.7).

use imap_types::mailbox::Mailbox;

use crate::imap::names::decode_mailbox;
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::mailbox::{DELIMITER, MailboxError};

impl Session {
    /// The decoded name of a mailbox argument, or a NO naming the problem.
    pub(crate) fn mailbox_name(&self, mailbox: &Mailbox<'_>) -> Result<String, Failure> {
        decode_mailbox(mailbox)
            .map_err(|error| Failure::no("CANNOT", format!("Invalid mailbox name: {error}")))
    }

    pub(crate) async fn create(&mut self, mailbox: Mailbox<'static>) -> CommandResult {
        let account = self.account()?;
        let mut name = self.mailbox_name(&mailbox)?;
        // RFC 3501 §6.3.3: a trailing delimiter only says children are intended.
        while name.ends_with(DELIMITER) {
            name.pop();
        }
        if name.is_empty() || name.split(DELIMITER).any(str::is_empty) {
            return Err(Failure::no("CANNOT", "Invalid mailbox name"));
        }
        if name == "INBOX" {
            return Err(Failure::no("ALREADYEXISTS", "INBOX always exists"));
        }
        account.mailboxes.create(&name).await?;
        Ok(Completion::ok("CREATE completed"))
    }

    pub(crate) async fn delete(&mut self, mailbox: Mailbox<'static>) -> CommandResult {
        let account = self.account()?;
        let name = self.mailbox_name(&mailbox)?;
        if name == "INBOX" {
            return Err(Failure::no("CANNOT", "INBOX cannot be deleted"));
        }
        let info = account.mailboxes.mailbox(&name).await?;
        account.mailboxes.delete(&name).await?;
        if let Some(key) = &info.key {
            self.ctx.hub.notify(key);
        }
        Ok(Completion::ok("DELETE completed"))
    }

    pub(crate) async fn rename(
        &mut self,
        from: Mailbox<'static>,
        to: Mailbox<'static>,
    ) -> CommandResult {
        let account = self.account()?;
        let from = self.mailbox_name(&from)?;
        let mut to = self.mailbox_name(&to)?;
        while to.ends_with(DELIMITER) {
            to.pop();
        }
        if to.is_empty() || to.split(DELIMITER).any(str::is_empty) {
            return Err(Failure::no("CANNOT", "Invalid mailbox name"));
        }
        if to == "INBOX" {
            return Err(Failure::no("ALREADYEXISTS", "INBOX always exists"));
        }
        account.mailboxes.rename(&from, &to).await?;
        Ok(Completion::ok("RENAME completed"))
    }

    pub(crate) async fn subscribe(
        &mut self,
        mailbox: Mailbox<'static>,
        subscribed: bool,
    ) -> CommandResult {
        let account = self.account()?;
        let name = self.mailbox_name(&mailbox)?;
        if subscribed {
            match account.mailboxes.mailbox(&name).await {
                Ok(_) => {}
                Err(MailboxError::NotFound) => {
                    return Err(Failure::no("NONEXISTENT", "No such mailbox"));
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.ctx
            .store
            .set_subscription(account.mailboxes.user(), &name, subscribed)
            .await?;
        account
            .mailboxes
            .subscription_changed(&name, subscribed)
            .await?;
        Ok(Completion::ok(if subscribed {
            "SUBSCRIBE completed"
        } else {
            "UNSUBSCRIBE completed"
        }))
    }
}
