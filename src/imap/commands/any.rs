//! Commands valid in any state, and the small ones around them: CAPABILITY, NOOP, LOGOUT,
//! ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342) and CHECK.

use imap_types::core::{IString, NString, QuotedChar, Vec1};
use imap_types::extensions::enable::CapabilityEnable;
use imap_types::extensions::namespace::Namespace;
use imap_types::extensions::thread::ThreadingAlgorithm;
use imap_types::response::{Capability, Data, Response, Status};

use crate::imap::output::{Output, Responder};
use crate::imap::selected::Sync;
use crate::imap::session::{CommandResult, Completion, Failure, Session, unreachable_status};

impl Session {
    /// The capabilities for the current state and connection.
    pub(crate) fn capabilities(&self) -> Vec1<Capability<'static>> {
        let settings = &self.ctx.settings;
        let mut caps = vec![
            Capability::Imap4Rev1,
            Capability::LiteralPlus,
            Capability::SaslIr,
            Capability::Id,
            Capability::Enable,
            Capability::Idle,
        ];
        if self.account.is_none() {
            if settings.starttls && !self.conn.tls {
                caps.push(Capability::StartTls);
            }
            if settings.tls_required && !self.conn.tls {
                caps.push(Capability::LoginDisabled);
            } else {
                caps.push(Capability::Auth(imap_types::auth::AuthMechanism::Plain));
                caps.push(Capability::Auth(imap_types::auth::AuthMechanism::Login));
                if settings.oauth {
                    caps.push(Capability::Auth(
                        imap_types::auth::AuthMechanism::OAuthBearer,
                    ));
                    caps.push(Capability::Auth(imap_types::auth::AuthMechanism::XOAuth2));
                }
            }
        } else {
            caps.extend([
                Capability::Namespace,
                Capability::Unselect,
                Capability::UidPlus,
                Capability::Move,
                Capability::CondStore,
                Capability::QResync,
                other("ESEARCH"),
                other("SEARCHRES"),
                Capability::Sort(None),
                Capability::Thread(ThreadingAlgorithm::OrderedSubject),
                Capability::Thread(ThreadingAlgorithm::References),
                other("CHILDREN"),
                other("SPECIAL-USE"),
                other_owned(format!("APPENDLIMIT={}", settings.append_limit)),
            ]);
        }
        Vec1::try_from(caps).unwrap_or_else(|_| Vec1::from(Capability::Imap4Rev1))
    }

    pub(crate) async fn capability(&mut self, out: &mut dyn Responder) -> CommandResult {
        let data = Data::Capability(self.capabilities());
        out.send(Output::Response(Response::Data(data))).await?;
        Ok(Completion::ok("CAPABILITY completed"))
    }

    pub(crate) async fn noop(&mut self, out: &mut dyn Responder) -> CommandResult {
        self.look_for_changes(Sync::Check).await?;
        let _ = out;
        Ok(Completion::ok("NOOP completed"))
    }

    pub(crate) async fn check(&mut self, out: &mut dyn Responder) -> CommandResult {
        self.look_for_changes(Sync::Check).await?;
        let _ = out;
        Ok(Completion::ok("CHECK completed"))
    }

    /// Asks the repository about the selected mailbox; the changes are reported after the
    /// command.
    pub(crate) async fn look_for_changes(&mut self, how: Sync) -> Result<(), Failure> {
        let Some(account) = self.account.clone() else {
            return Ok(());
        };
        let now = self.ctx.clock.now();
        let resync = self.resync_after();
        if let Some(selected) = self.selected.as_mut() {
            selected
                .sync(
                    account.mailboxes.as_ref(),
                    self.ctx.store.as_ref(),
                    how,
                    now,
                    resync,
                )
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn logout(&mut self, out: &mut dyn Responder) -> CommandResult {
        let bye = Status::bye(None, "Logging out").unwrap_or_else(|_| unreachable_status());
        out.send(Output::Response(Response::Status(bye))).await?;
        self.logged_out = true;
        self.selected = None;
        Ok(Completion::ok("LOGOUT completed"))
    }

    pub(crate) async fn id(
        &mut self,
        parameters: Option<Vec<(IString<'static>, NString<'static>)>>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        if let Some(parameters) = &parameters {
            let described: Vec<String> = parameters
                .iter()
                .take(30)
                .map(|(k, v)| {
                    let key = String::from_utf8_lossy(k.as_ref());
                    let value =
                        v.0.as_ref()
                            .map(|v| String::from_utf8_lossy(v.as_ref()).into_owned())
                            .unwrap_or_else(|| "NIL".into());
                    format!("{key}={value}")
                })
                .collect();
            tracing::info!(client = %described.join(" "), "client identified itself");
        }
        let ours = vec![
            (istring("name"), nstring("alfresco-imap")),
            (istring("version"), nstring(env!("CARGO_PKG_VERSION"))),
            (istring("vendor"), nstring("alfresco-imap")),
        ];
        let data = Data::Id {
            parameters: Some(ours),
        };
        out.send(Output::Response(Response::Data(data))).await?;
        Ok(Completion::ok("ID completed"))
    }

    pub(crate) async fn enable(
        &mut self,
        capabilities: Vec1<CapabilityEnable<'static>>,
        out: &mut dyn Responder,
    ) -> CommandResult {
        if self.selected.is_some() {
            return Err(Failure::bad(
                "ENABLE is only valid before a mailbox is selected",
            ));
        }
        // RFC 5161: unknown capabilities are ignored; ENABLED lists what this command turned
        // on. QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
        let mut enabled = Vec::new();
        for capability in capabilities.into_inner() {
            let qresync = capability.to_string().eq_ignore_ascii_case("QRESYNC");
            match &capability {
                CapabilityEnable::CondStore if !self.enabled.condstore => {
                    self.enabled.condstore = true;
                    enabled.push(capability);
                }
                CapabilityEnable::Other(_) if qresync && !self.enabled.qresync => {
                    self.enabled.qresync = true;
                    self.enabled.condstore = true;
                    enabled.push(capability);
                }
                _ => {}
            }
        }
        let data = Data::Enabled {
            capabilities: enabled,
        };
        out.send(Output::Response(Response::Data(data))).await?;
        Ok(Completion::ok("ENABLE completed"))
    }

    pub(crate) async fn namespace(&mut self, out: &mut dyn Responder) -> CommandResult {
        let delimiter = QuotedChar::try_from('/').ok();
        let personal = vec![Namespace::new(istring(""), delimiter)];
        let data = Data::Namespace {
            personal,
            other: Vec::new(),
            shared: Vec::new(),
        };
        out.send(Output::Response(Response::Data(data))).await?;
        Ok(Completion::ok("NAMESPACE completed"))
    }
}

fn other(name: &'static str) -> Capability<'static> {
    Capability::try_from(name).unwrap_or(Capability::Imap4Rev1)
}

fn other_owned(name: String) -> Capability<'static> {
    Capability::try_from(name).unwrap_or(Capability::Imap4Rev1)
}

fn istring(value: &'static str) -> IString<'static> {
    IString::try_from(value)
        .unwrap_or_else(|_| IString::try_from("").expect("empty string is valid"))
}

fn nstring(value: &'static str) -> NString<'static> {
    NString(Some(istring(value)))
}
