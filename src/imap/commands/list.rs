//! LIST and LSUB (RFC 3501 §6.3.8–6.3.9), with CHILDREN (RFC 3348) and SPECIAL-USE
//! (RFC 6154) attributes on plain LIST.
//!
//! The hierarchy is walked from the longest literal prefix of the pattern, and only into
//! folders below which the pattern can still match, so `LIST "" %` costs one repository call
//! and `LIST "" "Alfresco IMAP/Sites/%"` two.

use std::collections::{BTreeMap, HashSet};

use imap_types::core::QuotedChar;
use imap_types::flag::FlagNameAttribute;
use imap_types::mailbox::{ListMailbox, Mailbox};
use imap_types::response::{Data, Response};

use crate::imap::names::{Pattern, decode_pattern, response_mailbox};
use crate::imap::output::{Output, Responder};
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::mailbox::{DELIMITER, MailboxError, MailboxInfo, Mailboxes};

/// LIST-EXTENDED options accepted from the forms real clients send (iOS Mail's
/// `RETURN (SPECIAL-USE)`), parsed by the fallback parser.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// `(SPECIAL-USE)` selection: only mailboxes with a special use.
    pub special_use_only: bool,
    /// `(SUBSCRIBED)` selection.
    pub subscribed_only: bool,
    /// `RETURN (SUBSCRIBED)`: mark subscribed mailboxes `\Subscribed`.
    pub return_subscribed: bool,
}

/// One line of a LIST/LSUB answer.
struct Listed {
    name: String,
    attributes: Vec<FlagNameAttribute<'static>>,
}

impl Session {
    pub(crate) async fn list(
        &mut self,
        reference: Mailbox<'static>,
        wildcard: ListMailbox<'static>,
        lsub: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let reference = match &reference {
            Mailbox::Inbox => "INBOX".to_owned(),
            Mailbox::Other(other) => crate::imap::names::decode_bytes(other.as_ref())
                .map_err(|_| Failure::bad("Invalid reference name"))?,
        };
        let pattern =
            decode_pattern(&wildcard).map_err(|_| Failure::bad("Invalid mailbox pattern"))?;
        self.list_with(&reference, &pattern, lsub, ListOptions::default(), out)
            .await
    }

    /// LIST or LSUB with decoded arguments.
    pub(crate) async fn list_with(
        &mut self,
        reference: &str,
        pattern: &str,
        lsub: bool,
        options: ListOptions,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        let command = if lsub { "LSUB" } else { "LIST" };
        if pattern.is_empty() && !lsub {
            // RFC 3501 §6.3.8: the delimiter and the root of the reference.
            let listed = Listed {
                name: String::new(),
                attributes: vec![FlagNameAttribute::Noselect],
            };
            send(out, &listed, false).await?;
            return Ok(Completion::ok(format!("{command} completed")));
        }
        let pattern = Pattern::new(reference, pattern);
        let mailboxes = account.mailboxes.as_ref();
        let mut lines = if lsub || options.subscribed_only {
            self.subscribed(mailboxes, &pattern).await?
        } else {
            let choices = if options.return_subscribed {
                self.ctx.store.subscriptions(mailboxes.user()).await?
            } else {
                Vec::new()
            };
            walk(mailboxes, &pattern)
                .await?
                .into_iter()
                .map(|info| {
                    let mut attributes = attributes(&info);
                    if options.return_subscribed {
                        let choice = choices
                            .iter()
                            .find(|c| c.name == info.name)
                            .map(|c| c.subscribed);
                        if choice.unwrap_or(info.subscribed_by_default) {
                            attributes.push(extension("Subscribed"));
                        }
                    }
                    Listed {
                        attributes,
                        name: info.name,
                    }
                })
                .collect()
        };
        if options.subscribed_only && !lsub {
            for listed in &mut lines {
                listed.attributes.push(extension("Subscribed"));
            }
        }
        for listed in &lines {
            if options.special_use_only && !listed.attributes.iter().any(is_special_use) {
                continue;
            }
            send(out, listed, lsub).await?;
        }
        Ok(Completion::ok(format!("{command} completed")))
    }

    /// The subscribed names matching `pattern`: the default subscriptions (the subtrees the
    /// backend names) and the user's own choices.
    async fn subscribed(
        &self,
        mailboxes: &dyn Mailboxes,
        pattern: &Pattern,
    ) -> Result<Vec<Listed>, Failure> {
        let choices = self.ctx.store.subscriptions(mailboxes.user()).await?;
        let unsubscribed: HashSet<&str> = choices
            .iter()
            .filter(|c| !c.subscribed)
            .map(|c| c.name.as_str())
            .collect();
        let mut names: BTreeMap<String, Vec<FlagNameAttribute<'static>>> = BTreeMap::new();
        // Subscribed names the pattern does not match, whose parents it may match.
        let mut subscribed_roots = Vec::new();
        for root in mailboxes.default_subscription_roots().await? {
            let root_info = match mailboxes.mailbox(&root).await {
                Ok(info) => info,
                Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => continue,
                Err(error) => return Err(error.into()),
            };
            if root_info.subscribed_by_default && !unsubscribed.contains(root_info.name.as_str()) {
                subscribed_roots.push(root_info.name.clone());
            }
            let mut found = Vec::new();
            if pattern.matches(&root_info.name) {
                found.push(root_info.clone());
            }
            if root_info.has_children && pattern.may_match_below(&root_info.name) {
                found.extend(walk_below(mailboxes, pattern, vec![root_info.name.clone()]).await?);
            }
            for info in found {
                if info.subscribed_by_default && !unsubscribed.contains(info.name.as_str()) {
                    names.insert(info.name.clone(), attributes(&info));
                }
            }
        }
        for choice in choices.iter().filter(|c| c.subscribed) {
            if pattern.matches(&choice.name) {
                names.entry(choice.name.clone()).or_default();
            }
        }
        if pattern.ends_with_percent() {
            // RFC 3501 §6.3.9: an unsubscribed parent of a subscribed name that the pattern
            // matches is listed as \Noselect.
            let subscribed: Vec<String> = choices
                .iter()
                .filter(|c| c.subscribed)
                .map(|c| c.name.clone())
                .chain(names.keys().cloned())
                .chain(subscribed_roots)
                .collect();
            for name in subscribed {
                let mut prefix = String::new();
                for (i, part) in name.split(DELIMITER).enumerate() {
                    if i > 0 {
                        prefix.push(DELIMITER);
                    }
                    prefix.push_str(part);
                    if prefix.len() < name.len()
                        && pattern.matches(&prefix)
                        && !names.contains_key(&prefix)
                    {
                        names.insert(prefix.clone(), vec![FlagNameAttribute::Noselect]);
                    }
                }
            }
        }
        Ok(names
            .into_iter()
            .map(|(name, attributes)| Listed { name, attributes })
            .collect())
    }
}

/// Every mailbox matching `pattern`, parents before children.
pub(crate) async fn walk(
    mailboxes: &dyn Mailboxes,
    pattern: &Pattern,
) -> Result<Vec<MailboxInfo>, Failure> {
    if pattern.is_literal() {
        return match mailboxes.mailbox(&pattern.literal_text()).await {
            Ok(info) => Ok(vec![info]),
            Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        };
    }
    match pattern.literal_parent() {
        None => walk_from(mailboxes, pattern, None).await,
        Some(parent) => match mailboxes.mailbox(&parent).await {
            Ok(_) => walk_below(mailboxes, pattern, vec![parent]).await,
            Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        },
    }
}

async fn walk_from(
    mailboxes: &dyn Mailboxes,
    pattern: &Pattern,
    parent: Option<String>,
) -> Result<Vec<MailboxInfo>, Failure> {
    let mut found = Vec::new();
    let mut stack: Vec<MailboxInfo> = mailboxes.children(parent.as_deref()).await?;
    stack.reverse();
    while let Some(info) = stack.pop() {
        if info.has_children && pattern.may_match_below(&info.name) {
            let mut children = mailboxes.children(Some(&info.name)).await?;
            children.reverse();
            stack.extend(children);
        }
        if pattern.matches(&info.name) {
            found.push(info);
        }
    }
    Ok(found)
}

async fn walk_below(
    mailboxes: &dyn Mailboxes,
    pattern: &Pattern,
    parents: Vec<String>,
) -> Result<Vec<MailboxInfo>, Failure> {
    let mut found = Vec::new();
    for parent in parents {
        found.extend(walk_from(mailboxes, pattern, Some(parent)).await?);
    }
    Ok(found)
}

fn attributes(info: &MailboxInfo) -> Vec<FlagNameAttribute<'static>> {
    let mut attributes = Vec::new();
    if info.key.is_none() {
        attributes.push(FlagNameAttribute::Noselect);
    }
    attributes.push(extension(if info.has_children {
        "HasChildren"
    } else {
        "HasNoChildren"
    }));
    if let Some(special) = info.special_use {
        attributes.push(extension(special.attribute().trim_start_matches('\\')));
    }
    attributes
}

fn extension(name: &'static str) -> FlagNameAttribute<'static> {
    FlagNameAttribute::from(imap_types::core::Atom::unvalidated(name))
}

fn is_special_use(attribute: &FlagNameAttribute<'_>) -> bool {
    let text = attribute.to_string();
    ["\\Sent", "\\Drafts", "\\Junk", "\\Archive", "\\Trash"].contains(&text.as_str())
}

async fn send(out: &mut dyn Responder, listed: &Listed, lsub: bool) -> Result<(), Failure> {
    let mailbox = response_mailbox(&listed.name)
        .map_err(|_| Failure::no("SERVERBUG", "Unencodable mailbox name"))?;
    let delimiter = QuotedChar::try_from(DELIMITER).ok();
    let data = if lsub {
        Data::Lsub {
            items: listed.attributes.clone(),
            delimiter,
            mailbox,
        }
    } else {
        Data::List {
            items: listed.attributes.clone(),
            delimiter,
            mailbox,
        }
    };
    out.send(Output::Response(Response::Data(data))).await?;
    Ok(())
}
