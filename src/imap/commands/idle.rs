//! IDLE (RFC 2177): the client waits, the server reports changes as they happen.

use imap_types::core::Tag;

use crate::imap::output::{Output, Responder, SendError};
use crate::imap::selected::Sync;
use crate::imap::session::{Completion, Dispatched, Exchange, Failure, Session, Step};

impl Session {
    pub(crate) async fn idle(
        &mut self,
        tag: &Tag<'static>,
        out: &mut dyn Responder,
    ) -> Result<Dispatched, Failure> {
        out.send(Output::Line(b"+ idling\r\n".to_vec())).await?;
        self.exchange = Some(Exchange::Idle(tag.clone()));
        self.idle_wake(Sync::Check, out).await?;
        Ok(Dispatched::Step(Step::Idle))
    }

    /// Looks for changes while idling (as hard as `how` says) and reports them at once (EXPUNGE is allowed: no
    /// command is in progress that forbids it).
    pub(crate) async fn idle_wake(
        &mut self,
        how: Sync,
        out: &mut dyn Responder,
    ) -> Result<(), SendError> {
        match self.look_for_changes(how).await {
            Ok(()) => {}
            Err(Failure::Bye(text)) => {
                let bye = imap_types::response::Status::bye(None, text)
                    .unwrap_or_else(|_| crate::imap::session::unreachable_status());
                out.send(Output::Response(imap_types::response::Response::Status(
                    bye,
                )))
                .await?;
                return Err(SendError::Io(std::io::ErrorKind::ConnectionAborted.into()));
            }
            Err(failure) => tracing::debug!(?failure, "could not look for changes while idling"),
        }
        let reporting = self.reporting(false);
        if let Some(selected) = self.selected.as_mut() {
            selected.flush(out, true, reporting).await?;
        }
        Ok(())
    }

    /// The line that ends IDLE.
    pub(crate) async fn idle_line(
        &mut self,
        tag: Tag<'static>,
        line: &[u8],
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let result = if text.eq_ignore_ascii_case(b"DONE") {
            Ok(Completion::ok("IDLE terminated"))
        } else {
            Err(Failure::bad("Expected DONE"))
        };
        self.finish(tag, result, out).await
    }
}
