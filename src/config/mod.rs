//! Configuration the Alfresco way: `.properties` layers, placeholders, mount points, a typed
//! and validated [`ImapConfig`].
//!
//! ```no_run
//! use alfresco_imap::config::{ConfigSources, ImapConfig};
//!
//! let sources = ConfigSources::from_process(
//!     vec!["/etc/alfresco/alfresco-global.properties".into()],
//!     vec!["imap.server.port=1143".into()],
//! );
//! match ImapConfig::load(&sources) {
//!     Ok(config) => println!("{} mount points", config.mount_points.len()),
//!     Err(errors) => eprintln!("{errors}"),
//! }
//! ```
//!
//! Layers, lowest first: the shipped defaults ([`SHIPPED_DEFAULTS`]) → each `--config` file →
//! environment variables → `-D` arguments. The rules are written down in
//! `docs/configuration.md`; each file here implements one of them.

mod base_url;
mod build;
mod composite;
mod environment;
mod error;
mod imap_config;
mod layers;
mod mail_address;
mod model;
mod origin;
mod placeholders;
mod properties_file;
mod repository_path;
mod rest_options;
mod secrets;
mod values;

pub use build::{IGNORE_EXTRACTION, MOUNT_POINTS};
pub use environment::{FILE_SUFFIX, OPTS_VARIABLE, RUST_LOG_VARIABLE, strip_trailing_newline};
pub use error::{ConfigError, ConfigErrors, ConfigWarning, Problem};
pub use imap_config::{EffectiveProperties, ImapConfig, machine_host_name};
pub use layers::{ConfigSources, SHIPPED_DEFAULTS, Setting};
pub use mail_address::MailAddress;
pub use model::{
    AttachmentsConfig, AttachmentsMode, AuthConfig, CacheConfig, EventsConfig, HomeConfig,
    HomeLocation, Limits, LogFormat, MailDefaults, MailboxConfig, MountPoint, NamedFolder,
    OpsConfig, RepositoryConfig, RepositoryFolder, SPACES_STORE, ServerConfig, ShareConfig,
    SpecialUseNames, StateConfig, StateStoreUrl, SyncConfig, Timeouts, TlsConfig, ViewMode,
    VirtualViewConfig,
};
pub use origin::Origin;
pub use repository_path::{PathError, PathSegment, RepositoryPath, decode_iso9075};
pub use secrets::{MASK, is_secret_key, mask_url_password, masked};

/// What [`parse_properties`] read: the `(key, value)` entries in file order, and the lines
/// that could not be read with their numbers.
pub type ParsedProperties = (Vec<(String, String)>, Vec<(usize, String)>);

/// Parses the bytes of a `.properties` file as Java's `Properties.load` reads them: the
/// `(key, value)` entries in file order, and the lines that could not be read with their
/// numbers. Configuration is loaded with [`ImapConfig::load`]; this is for checking a file on
/// its own (and for fuzzing the parser).
pub fn parse_properties(bytes: &[u8]) -> ParsedProperties {
    let parsed = properties_file::parse(bytes);
    let entries = parsed
        .entries
        .into_iter()
        .map(|entry| (entry.key, entry.value))
        .collect();
    (entries, parsed.errors)
}

#[cfg(test)]
mod tests;
