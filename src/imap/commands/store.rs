//! STORE (RFC 3501 §6.4.6), with UNCHANGEDSINCE (RFC 7162).
//!
//! Flags live in the state store, never on the node (design decision 4); who may change what
//! follows the repository's rights: `\Seen` and private keywords need only read access,
//! `\Deleted` needs delete, everything else needs update. A STORE that would change something
//! the user may not change is refused as a whole.

use imap_types::command::StoreModifier;
use imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_types::response::Code;
use imap_types::sequence::SequenceSet;

use crate::imap::flags;
use crate::imap::output::Responder;
use crate::imap::session::{CommandResult, Completion, Failure, Session};
use crate::state::{FlagOp, FlagUpdate, Flags};

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store(
        &mut self,
        sequence_set: SequenceSet,
        kind: StoreType,
        response: StoreResponse,
        flag_list: Vec<Flag<'static>>,
        uid: bool,
        modifiers: Vec<StoreModifier>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        let account = self.account()?;
        let requested = flags::from_imap(&flag_list).map_err(|e| Failure::bad(e.to_string()))?;
        let unchanged_since = modifiers
            .iter()
            .map(|StoreModifier::UnchangedSince(value)| *value)
            .next();
        if unchanged_since.is_some() {
            self.enabled.condstore = true;
        }
        let op = match kind {
            StoreType::Add => FlagOp::Add,
            StoreType::Remove => FlagOp::Remove,
            StoreType::Replace => FlagOp::Replace,
        };
        let reporting = self.reporting(uid);
        let Some(selected) = self.selected.as_mut() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        if selected.read_only {
            return Err(Failure::no(
                "CANNOT",
                "The mailbox is open read-only (EXAMINE)",
            ));
        }
        let indexes = selected
            .resolve(&sequence_set, uid)
            .map_err(|_| Failure::bad("Invalid message sequence number"))?;

        for &index in &indexes {
            let message = &selected.messages[index];
            let after = apply(op, &message.flags, &requested);
            if let Some(flag) = forbidden(&message.flags, &after, &message.item.rights) {
                return Err(Failure::no(
                    "NOPERM",
                    format!("You may not change {flag} on message {}", index + 1),
                ));
            }
        }
        let uids: Vec<u32> = indexes.iter().map(|&i| selected.messages[i].uid).collect();
        let update = FlagUpdate {
            uids,
            op,
            flags: requested,
            unchanged_since,
        };
        let outcome = self
            .ctx
            .store
            .store_flags(selected.mailbox_id, account.mailboxes.user(), &update)
            .await?;
        for changed in &outcome.changed {
            selected.apply_own_flags(changed.uid, &changed.flags, changed.modseq);
        }
        if !outcome.changed.is_empty() {
            self.ctx.hub.notify(&selected.key);
        }
        if response == StoreResponse::Silent && reporting.condstore {
            // RFC 7162 §3.1.3: with CONDSTORE, changed messages are reported with their new
            // MODSEQ even after .SILENT.
            for changed in &outcome.changed {
                if let (Some(index), Some(modseq)) = (
                    selected.index_of(changed.uid),
                    std::num::NonZeroU64::new(changed.modseq),
                ) {
                    let mut items = Vec::new();
                    if let Some(uid) =
                        std::num::NonZeroU32::new(changed.uid).filter(|_| reporting.uid)
                    {
                        items.push(crate::imap::output::FetchItem::data(
                            imap_types::fetch::MessageDataItem::Uid(uid),
                        ));
                    }
                    items.push(crate::imap::output::FetchItem::data(
                        imap_types::fetch::MessageDataItem::ModSeq(modseq),
                    ));
                    let seq = std::num::NonZeroU32::new(index as u32 + 1)
                        .unwrap_or(std::num::NonZeroU32::MIN);
                    out.send(crate::imap::output::Output::Fetch(
                        crate::imap::output::FetchOutput { seq, items },
                    ))
                    .await?;
                }
            }
        }
        if response == StoreResponse::Answer {
            for &index in &indexes {
                let message = &selected.messages[index];
                if message.expunged || outcome.modified.contains(&message.uid) {
                    continue;
                }
                let output = selected.flags_response(index, reporting.uid, reporting.condstore);
                out.send(output).await?;
            }
        }
        if !outcome.modified.is_empty() {
            let numbers: Vec<u32> = if uid {
                outcome.modified.clone()
            } else {
                outcome
                    .modified
                    .iter()
                    .filter_map(|u| selected.index_of(*u).map(|i| i as u32 + 1))
                    .collect()
            };
            if let Some(set) = crate::imap::sequence::compact(numbers)
                .and_then(|text| SequenceSet::try_from(text.as_str()).ok())
            {
                return Ok(Completion::with(
                    Code::Modified(set),
                    "Conditional STORE failed",
                ));
            }
        }
        Ok(Completion::ok("STORE completed"))
    }
}

/// The flags after applying `op` with `requested` to `current`.
pub(crate) fn apply(op: FlagOp, current: &Flags, requested: &Flags) -> Flags {
    let mut after = match op {
        FlagOp::Replace => requested.clone(),
        FlagOp::Add | FlagOp::Remove => current.clone(),
    };
    let set = op != FlagOp::Remove;
    if op != FlagOp::Replace {
        if requested.answered {
            after.answered = set;
        }
        if requested.flagged {
            after.flagged = set;
        }
        if requested.deleted {
            after.deleted = set;
        }
        if requested.seen {
            after.seen = set;
        }
        if requested.draft {
            after.draft = set;
        }
        for keyword in &requested.keywords {
            after.keywords.retain(|k| !k.eq_ignore_ascii_case(keyword));
            if set {
                after.keywords.insert(keyword.clone());
            }
        }
    }
    after
}

/// The first flag whose change the rights do not allow.
fn forbidden(
    before: &Flags,
    after: &Flags,
    rights: &crate::mailbox::ItemRights,
) -> Option<&'static str> {
    if before.deleted != after.deleted && !rights.delete {
        return Some("\\Deleted");
    }
    if rights.update {
        return None;
    }
    if before.answered != after.answered {
        return Some("\\Answered");
    }
    if before.flagged != after.flagged {
        return Some("\\Flagged");
    }
    if before.draft != after.draft {
        return Some("\\Draft");
    }
    let shared = |flags: &Flags| -> Vec<String> {
        flags
            .shared()
            .keywords
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect()
    };
    if shared(before) != shared(after) {
        return Some("keywords");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::ItemRights;

    fn flags(seen: bool, deleted: bool, keywords: &[&str]) -> Flags {
        Flags {
            seen,
            deleted,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            ..Flags::default()
        }
    }

    #[test]
    fn operations() {
        let current = flags(true, false, &["$Forwarded"]);
        assert_eq!(
            apply(FlagOp::Add, &current, &flags(false, true, &[])),
            flags(true, true, &["$Forwarded"])
        );
        assert_eq!(
            apply(
                FlagOp::Remove,
                &current,
                &flags(true, false, &["$forwarded"])
            ),
            flags(false, false, &[])
        );
        assert_eq!(
            apply(FlagOp::Replace, &current, &flags(false, true, &[])),
            flags(false, true, &[])
        );
    }

    #[test]
    fn rights() {
        let reader = ItemRights {
            update: false,
            delete: false,
        };
        let none = flags(false, false, &[]);
        assert_eq!(
            forbidden(&none, &flags(true, false, &["$Junk"]), &reader),
            None
        );
        assert_eq!(
            forbidden(&none, &flags(false, true, &[]), &reader),
            Some("\\Deleted")
        );
        assert_eq!(
            forbidden(&none, &flags(false, false, &["Work"]), &reader),
            Some("keywords")
        );
        let deleter = ItemRights {
            update: false,
            delete: true,
        };
        assert_eq!(forbidden(&none, &flags(false, true, &[]), &deleter), None);
    }
}
