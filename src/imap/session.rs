//! The IMAP session: a state machine (RFC 3501 §3) fed decoded commands, writing responses to
//! a [`Responder`]. It knows nothing of sockets or TLS; the repository is behind
//! [`Mailboxes`](crate::mailbox::Mailboxes) and the clock is injected, so every behaviour can
//! be tested without a network.

use std::net::IpAddr;
use std::sync::Arc;

use imap_types::command::{Command, CommandBody};
use imap_types::core::Tag;
use imap_types::response::{Code, CodeOther, Response, Status};

use super::context::ServerContext;
use super::output::{Output, Responder, SendError};
use super::selected::{Reporting, Selected, Sync};
use crate::mailbox::{MailboxError, Mailboxes, MessageBody};
use crate::state::{MailboxKey, StateError};

/// Facts about the connection a session runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub peer: IpAddr,
    /// Whether the connection is encrypted (IMAPS, or after STARTTLS).
    pub tls: bool,
}

/// What the network layer hands to the session.
#[derive(Debug)]
pub enum Input {
    /// A decoded command, with the body of a streamed APPEND literal.
    Command {
        /// The command.
        command: Command<'static>,
        /// The spooled literal, for an APPEND whose message was too large to keep in memory.
        literal: Option<MessageBody>,
    },
    /// A command that could not be used: unparsable, or over a limit.
    Invalid {
        /// Its tag, if one could be read.
        tag: Option<Tag<'static>>,
        /// What was wrong.
        problem: Problem,
    },
    /// A command only the fallback parser understands (LIST-EXTENDED forms).
    Extended(super::fallback::Extended),
    /// The line the session asked for with [`Step::ReadLine`] or [`Step::Idle`].
    Line(Vec<u8>),
    /// While idling: the selected mailbox may have changed, or it is time to look.
    Wake,
    /// While idling: a change of the selected mailbox was announced; the number is the
    /// hub's count of announcements when it arrived ([`super::context::ChangeHub::announced`]).
    /// The user's sessions woken with the same count share the look.
    Announced(u64),
    /// Something may have changed that events did not report: if idling, list the mailbox
    /// in full.
    Resync,
}

/// Why a command could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not valid IMAP.
    Syntax,
    /// A line, command or literal count over the server's limits.
    Limit,
}

/// What the network layer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Read the next command.
    Continue,
    /// Read one line for the session (an AUTHENTICATE response).
    ReadLine,
    /// Idle (RFC 2177): read one line (`DONE`), and wake the session on changes.
    Idle,
    /// Start TLS now: nothing buffered may be read as a command afterwards.
    StartTls,
    /// Close the connection once the output is written.
    Close,
}

/// A logged-in user.
#[derive(Clone)]
pub struct Account {
    /// The user's mailboxes.
    pub mailboxes: Arc<dyn Mailboxes>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.mailboxes.user())
            .finish()
    }
}

/// Extensions the client turned on with ENABLE (RFC 5161).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enabled {
    /// CONDSTORE (RFC 7162), also implied by a CONDSTORE-using command.
    pub condstore: bool,
    /// QRESYNC (RFC 7162).
    pub qresync: bool,
}

/// An exchange waiting for a line from the client.
#[derive(Debug)]
pub(crate) enum Exchange {
    /// AUTHENTICATE.
    Authenticate(super::commands::auth::Sasl),
    /// IDLE, with its tag.
    Idle(Tag<'static>),
}

/// A tagged OK.
#[derive(Debug)]
pub struct Completion {
    /// The response code.
    pub code: Option<Code<'static>>,
    /// The text.
    pub text: String,
}

impl Completion {
    /// `OK text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            code: None,
            text: text.into(),
        }
    }

    /// `OK [code] text`.
    pub fn with(code: Code<'static>, text: impl Into<String>) -> Self {
        Self {
            code: Some(code),
            text: text.into(),
        }
    }
}

/// A command that failed, as the client will be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `BAD`: the command was wrong (syntax, state, arguments).
    Bad(Option<Code<'static>>, String),
    /// `NO`: the command was right but could not be done.
    No(Option<Code<'static>>, String),
    /// `* BYE`: the session cannot go on.
    Bye(String),
    /// The connection is gone while answering.
    Closed,
}

impl Failure {
    /// `BAD text`.
    pub fn bad(text: impl Into<String>) -> Self {
        Failure::Bad(None, text.into())
    }

    /// `NO [code] text`.
    pub fn no(code: &'static str, text: impl Into<String>) -> Self {
        Failure::No(Some(code_named(code)), text.into())
    }
}

/// An RFC 5530 (or other) response code by name.
pub fn code_named(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}

impl From<MailboxError> for Failure {
    fn from(error: MailboxError) -> Self {
        let text = error.to_string();
        match error {
            MailboxError::NotFound => Failure::no("NONEXISTENT", text),
            MailboxError::AlreadyExists => Failure::no("ALREADYEXISTS", text),
            MailboxError::NoPermission(_) => Failure::no("NOPERM", text),
            MailboxError::Cannot(_) => Failure::no("CANNOT", text),
            MailboxError::OverQuota => Failure::No(Some(Code::OverQuota), text),
            MailboxError::TooBig => Failure::No(Some(Code::TooBig), text),
            MailboxError::MessageGone => Failure::no("EXPUNGEISSUED", text),
            MailboxError::MailboxGone => Failure::Bye(text),
            MailboxError::Unavailable(_) => Failure::no(
                "UNAVAILABLE",
                "The repository is unavailable, try again later",
            ),
            MailboxError::LoginExpired => Failure::Bye("Your login is no longer valid".into()),
            MailboxError::Internal(_) => Failure::no("SERVERBUG", "Internal error"),
        }
    }
}

impl From<StateError> for Failure {
    fn from(error: StateError) -> Self {
        if let StateError::Unavailable(_) = error {
            tracing::warn!(%error, "state store unavailable");
            return Failure::no(
                "UNAVAILABLE",
                "The state store is unavailable, try again later",
            );
        }
        tracing::error!(%error, "state store failure");
        Failure::no("SERVERBUG", "Internal error in the state store")
    }
}

impl From<SendError> for Failure {
    fn from(_: SendError) -> Self {
        Failure::Closed
    }
}

/// The result of one command handler.
pub type CommandResult = Result<Completion, Failure>;

/// One client's IMAP session.
pub struct Session {
    pub(crate) ctx: Arc<ServerContext>,
    pub(crate) conn: ConnectionInfo,
    pub(crate) account: Option<Account>,
    pub(crate) selected: Option<Selected>,
    pub(crate) enabled: Enabled,
    pub(crate) exchange: Option<Exchange>,
    pub(crate) logged_out: bool,
    /// This connection's place among the user's connections (`limits.connectionsPerUser`).
    pub(crate) user_slot: Option<super::context::Slot<String>>,
    /// RETURN options of the SEARCH being run (ESEARCH).
    pub(crate) search_return: Option<super::fallback::SearchReturn>,
    /// The saved search result `$` (RFC 5182), as UIDs.
    pub(crate) saved: Vec<crate::state::Uid>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A new session on a connection.
    pub fn new(ctx: Arc<ServerContext>, conn: ConnectionInfo) -> Self {
        Self {
            ctx,
            conn,
            account: None,
            selected: None,
            enabled: Enabled::default(),
            exchange: None,
            logged_out: false,
            user_slot: None,
            search_return: None,
            saved: Vec::new(),
        }
    }

    /// The greeting (`* OK [CAPABILITY ...] ...`).
    pub fn greeting(&self) -> Output {
        let code = Code::Capability(self.capabilities());
        let status = Status::ok(None, Some(code), "alfresco-imap ready")
            .unwrap_or_else(|_| unreachable_status());
        Output::Response(Response::Status(status))
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.mailboxes.user())
    }

    /// The selected mailbox's key (the network layer wakes an idle session when it changes).
    pub fn selected_key(&self) -> Option<&MailboxKey> {
        self.selected.as_ref().map(|s| &s.key)
    }

    /// Records that TLS is now active (after STARTTLS).
    pub fn tls_started(&mut self) {
        self.conn.tls = true;
    }

    /// Handles one input and writes its responses.
    pub async fn handle(
        &mut self,
        input: Input,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        match input {
            Input::Command { command, literal } => self.command(command, literal, out).await,
            Input::Extended(extended) => self.extended(extended, out).await,
            Input::Invalid { tag, problem } => {
                // Inside an exchange (AUTHENTICATE, IDLE) the line is not a command: its first
                // word is no tag, and the exchange ends with BAD under the command's own tag.
                let tag = match self.exchange.take() {
                    Some(Exchange::Authenticate(sasl)) => Some(sasl.tag().clone()),
                    Some(Exchange::Idle(tag)) => Some(tag),
                    None => tag,
                };
                let (code, text) = match problem {
                    Problem::Syntax => (None, "Invalid command syntax"),
                    Problem::Limit => (
                        Some(code_named("LIMIT")),
                        "Command exceeds the server's limits",
                    ),
                };
                let status = Status::bad(tag, code, text).unwrap_or_else(|_| unreachable_status());
                // Counted under a fixed name: the line's own words are client input.
                crate::ops::registry().record_command("invalid", "bad", std::time::Duration::ZERO);
                out.send(Output::Response(Response::Status(status))).await?;
                Ok(Step::Continue)
            }
            Input::Line(line) => match self.exchange.take() {
                Some(Exchange::Authenticate(sasl)) => self.authenticate_line(sasl, line, out).await,
                Some(Exchange::Idle(tag)) => self.idle_line(tag, &line, out).await,
                None => Ok(Step::Continue),
            },
            Input::Wake | Input::Resync | Input::Announced(_) => match &self.exchange {
                Some(Exchange::Idle(_)) => {
                    let how = match input {
                        Input::Resync => Sync::Full,
                        Input::Announced(count) => Sync::Announced(count),
                        _ => Sync::Check,
                    };
                    self.idle_wake(how, out).await?;
                    Ok(Step::Idle)
                }
                _ => Ok(Step::Continue),
            },
        }
    }

    async fn command(
        &mut self,
        command: Command<'static>,
        literal: Option<MessageBody>,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        let Command { tag, body } = command;
        let name = body.name();
        let started = std::time::Instant::now();
        let span = tracing::debug_span!("command", name);
        let _enter = span.enter();
        let allows_expunge = allows_expunge(&body);
        let uid_command = is_uid_command(&body);
        let result = match self.state_allows(&body) {
            Err(failure) => Err(failure),
            Ok(()) => match self.before(&body).await {
                Err(failure) => Err(failure),
                Ok(()) => self.dispatch(&tag, body, literal, out).await,
            },
        };
        let result = match result {
            Ok(Dispatched::Done(completion)) => Ok(completion),
            Ok(Dispatched::Step(step)) => return Ok(step),
            Err(failure) => Err(failure),
        };
        if let Err(Failure::Closed) = result {
            return Err(SendError::Io(std::io::Error::from(
                std::io::ErrorKind::BrokenPipe,
            )));
        }
        if !matches!(result, Err(Failure::Bye(_))) {
            self.after_command(out, allows_expunge, uid_command).await?;
        }
        let outcome = match &result {
            Ok(_) => "ok",
            Err(Failure::No(..)) => "no",
            Err(Failure::Bad(..)) => "bad",
            Err(Failure::Bye(_)) => "bye",
            Err(Failure::Closed) => "closed",
        };
        let elapsed = started.elapsed();
        crate::ops::registry().record_command(name, outcome, elapsed);
        tracing::debug!(
            result = outcome,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "command done"
        );
        self.finish(tag, result, out).await
    }

    /// What a command needs before it runs: SEARCH must never return a message that is gone
    /// from the repository, so it looks first (one cheap call; a listing only if something
    /// changed). What it finds is reported after the results, when RFC 3501 §7.4.1 allows.
    async fn before(&mut self, body: &CommandBody<'_>) -> Result<(), Failure> {
        if !matches!(body, CommandBody::Search { .. }) {
            return Ok(());
        }
        match self.look_for_changes(Sync::Check).await {
            Err(Failure::Bye(text)) => Err(Failure::Bye(text)),
            Err(failure) => {
                tracing::debug!(?failure, "could not look for changes before SEARCH");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    async fn extended(
        &mut self,
        extended: super::fallback::Extended,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        use super::fallback::Extended;
        let (tag, reference, patterns, special_use_only, subscribed_only, return_subscribed) =
            match extended {
                Extended::Search { command, options } => {
                    self.search_return = Some(options);
                    let step = self.command(command, None, out).await;
                    self.search_return = None;
                    return step;
                }
                Extended::Saved {
                    tag,
                    message,
                    options,
                } => return self.saved_command(tag, message, options, out).await,
                Extended::List {
                    tag,
                    reference,
                    patterns,
                    special_use_only,
                    subscribed_only,
                    return_subscribed,
                } => (
                    tag,
                    reference,
                    patterns,
                    special_use_only,
                    subscribed_only,
                    return_subscribed,
                ),
            };
        let options = super::commands::list::ListOptions {
            special_use_only,
            subscribed_only,
            return_subscribed,
        };
        let mut result = Ok(Completion::ok("LIST completed"));
        if self.account.is_none() {
            result = Err(Failure::bad("Log in first"));
        } else {
            for pattern in &patterns {
                if let Err(failure) = self
                    .list_with(&reference, pattern, false, options, out)
                    .await
                {
                    result = Err(failure);
                    break;
                }
            }
        }
        if let Err(Failure::Closed) = result {
            return Err(SendError::Io(std::io::ErrorKind::BrokenPipe.into()));
        }
        self.after_command(out, true, false).await?;
        self.finish(tag, result, out).await
    }

    /// A command naming the saved search result `$` (RFC 5182): the saved UIDs go in (as
    /// sequence numbers for commands that take them), then the command runs as usual.
    async fn saved_command(
        &mut self,
        tag: Tag<'static>,
        message: Vec<u8>,
        options: Option<super::fallback::SearchReturn>,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        use imap_types::command::CommandBody as C;
        let Some(selected) = self.selected.as_ref() else {
            return self
                .finish(tag, Err(Failure::bad("No mailbox selected")), out)
                .await;
        };
        // Which kind of numbers the command takes: decode it once with a placeholder.
        let probe = super::fallback::substitute_saved(&message, "1", "1").and_then(|bytes| {
            match super::decode::command(&bytes, None) {
                Input::Command { command, .. } => Some(command.body),
                _ => None,
            }
        });
        let Some(body) = probe else {
            return self
                .finish(tag, Err(Failure::bad("Invalid command syntax")), out)
                .await;
        };
        // FETCH/STORE/COPY/MOVE take UIDs under `UID`; the searching commands take message
        // numbers for a plain `$` key and UIDs for `UID $`, whether or not they are `UID`
        // commands themselves (RFC 5182 section 2.1).
        let searching = matches!(body, C::Search { .. } | C::Sort { .. } | C::Thread { .. });
        let uid = !searching && is_uid_command(&body);
        let mut sequence_numbers = Vec::new();
        let mut uids = Vec::new();
        for uid_value in &self.saved {
            if let Some(index) = selected.index_of(*uid_value) {
                sequence_numbers.push(index as u32 + 1);
                uids.push(*uid_value);
            }
        }
        let (set, uid_key_set) = match (
            super::sequence::compact(sequence_numbers),
            super::sequence::compact(uids),
        ) {
            (Some(_), Some(uids)) if uid => (uids.clone(), uids),
            (Some(numbers), Some(uids)) => (numbers, uids),
            // Nothing saved: `$` matches no message. A number beyond any mailbox's end
            // makes a search key match nothing.
            _ if searching || uid => ("4294967295".to_owned(), "4294967295".to_owned()),
            // Nothing saved: a FETCH, STORE, COPY or MOVE of no messages.
            _ => {
                return self
                    .finish(tag, Ok(Completion::ok("Nothing saved to act on")), out)
                    .await;
            }
        };
        let Some(bytes) = super::fallback::substitute_saved(&message, &set, &uid_key_set) else {
            return self
                .finish(tag, Err(Failure::bad("Invalid command syntax")), out)
                .await;
        };
        match super::decode::command(&bytes, None) {
            Input::Command { command, .. } => {
                self.search_return = options;
                let step = self.command(command, None, out).await;
                self.search_return = None;
                step
            }
            _ => {
                self.finish(tag, Err(Failure::bad("Invalid command syntax")), out)
                    .await
            }
        }
    }

    /// Writes the tagged completion (or BYE).
    pub(crate) async fn finish(
        &mut self,
        tag: Tag<'static>,
        result: CommandResult,
        out: &mut dyn Responder,
    ) -> Result<Step, SendError> {
        let status = match result {
            Ok(completion) => Status::ok(Some(tag), completion.code, completion.text),
            Err(Failure::Bad(code, text)) => Status::bad(Some(tag), code, text),
            Err(Failure::No(code, text)) => Status::no(Some(tag), code, text),
            Err(Failure::Bye(text)) => {
                let bye = Status::bye(None, text).unwrap_or_else(|_| unreachable_status());
                out.send(Output::Response(Response::Status(bye))).await?;
                return Ok(Step::Close);
            }
            Err(Failure::Closed) => return Ok(Step::Close),
        };
        let status = status.unwrap_or_else(|_| unreachable_status());
        out.send(Output::Response(Response::Status(status))).await?;
        Ok(if self.logged_out {
            Step::Close
        } else {
            Step::Continue
        })
    }

    /// Reports changes made elsewhere, at a moment the command allows.
    async fn after_command(
        &mut self,
        out: &mut dyn Responder,
        allows_expunge: bool,
        uid: bool,
    ) -> Result<(), SendError> {
        let Some(account) = self.account.clone() else {
            return Ok(());
        };
        let reporting = self.reporting(uid);
        let now = self.ctx.clock.now();
        let resync = self.resync_after();
        let Some(selected) = self.selected.as_mut() else {
            return Ok(());
        };
        if let Err(error) = selected
            .sync(
                account.mailboxes.as_ref(),
                self.ctx.store.as_ref(),
                Sync::Store,
                now,
                resync,
            )
            .await
        {
            tracing::debug!(?error, "could not look for changes after a command");
        }
        selected.flush(out, allows_expunge, reporting).await
    }

    /// How updates are reported to this client.
    pub(crate) fn reporting(&self, uid: bool) -> Reporting {
        Reporting {
            uid,
            condstore: self.enabled.condstore,
            qresync: self.enabled.qresync,
        }
    }

    /// The full-resync interval as a chrono duration.
    pub(crate) fn resync_after(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.ctx.settings.resync_interval)
            .unwrap_or(chrono::Duration::MAX)
    }

    fn state_allows(&self, body: &CommandBody<'_>) -> Result<(), Failure> {
        use CommandBody as C;
        let authenticated = self.account.is_some();
        let selected = self.selected.is_some();
        match body {
            C::Capability | C::Noop | C::Logout | C::Id { .. } => Ok(()),
            C::StartTLS | C::Authenticate { .. } | C::Login { .. } if authenticated => {
                Err(Failure::bad("Already authenticated"))
            }
            C::StartTLS | C::Authenticate { .. } | C::Login { .. } => Ok(()),
            C::Check
            | C::Close
            | C::Unselect
            | C::Expunge
            | C::ExpungeUid { .. }
            | C::Search { .. }
            | C::Sort { .. }
            | C::Thread { .. }
            | C::Fetch { .. }
            | C::Store { .. }
            | C::Copy { .. }
            | C::Move { .. }
                if !selected =>
            {
                Err(Failure::bad("No mailbox selected"))
            }
            _ if !authenticated => Err(Failure::bad("Log in first")),
            _ => Ok(()),
        }
    }

    async fn dispatch(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        literal: Option<MessageBody>,
        out: &mut dyn Responder,
    ) -> Result<Dispatched, Failure> {
        use CommandBody as C;
        let done = match body {
            C::Capability => self.capability(out).await,
            C::Noop => self.noop(out).await,
            C::Logout => self.logout(out).await,
            C::Id { parameters } => self.id(parameters, out).await,
            C::Enable { capabilities } => self.enable(capabilities, out).await,
            C::Namespace => self.namespace(out).await,
            C::StartTLS => return self.starttls(tag, out).await,
            C::Login { username, password } => self.login(username, password).await,
            C::Authenticate {
                mechanism,
                initial_response,
            } => {
                return self
                    .authenticate(tag, mechanism, initial_response, out)
                    .await;
            }
            C::Create { mailbox } => self.create(mailbox).await,
            C::Delete { mailbox } => self.delete(mailbox).await,
            C::Rename { from, to } => self.rename(from, to).await,
            C::Subscribe { mailbox } => self.subscribe(mailbox, true).await,
            C::Unsubscribe { mailbox } => self.subscribe(mailbox, false).await,
            C::List {
                reference,
                mailbox_wildcard,
            } => self.list(reference, mailbox_wildcard, false, out).await,
            C::Lsub {
                reference,
                mailbox_wildcard,
            } => self.list(reference, mailbox_wildcard, true, out).await,
            C::Status {
                mailbox,
                item_names,
            } => self.status(mailbox, item_names.into_owned(), out).await,
            C::Select {
                mailbox,
                parameters,
            } => self.select(mailbox, parameters, false, out).await,
            C::Examine {
                mailbox,
                parameters,
            } => self.select(mailbox, parameters, true, out).await,
            C::Unselect => self.unselect().await,
            C::Close => self.close().await,
            C::Check => self.check(out).await,
            C::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                self.append(mailbox, flags, date, message, literal, out)
                    .await
            }
            C::Expunge => self.expunge(None, out).await,
            C::ExpungeUid { sequence_set } => self.expunge(Some(sequence_set), out).await,
            C::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                modifiers,
            } => {
                self.store(sequence_set, kind, response, flags, uid, modifiers, out)
                    .await
            }
            C::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(sequence_set, mailbox, uid, false, out).await,
            C::Move {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(sequence_set, mailbox, uid, true, out).await,
            C::Search {
                charset,
                criteria,
                uid,
            } => self.search(tag, charset, criteria, uid, out).await,
            C::Sort {
                sort_criteria,
                charset,
                search_criteria,
                uid,
            } => {
                self.sort(sort_criteria, charset, search_criteria, uid, out)
                    .await
            }
            C::Thread {
                algorithm,
                charset,
                search_criteria,
                uid,
            } => {
                self.thread(algorithm, charset, search_criteria, uid, out)
                    .await
            }
            C::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => {
                self.fetch(sequence_set, macro_or_item_names, uid, modifiers, out)
                    .await
            }
            C::Idle => return self.idle(tag, out).await,
            _ => Err(Failure::bad("Command not supported")),
        };
        done.map(Dispatched::Done)
    }

    /// The logged-in account (commands that need one are only dispatched when there is one).
    pub(crate) fn account(&self) -> Result<Account, Failure> {
        self.account
            .clone()
            .ok_or_else(|| Failure::bad("Log in first"))
    }
}

/// The outcome of dispatching: a completion to write, or a step that already answered.
pub(crate) enum Dispatched {
    /// Write the tagged completion.
    Done(Completion),
    /// The handler wrote what it had to; the network layer does this next.
    Step(Step),
}

/// RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH (and the other commands
/// that take message sequence numbers); their UID forms are fine.
fn allows_expunge(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    !matches!(
        body,
        C::Fetch { uid: false, .. }
            | C::Store { uid: false, .. }
            | C::Search { uid: false, .. }
            | C::Sort { uid: false, .. }
            | C::Thread { uid: false, .. }
            | C::Copy { uid: false, .. }
            | C::Move { uid: false, .. }
    )
}

fn is_uid_command(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    matches!(
        body,
        C::Fetch { uid: true, .. }
            | C::Store { uid: true, .. }
            | C::Search { uid: true, .. }
            | C::Copy { uid: true, .. }
            | C::Move { uid: true, .. }
            | C::ExpungeUid { .. }
    )
}

/// A status that cannot fail to build (fixed, valid text).
pub(crate) fn unreachable_status() -> Status<'static> {
    Status::Untagged(imap_types::response::StatusBody {
        kind: imap_types::response::StatusKind::Ok,
        code: None,
        text: imap_types::core::Text::unvalidated("OK"),
    })
}
