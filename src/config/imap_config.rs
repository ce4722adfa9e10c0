//! [`ImapConfig`], the loaded and validated configuration, and [`EffectiveProperties`], the raw
//! effective key/value map behind it.

use std::collections::BTreeMap;
use std::fmt;

use super::build::{self, Sections};
use super::error::{ConfigError, ConfigErrors, ConfigWarning, Problem};
use super::layers::{self, ConfigSources, Setting};
use super::model::*;
use super::placeholders;
use super::secrets;
use super::values::Reader;

/// The key that `${localname}` reads when a layer sets it.
const LOCALNAME: &str = "localname";

/// Every effective property after layering and placeholder resolution, with its origin. Keys
/// outside `imap.`/`alfresco.`/`share.` are kept as read (their placeholders resolved where
/// possible). Debug output masks secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EffectiveProperties {
    values: BTreeMap<String, Setting>,
}

impl EffectiveProperties {
    /// The value of `key`, if set anywhere.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|s| s.value.as_str())
    }

    /// The value and origin of `key`.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.values.get(key)
    }

    /// Every key in byte order with its value and origin.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Setting)> {
        self.values.iter().map(|(k, s)| (k.as_str(), s))
    }
}

impl fmt::Debug for EffectiveProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.values
                    .iter()
                    .map(|(k, s)| (k, secrets::masked(k, &s.value))),
            )
            .finish()
    }
}

/// The validated configuration. Built only by [`ImapConfig::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapConfig {
    /// Listeners.
    pub server: ServerConfig,
    /// From/To of generated messages.
    pub mail: MailDefaults,
    /// The users' homes.
    pub home: HomeConfig,
    /// Mount points, in configuration order.
    pub mount_points: Vec<MountPoint>,
    /// Folders where attachments are never extracted.
    pub ignore_extraction: Vec<NamedFolder>,
    /// Attachment extraction.
    pub attachments: AttachmentsConfig,
    /// The repository connection.
    pub repository: RepositoryConfig,
    /// Share links.
    pub share: ShareConfig,
    /// The state store.
    pub state: StateConfig,
    /// TLS.
    pub tls: TlsConfig,
    /// Resource limits.
    pub limits: Limits,
    /// Connection timeouts.
    pub timeouts: Timeouts,
    /// Change detection.
    pub sync: SyncConfig,
    /// Caches.
    pub cache: CacheConfig,
    /// Health endpoint and logs.
    pub ops: OpsConfig,
    /// Mailbox behaviour.
    pub mailboxes: MailboxConfig,
    /// Generated messages.
    pub virtual_view: VirtualViewConfig,
    /// Repository events.
    pub events: EventsConfig,
    /// Login protection.
    pub auth: AuthConfig,
    properties: EffectiveProperties,
    warnings: Vec<ConfigWarning>,
    local_name: String,
}

impl ImapConfig {
    /// Reads every layer of `sources`, resolves placeholders and validates everything; on failure
    /// returns every problem found, each naming its key and where the value was set.
    pub fn load(sources: &ConfigSources) -> Result<Self, ConfigErrors> {
        let merged = layers::merge(sources);
        // A layer that sets `localname` names this machine for every purpose.
        let local_name = match merged.values.get(LOCALNAME) {
            Some(setting) => setting.value.clone(),
            None => sources.local_name.clone().unwrap_or_else(machine_host_name),
        };
        let resolved = placeholders::resolve(&merged.values, &local_name);
        let mut errors = merged.errors;
        errors.extend(resolved.errors);
        let mut warnings = merged.warnings;

        let mut reader = Reader::new(&resolved.values, &resolved.failed);
        let sections = build::sections(&mut reader, &local_name, &merged.default_keys);
        errors.extend(reader.errors);
        warnings.extend(reader.warnings);

        let Sections {
            server,
            mail,
            home,
            mount_points,
            ignore_extraction,
            attachments,
            repository,
            share,
            state,
            tls,
            limits,
            timeouts,
            sync,
            cache,
            ops,
            mailboxes,
            virtual_view,
            events,
            auth,
        } = sections;
        let (Some(repository), Some(share)) = (repository, share) else {
            if errors.is_empty() {
                errors.push(ConfigError::new("alfresco.host", None, Problem::NotSet));
            }
            return Err(ConfigErrors(errors));
        };
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Self {
            server,
            mail,
            home,
            mount_points,
            ignore_extraction,
            attachments,
            repository,
            share,
            state,
            tls,
            limits,
            timeouts,
            sync,
            cache,
            ops,
            mailboxes,
            virtual_view,
            events,
            auth,
            properties: EffectiveProperties {
                values: resolved.values,
            },
            warnings,
            local_name,
        })
    }

    /// The raw effective key/value map, for keys a module reads itself.
    pub fn properties(&self) -> &EffectiveProperties {
        &self.properties
    }

    /// Things worth logging once at start (ignored keys, repeated keys, unknown keys).
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// The host name `${localname}` stood for: the `localname` key when a layer sets it,
    /// otherwise the injected or detected host name.
    pub fn local_name(&self) -> &str {
        &self.local_name
    }
}

/// This machine's host name, as `${localname}` wants it; `localhost` when it cannot be read.
pub fn machine_host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
