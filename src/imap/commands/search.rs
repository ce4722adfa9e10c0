//! SEARCH (RFC 3501 §6.4.4).
//!
//! Keys are evaluated locally and exactly from the listing, the state store and message
//! summaries; nothing here downloads documents.

use std::num::NonZeroU32;

use chrono::NaiveDate;
use imap_types::core::{Charset, Vec1};
use imap_types::response::{Code, Data, Response};
use imap_types::search::SearchKey;

use crate::imap::output::{Output, Responder};
use crate::imap::selected::{Message, Selected};
use crate::imap::sequence::Ranges;
use crate::imap::session::{CommandResult, Completion, Failure, Session};

impl Session {
    pub(crate) async fn search(
        &mut self,
        charset: Option<Charset<'static>>,
        criteria: Vec1<SearchKey<'static>>,
        uid: bool,
        out: &mut dyn Responder,
    ) -> CommandResult {
        if let Some(charset) = &charset {
            let name = match charset {
                Charset::Atom(atom) => atom.as_ref().to_owned(),
                Charset::Quoted(quoted) => quoted.as_ref().to_owned(),
            };
            if !name.eq_ignore_ascii_case("UTF-8") && !name.eq_ignore_ascii_case("US-ASCII") {
                let allowed = ["UTF-8", "US-ASCII"]
                    .iter()
                    .filter_map(|c| Charset::try_from(*c).ok())
                    .collect();
                return Err(Failure::No(
                    Some(Code::BadCharset { allowed }),
                    "Unsupported charset".into(),
                ));
            }
        }
        let Some(selected) = self.selected.as_ref() else {
            return Err(Failure::bad("No mailbox selected"));
        };
        let key = SearchKey::And(criteria);
        let mut found = Vec::new();
        for (index, message) in selected.messages.iter().enumerate() {
            if message.expunged {
                continue;
            }
            if evaluate(&key, selected, index, message)? {
                let number = if uid { message.uid } else { index as u32 + 1 };
                if let Some(number) = NonZeroU32::new(number) {
                    found.push(number);
                }
            }
        }
        out.send(Output::Response(Response::Data(Data::Search(found, None))))
            .await?;
        Ok(Completion::ok("SEARCH completed"))
    }
}

/// Whether a message matches a key.
fn evaluate(
    key: &SearchKey<'_>,
    selected: &Selected,
    index: usize,
    message: &Message,
) -> Result<bool, Failure> {
    use SearchKey as K;
    let flags = &message.flags;
    let date = message.item.internal_date.date_naive();
    Ok(match key {
        K::All => true,
        K::And(keys) => {
            for key in keys.as_ref() {
                if !evaluate(key, selected, index, message)? {
                    return Ok(false);
                }
            }
            true
        }
        K::Or(a, b) => {
            evaluate(a, selected, index, message)? || evaluate(b, selected, index, message)?
        }
        K::Not(key) => !evaluate(key, selected, index, message)?,
        K::SequenceSet(set) => {
            Ranges::new(set, selected.messages.len() as u32).contains(index as u32 + 1)
        }
        K::Uid(set) => {
            let largest = selected.messages.last().map(|m| m.uid).unwrap_or(0);
            Ranges::new(set, largest).contains(message.uid)
        }
        K::Answered => flags.answered,
        K::Unanswered => !flags.answered,
        K::Deleted => flags.deleted,
        K::Undeleted => !flags.deleted,
        K::Draft => flags.draft,
        K::Undraft => !flags.draft,
        K::Flagged => flags.flagged,
        K::Unflagged => !flags.flagged,
        K::Seen => flags.seen,
        K::Unseen => !flags.seen,
        K::Recent => selected.recent.contains(&message.uid),
        K::Old => !selected.recent.contains(&message.uid),
        K::New => selected.recent.contains(&message.uid) && !flags.seen,
        K::Keyword(atom) => flags
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(atom.as_ref())),
        K::Unkeyword(atom) => !flags
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(atom.as_ref())),
        K::Before(day) => date < *day.as_ref(),
        K::On(day) => date == *day.as_ref(),
        K::Since(day) => date >= *day.as_ref(),
        K::Larger(size) => message.item.size.is_some_and(|s| s > u64::from(*size)),
        K::Smaller(size) => message.item.size.is_some_and(|s| s < u64::from(*size)),
        _ => {
            return Err(Failure::no(
                "CANNOT",
                "This search key is not available yet",
            ));
        }
    })
}

#[allow(dead_code)]
fn day(date: NaiveDate) -> NaiveDate {
    date
}
