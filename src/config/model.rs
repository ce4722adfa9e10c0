//! The typed configuration: what the rest of the server reads. Built and validated by
//! [`super::ImapConfig::load`]; every field already checked.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::mail_address::MailAddress;
use super::repository_path::RepositoryPath;
use super::secrets::mask_url_password;

/// The only store IMAP paths may point into.
pub const SPACES_STORE: &str = "workspace://SpacesStore";

/// How a folder's content is shown as mail (Alfresco's `ImapViewMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ViewMode {
    /// E-mails only, as stored (`.eml` content).
    #[default]
    Archive,
    /// E-mails as stored and documents as generated messages.
    Mixed,
    /// Every item as a generated message.
    Virtual,
}

impl ViewMode {
    /// Alfresco's name: `ARCHIVE`, `MIXED`, `VIRTUAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewMode::Archive => "ARCHIVE",
            ViewMode::Mixed => "MIXED",
            ViewMode::Virtual => "VIRTUAL",
        }
    }

    /// Parses Alfresco's exact upper-case name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ARCHIVE" => Some(ViewMode::Archive),
            "MIXED" => Some(ViewMode::Mixed),
            "VIRTUAL" => Some(ViewMode::Virtual),
            _ => None,
        }
    }
}

impl fmt::Display for ViewMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A folder given as store, absolute `rootPath` and relative `folderPath` (Alfresco's
/// `RepositoryFolderConfigBean`), with the folder names it stands for below Company Home.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RepositoryFolder {
    /// The absolute path, starting at `/app:company_home`.
    pub root_path: RepositoryPath,
    /// The path below `root_path`; empty for `root_path` itself.
    pub folder_path: RepositoryPath,
    /// Folder names below Company Home (empty: Company Home itself), for the REST client to
    /// resolve with `relativePath` from `-root-`.
    pub names: Vec<String>,
}

impl RepositoryFolder {
    /// The store; always [`SPACES_STORE`] (any other is rejected).
    pub fn store(&self) -> &'static str {
        SPACES_STORE
    }

    /// The folder names below Company Home joined with `/` (`Sites/swsdp/documentLibrary`), as
    /// `relativePath` wants them; empty for Company Home.
    pub fn relative_path(&self) -> String {
        self.names.join("/")
    }
}

/// One configured mount point: a repository folder shown as a top-level mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPoint {
    /// The id from `imap.config.server.mountPoints`.
    pub id: String,
    /// The top-level mailbox name (`mountPointName`).
    pub name: String,
    /// How the content is shown (`modeName`).
    pub mode: ViewMode,
    /// The folder shown.
    pub folder: RepositoryFolder,
}

/// A folder listed in a composite other than mount points (`imap.config.ignore.extraction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFolder {
    /// The id from the list.
    pub id: String,
    /// The folder.
    pub folder: RepositoryFolder,
}

/// Where attachments of appended e-mails go (`imap.attachments.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AttachmentsMode {
    /// A folder per message, next to it.
    #[default]
    Separate,
    /// Next to the message.
    Same,
    /// All into one configured folder.
    Common,
}

/// Where a user's INBOX and own folders live (`imap.sidecar.home.location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HomeLocation {
    /// `Imap Home/<user>` as in Alfresco (`imapHome`).
    #[default]
    ImapHome,
    /// The user's own home folder (`userHome`).
    UserHome,
}

/// Log output format (`imap.sidecar.log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The listeners (`imap.server.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Bind address of both listeners.
    pub host: String,
    /// Whether the plain listener runs.
    pub imap_enabled: bool,
    /// Plain IMAP port (0: any free port).
    pub port: u16,
    /// Whether the implicit-TLS listener runs.
    pub imaps_enabled: bool,
    /// IMAPS port (0: any free port).
    pub imaps_port: u16,
    /// Most folder states cached (`imap.server.folder.cache.size`).
    pub folder_cache_size: u64,
    /// Delay between EXPUNGE and the repository delete (`imap.server.shuffle.move.delete.delay`).
    pub shuffle_move_delete_delay: Duration,
}

/// Addresses of generated messages (`imap.mail.*.default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDefaults {
    /// From address.
    pub from: MailAddress,
    /// To address.
    pub to: MailAddress,
}

/// The users' homes (`imap.config.home.*`, `imap.sidecar.home.location`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeConfig {
    /// The IMAP home root (`Company Home/Imap Home` by default).
    pub folder: RepositoryFolder,
    /// Which home holds INBOX.
    pub location: HomeLocation,
}

/// Attachment extraction on APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentsConfig {
    /// `imap.server.attachments.extraction.enabled`.
    pub extraction_enabled: bool,
    /// `imap.attachments.mode`.
    pub mode: AttachmentsMode,
    /// The COMMON-mode folder (`imap.attachments.folder.*`).
    pub folder: RepositoryFolder,
}

/// The repository connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryConfig {
    /// `alfresco.protocol://alfresco.host:alfresco.port/alfresco.context/`, always ending in `/`.
    pub base_url: Url,
    /// `imap.sidecar.rest.allowInsecure`.
    pub allow_insecure: bool,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Timeout of an upload (APPEND, COPY of an e-mail).
    pub transfer_timeout: Duration,
    /// Retries of idempotent calls.
    pub retries: u32,
    /// Wait before the first retry (doubling after).
    pub retry_backoff: Duration,
    /// Page size for listings.
    pub page_size: u32,
    /// Most pooled connections.
    pub max_connections: u32,
}

/// Share, for links in generated messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareConfig {
    /// `share.protocol://share.host:share.port/share.context/`, always ending in `/`.
    pub base_url: Url,
}

/// The state store location (`imap.sidecar.state.url`).
#[derive(Clone, PartialEq, Eq)]
pub enum StateStoreUrl {
    /// `sqlite:<file>`.
    Sqlite(PathBuf),
    /// `postgresql://...` or `postgres://...`, as written.
    Postgres(String),
}

impl fmt::Debug for StateStoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateStoreUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StateStoreUrl::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&mask_url_password(url))
                .finish(),
        }
    }
}

/// The server's own files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    /// `imap.sidecar.data.dir`.
    pub data_dir: PathBuf,
    /// `imap.sidecar.state.url`.
    pub url: StateStoreUrl,
}

/// TLS material (`imap.sidecar.tls.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM certificate chain, if any.
    pub certificate: Option<PathBuf>,
    /// PEM private key, if any (set exactly when `certificate` is).
    pub key: Option<PathBuf>,
    /// Refuse login over an unencrypted connection.
    pub required: bool,
    /// How often the files are checked for a renewed certificate; zero: never (SIGHUP still
    /// reloads them).
    pub reload_interval: Duration,
}

/// Resource limits (`imap.sidecar.limits.*`, `imap.sidecar.spool.dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// All connections.
    pub connections: u32,
    /// Connections per user.
    pub connections_per_user: u32,
    /// Connections per client address.
    pub connections_per_address: u32,
    /// Longest command line, literals not counted (bytes).
    pub command_line_length: u64,
    /// Largest APPEND (bytes, APPENDLIMIT).
    pub append_limit: u64,
    /// Most literals per command.
    pub literals_per_command: u32,
    /// Deepest list nesting.
    pub nesting_depth: u32,
    /// Commands per second per connection.
    pub commands_per_second: u32,
    /// Literals above this many bytes are spooled to disk.
    pub append_spool_threshold: u64,
    /// APPEND bytes in flight, all connections (at least `append_limit`).
    pub append_budget: u64,
    /// Where literals are spooled.
    pub spool_dir: PathBuf,
}

/// Connection timeouts (`imap.sidecar.timeouts.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Auto-logout after this long without a command.
    pub idle: Duration,
    /// Time to log in.
    pub authentication: Duration,
    /// Time for connections to finish on shutdown.
    pub shutdown_grace: Duration,
}

/// Change detection (`imap.sidecar.resync.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Full re-listing interval of an open mailbox.
    pub resync_interval: Duration,
    /// How far the repository's search index may lag behind: messages that arrived more
    /// recently than this are searched for TEXT and BODY directly (`imap.sidecar.search.indexLagMs`).
    pub index_lag: Duration,
}

/// Caches (`imap.sidecar.cache.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a folder listing is reused.
    pub listing_ttl: Duration,
    /// Most cached messages.
    pub message_entries: u64,
    /// Most cached message bytes.
    pub message_bytes: u64,
}

/// Operations: health endpoint and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsConfig {
    /// Health/metrics endpoint address; `None` when empty.
    pub http_address: Option<SocketAddr>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter directives (`info`, `alfresco_imap=debug,info`).
    pub log_level: String,
}

/// Names of the special-use mailboxes in the user's home (RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialUseNames {
    /// `\Sent`.
    pub sent: String,
    /// `\Drafts`.
    pub drafts: String,
    /// `\Junk`.
    pub junk: String,
    /// `\Archive`.
    pub archive: String,
    /// `\Trash`.
    pub trash: String,
}

/// Mailbox behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxConfig {
    /// Special-use names.
    pub special_use: SpecialUseNames,
    /// Folders never shown below a mount point (`imap.sidecar.mount.exclude`).
    pub mount_exclude: Vec<RepositoryFolder>,
    /// List every site of the user, not only IMAP favourites.
    pub sites_list_all: bool,
    /// Let DELETE/RENAME act on repository folders.
    pub allow_delete_repository_folders: bool,
    /// Delete expunged drafts permanently.
    pub drafts_delete_permanently: bool,
}

/// Generated messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualViewConfig {
    /// Time zone name (`UTC` or IANA).
    pub timezone: String,
    /// Locale (`en`, `de_DE`).
    pub locale: String,
    /// The project's template directory.
    pub templates_dir: PathBuf,
    /// Attach document content.
    pub attach_content: bool,
}

/// Repository events.
#[derive(Clone, PartialEq, Eq)]
pub struct EventsConfig {
    /// Broker URL; `None` when empty.
    pub url: Option<Url>,
    /// The topic name (`imap.sidecar.events.topic`).
    pub topic: String,
    /// Coalescing window (`imap.sidecar.events.coalesceMs`).
    pub coalesce: Duration,
    /// Random extra delay (`imap.sidecar.events.jitterMs`).
    pub jitter: Duration,
    /// Periodic full resync; zero: none (`imap.sidecar.events.resyncMs`).
    pub resync: Duration,
    /// First reconnection delay (`imap.sidecar.events.reconnectMs`).
    pub reconnect: Duration,
    /// Longest reconnection delay (`imap.sidecar.events.reconnectMaxMs`).
    pub reconnect_max: Duration,
    /// STOMP heart-beat period; zero: none (`imap.sidecar.events.heartBeatMs`).
    pub heart_beat: Duration,
    /// How often an idling session checks on its own; zero: never (`imap.sidecar.idle.pollMs`).
    pub idle_poll: Duration,
}

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self
            .url
            .as_ref()
            .map(|u| mask_url_password(u.as_str()).into_owned());
        f.debug_struct("EventsConfig")
            .field("url", &url)
            .field("topic", &self.topic)
            .field("coalesce", &self.coalesce)
            .field("jitter", &self.jitter)
            .field("resync", &self.resync)
            .field("reconnect", &self.reconnect)
            .field("reconnect_max", &self.reconnect_max)
            .field("heart_beat", &self.heart_beat)
            .field("idle_poll", &self.idle_poll)
            .finish()
    }
}

/// Login protection (`imap.sidecar.auth.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Delay before answering a failed login.
    pub failure_delay: Duration,
    /// Window in which failures are counted.
    pub failure_window: Duration,
    /// Failures per client address before refusing.
    pub max_failures_per_address: u32,
    /// Failures per user before refusing (below the repository's lockout).
    pub max_failures_per_user: u32,
    /// Accept OAuth bearer tokens.
    pub oauth_enabled: bool,
}
