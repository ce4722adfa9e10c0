//! From the resolved properties to [`ImapConfig`]: one function per section, each reading its keys
//! through a [`Reader`] that collects every error.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use url::Url;

use super::base_url;
use super::composite::{self, Instance, InstanceValue};
use super::error::Problem;
use super::mail_address::MailAddress;
use super::model::*;
use super::repository_path::{self, RepositoryPath};
use super::values::{Lookup, Reader, parse_bool, parse_number, parse_port, split_list};

/// The mount-point composite.
pub const MOUNT_POINTS: &str = "imap.config.server.mountPoints";
/// The ignore-extraction composite.
pub const IGNORE_EXTRACTION: &str = "imap.config.ignore.extraction";
/// The repository's switch for its own IMAP server, ignored here.
const REPOSITORY_SWITCH: &str = "imap.server.enabled";
/// Alfresco's lockout threshold key and its default.
const LOCKOUT_KEY: &str = "authentication.protection.limit";
const LOCKOUT_DEFAULT: u64 = 10;

const MOUNT_POINT_SETTINGS: &[&str] = &[
    "mountPointName",
    "modeName",
    "store",
    "rootPath",
    "folderPath",
];
const FOLDER_SETTINGS: &[&str] = &["store", "rootPath", "folderPath"];

/// The typed sections, everything but the raw map and warnings.
pub(crate) struct Sections {
    pub server: ServerConfig,
    pub mail: MailDefaults,
    pub home: HomeConfig,
    pub mount_points: Vec<MountPoint>,
    pub ignore_extraction: Vec<NamedFolder>,
    pub attachments: AttachmentsConfig,
    /// `None` only when an error about it has been recorded.
    pub repository: Option<RepositoryConfig>,
    /// `None` only when an error about it has been recorded.
    pub share: Option<ShareConfig>,
    pub state: StateConfig,
    pub tls: TlsConfig,
    pub limits: Limits,
    pub timeouts: Timeouts,
    pub sync: SyncConfig,
    pub cache: CacheConfig,
    pub ops: OpsConfig,
    pub mailboxes: MailboxConfig,
    pub virtual_view: VirtualViewConfig,
    pub events: EventsConfig,
    pub auth: AuthConfig,
}

/// Builds every section; `default_keys` are the shipped keys (others under `imap.` warn).
pub(crate) fn sections(
    reader: &mut Reader<'_>,
    local_name: &str,
    default_keys: &BTreeSet<String>,
) -> Sections {
    warn_about_keys(reader, default_keys);
    let server = server(reader);
    let tls = tls(reader, &server);
    let mount_points = mount_points(reader);
    Sections {
        mail: mail(reader),
        home: home(reader),
        ignore_extraction: ignore_extraction(reader),
        attachments: attachments(reader),
        repository: repository(reader, local_name),
        share: share(reader),
        state: state(reader),
        limits: limits(reader),
        timeouts: timeouts(reader),
        sync: SyncConfig {
            resync_interval: reader.millis_at_least("imap.sidecar.resync.intervalMs", 1),
            index_lag: reader.millis("imap.sidecar.search.indexLagMs"),
        },
        cache: CacheConfig {
            listing_ttl: reader.millis("imap.sidecar.cache.listingTtlMs"),
            message_entries: reader.number("imap.sidecar.cache.messageEntries", 0, u64::MAX),
            message_bytes: reader.number("imap.sidecar.cache.messageBytes", 0, u64::MAX),
        },
        ops: ops(reader),
        mailboxes: mailboxes(reader, &mount_points),
        virtual_view: virtual_view(reader),
        events: events(reader),
        auth: auth(reader),
        server,
        tls,
        mount_points,
    }
}

fn warn_about_keys(reader: &mut Reader<'_>, default_keys: &BTreeSet<String>) {
    let props = reader.props();
    if let Some(setting) = props.get(REPOSITORY_SWITCH)
        && !setting.origin.is_default()
    {
        reader.warn(
            REPOSITORY_SWITCH,
            "belongs to the repository's built-in IMAP server and is ignored here; \
             this server starts the listeners named by imap.server.imap.enabled and \
             imap.server.imaps.enabled",
        );
    }
    for key in props.keys() {
        let composite = [MOUNT_POINTS, IGNORE_EXTRACTION]
            .iter()
            .any(|base| key.starts_with(&format!("{base}.")));
        if key.starts_with("imap.") && !composite && !default_keys.contains(key) {
            reader.warn(key, "unknown key; ignored");
        }
    }
}

fn server(reader: &mut Reader<'_>) -> ServerConfig {
    let host = reader.string("imap.server.host");
    if matches!(reader.lookup("imap.server.host"), Lookup::Value(_)) && !valid_host(&host) {
        reader.fail(
            "imap.server.host",
            Problem::Invalid {
                value: host.clone(),
                expected: "an IP address or host name to listen on".into(),
            },
        );
    }
    let imap_enabled = reader.boolean("imap.server.imap.enabled");
    let port = reader.port("imap.server.port");
    let imaps_enabled = reader.boolean("imap.server.imaps.enabled");
    let imaps_port = reader.port("imap.server.imaps.port");
    let flags_readable = readable(reader, "imap.server.imap.enabled", parse_bool)
        && readable(reader, "imap.server.imaps.enabled", parse_bool);
    if flags_readable && !imap_enabled && !imaps_enabled {
        reader.fail(
            "imap.server.imap.enabled",
            Problem::Invalid {
                value: written(reader, "imap.server.imap.enabled"),
                expected: "at least one of imap.server.imap.enabled and \
                           imap.server.imaps.enabled must be true"
                    .into(),
            },
        );
    }
    if imap_enabled && imaps_enabled && port != 0 && port == imaps_port {
        reader.fail(
            "imap.server.imaps.port",
            Problem::Invalid {
                value: imaps_port.to_string(),
                expected: "a port other than imap.server.port".into(),
            },
        );
    }
    ServerConfig {
        host,
        imap_enabled,
        port,
        imaps_enabled,
        imaps_port,
        folder_cache_size: reader.number("imap.server.folder.cache.size", 1, u64::MAX),
        shuffle_move_delete_delay: reader.millis("imap.server.shuffle.move.delete.delay"),
    }
}

/// The text of `key` as written (for messages about derived checks).
fn written(reader: &Reader<'_>, key: &str) -> String {
    match reader.lookup(key) {
        Lookup::Value(setting) => setting.value.clone(),
        Lookup::Missing | Lookup::Failed => String::new(),
    }
}

/// True when `key` holds a value that `parse` accepts (so derived checks don't pile up errors).
fn readable<T, E>(reader: &Reader<'_>, key: &str, parse: impl Fn(&str) -> Result<T, E>) -> bool {
    matches!(reader.lookup(key), Lookup::Value(setting) if parse(&setting.value).is_ok())
}

fn valid_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn mail(reader: &mut Reader<'_>) -> MailDefaults {
    let mut address = |key: &str| {
        reader.parsed(key, |text| {
            MailAddress::parse(text).ok_or_else(|| Problem::BadAddress {
                value: text.to_string(),
            })
        })
    };
    MailDefaults {
        from: address("imap.mail.from.default"),
        to: address("imap.mail.to.default"),
    }
}

/// One of a folder's three settings: the key it is read from and its value (`None` when the
/// value was unreadable and its error already reported).
struct Field {
    key: String,
    value: Option<String>,
}

impl Field {
    fn plain(reader: &mut Reader<'_>, key: &str) -> Option<Self> {
        match reader.lookup(key) {
            Lookup::Value(setting) => Some(Field {
                key: key.to_string(),
                value: Some(setting.value.clone()),
            }),
            Lookup::Missing => None,
            Lookup::Failed => Some(Field {
                key: key.to_string(),
                value: None,
            }),
        }
    }

    fn from_instance(value: Option<&InstanceValue>) -> Option<Self> {
        value.map(|v| Field {
            key: v.key.clone(),
            value: v.value.clone(),
        })
    }
}

/// Checks and parses a folder. `root` is required (its absence is reported at `root_key`);
/// a missing `store` means `workspace://SpacesStore`, a missing `folder` means none.
fn folder(
    reader: &mut Reader<'_>,
    store: Option<Field>,
    root: Option<Field>,
    root_key: &str,
    folder: Option<Field>,
) -> RepositoryFolder {
    if let Some(Field {
        key,
        value: Some(value),
    }) = &store
        && value != SPACES_STORE
    {
        reader.fail(
            key,
            Problem::UnsupportedStore {
                value: value.clone(),
            },
        );
    }
    let Some(root) = root else {
        reader.fail(root_key, Problem::NotSet);
        return RepositoryFolder::default();
    };
    let Some(root_text) = root.value else {
        return RepositoryFolder::default();
    };
    let root_path = match RepositoryPath::parse_absolute(&root_text) {
        Ok(path) => path,
        Err(error) => {
            reader.fail(&root.key, bad_path(&root_text, error));
            return RepositoryFolder::default();
        }
    };
    let folder_path = match folder {
        Some(Field {
            key,
            value: Some(text),
        }) => match RepositoryPath::parse_relative(&text) {
            Ok(path) => path,
            Err(error) => {
                reader.fail(&key, bad_path(&text, error));
                return RepositoryFolder::default();
            }
        },
        _ => RepositoryPath::default(),
    };
    match repository_path::names_below_company_home(&root_path, &folder_path) {
        Ok(names) => RepositoryFolder {
            root_path,
            folder_path,
            names,
        },
        Err(error) => {
            reader.fail(&root.key, bad_path(&root_text, error));
            RepositoryFolder::default()
        }
    }
}

fn bad_path(value: &str, error: repository_path::PathError) -> Problem {
    Problem::BadPath {
        value: value.to_string(),
        reason: error.to_string(),
    }
}

fn plain_folder(reader: &mut Reader<'_>, prefix: &str) -> RepositoryFolder {
    let store = Field::plain(reader, &format!("{prefix}.store"));
    let root_key = format!("{prefix}.rootPath");
    let root = Field::plain(reader, &root_key);
    let relative = Field::plain(reader, &format!("{prefix}.folderPath"));
    folder(reader, store, root, &root_key, relative)
}

fn instance_folder(reader: &mut Reader<'_>, base: &str, instance: &Instance) -> RepositoryFolder {
    folder(
        reader,
        Field::from_instance(instance.get("store")),
        Field::from_instance(instance.get("rootPath")),
        &format!("{base}.value.{}.rootPath", instance.id),
        Field::from_instance(instance.get("folderPath")),
    )
}

fn home(reader: &mut Reader<'_>) -> HomeConfig {
    HomeConfig {
        folder: plain_folder(reader, "imap.config.home"),
        location: reader.word(
            "imap.sidecar.home.location",
            &[
                ("imapHome", HomeLocation::ImapHome),
                ("userHome", HomeLocation::UserHome),
            ],
        ),
    }
}

fn mount_points(reader: &mut Reader<'_>) -> Vec<MountPoint> {
    let instances = composite::read(reader, MOUNT_POINTS, MOUNT_POINT_SETTINGS);
    let mut mount_points: Vec<MountPoint> = Vec::new();
    for instance in instances {
        let value_key = |name: &str| format!("{MOUNT_POINTS}.value.{}.{name}", instance.id);
        let name = match instance.get("mountPointName") {
            Some(InstanceValue {
                key,
                value: Some(name),
            }) => {
                if let Some(expected) = mailbox_name_problem(name) {
                    reader.fail(
                        key,
                        Problem::Invalid {
                            value: name.clone(),
                            expected,
                        },
                    );
                } else if let Some(first) = mount_points.iter().find(|m| m.name == *name) {
                    reader.fail(
                        key,
                        Problem::DuplicateMountPointName {
                            name: name.clone(),
                            first: first.id.clone(),
                            second: instance.id.clone(),
                        },
                    );
                }
                name.clone()
            }
            Some(_) => String::new(),
            None => {
                reader.fail(&value_key("mountPointName"), Problem::NotSet);
                String::new()
            }
        };
        let mode = match instance.get("modeName") {
            Some(InstanceValue {
                key,
                value: Some(mode),
            }) => ViewMode::parse(mode).unwrap_or_else(|| {
                reader.fail(
                    key,
                    Problem::UnknownMode {
                        value: mode.clone(),
                    },
                );
                ViewMode::default()
            }),
            Some(_) => ViewMode::default(),
            None => {
                reader.fail(&value_key("modeName"), Problem::NotSet);
                ViewMode::default()
            }
        };
        let folder = instance_folder(reader, MOUNT_POINTS, &instance);
        mount_points.push(MountPoint {
            id: instance.id.clone(),
            name,
            mode,
            folder,
        });
    }
    mount_points
}

/// Why `name` cannot be a top-level mailbox, if it cannot.
fn mailbox_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("a mailbox name, not empty".into())
    } else if name.contains('/') {
        Some("a mailbox name without / (the hierarchy delimiter)".into())
    } else if name.eq_ignore_ascii_case("INBOX") {
        Some("a mailbox name other than INBOX".into())
    } else if name.chars().any(char::is_control) {
        Some("a mailbox name without control characters".into())
    } else {
        None
    }
}

fn ignore_extraction(reader: &mut Reader<'_>) -> Vec<NamedFolder> {
    let instances = composite::read(reader, IGNORE_EXTRACTION, FOLDER_SETTINGS);
    let mut folders: Vec<NamedFolder> = Vec::new();
    for instance in instances {
        let folder = instance_folder(reader, IGNORE_EXTRACTION, &instance);
        if !folder.root_path.text.is_empty()
            && let Some(first) = folders.iter().find(|f| f.folder.names == folder.names)
        {
            let root_key = instance
                .get("rootPath")
                .map(|v| v.key.clone())
                .unwrap_or_else(|| IGNORE_EXTRACTION.to_string());
            reader.fail(
                &root_key,
                Problem::DuplicateFolder {
                    folder: if folder.folder_path.is_empty() {
                        folder.root_path.text.clone()
                    } else {
                        format!("{}/{}", folder.root_path, folder.folder_path)
                    },
                    first: first.id.clone(),
                    second: instance.id.clone(),
                },
            );
        }
        folders.push(NamedFolder {
            id: instance.id.clone(),
            folder,
        });
    }
    folders
}

fn attachments(reader: &mut Reader<'_>) -> AttachmentsConfig {
    AttachmentsConfig {
        extraction_enabled: reader.boolean("imap.server.attachments.extraction.enabled"),
        mode: reader.word(
            "imap.attachments.mode",
            &[
                ("SEPARATE", AttachmentsMode::Separate),
                ("SAME", AttachmentsMode::Same),
                ("COMMON", AttachmentsMode::Common),
            ],
        ),
        folder: plain_folder(reader, "imap.attachments.folder"),
    }
}

/// Reads `<prefix>.protocol/host/port/context` into a base URL; errors go to the key at fault.
fn base_url_of(reader: &mut Reader<'_>, prefix: &str) -> Option<Url> {
    let protocol_key = format!("{prefix}.protocol");
    let host_key = format!("{prefix}.host");
    let port_key = format!("{prefix}.port");
    let protocol = reader.required(&protocol_key);
    let host = reader.required(&host_key);
    let port = reader.port(&port_key);
    let context = reader.required(&format!("{prefix}.context"));
    let protocol = protocol?;
    if protocol != "http" && protocol != "https" {
        reader.fail(
            &protocol_key,
            Problem::NotOneOf {
                value: protocol.to_string(),
                allowed: vec!["http".into(), "https".into()],
            },
        );
        return None;
    }
    let (host, context) = (host?, context?);
    if !readable(reader, &port_key, parse_port) {
        return None;
    }
    match base_url::build(protocol, host, port, context) {
        Ok(url) => Some(url),
        Err(reason) => {
            reader.fail(
                &host_key,
                Problem::Invalid {
                    value: host.to_string(),
                    expected: reason,
                },
            );
            None
        }
    }
}

fn repository(reader: &mut Reader<'_>, local_name: &str) -> Option<RepositoryConfig> {
    let allow_insecure = reader.boolean("imap.sidecar.rest.allowInsecure");
    let base_url = base_url_of(reader, "alfresco");
    if let Some(url) = &base_url
        && url.scheme() == "http"
        && !allow_insecure
        && !base_url::is_local(url, local_name)
    {
        reader.fail(
            "alfresco.protocol",
            Problem::InsecureRepository {
                host: url.host_str().unwrap_or_default().to_string(),
            },
        );
    }
    let connect_timeout = reader.millis_at_least("imap.sidecar.rest.connectTimeoutMs", 1);
    let request_timeout = reader.millis_at_least("imap.sidecar.rest.requestTimeoutMs", 1);
    let transfer_timeout = reader.millis_at_least("imap.sidecar.rest.transferTimeoutMs", 1);
    let retries = reader.count("imap.sidecar.rest.retries", 0);
    let retry_backoff = reader.millis("imap.sidecar.rest.retryBackoffMs");
    let page_size = reader.count("imap.sidecar.rest.pageSize", 1);
    let max_connections = reader.count("imap.sidecar.rest.maxConnections", 1);
    Some(RepositoryConfig {
        base_url: base_url?,
        allow_insecure,
        connect_timeout,
        request_timeout,
        transfer_timeout,
        retries,
        retry_backoff,
        page_size,
        max_connections,
    })
}

fn share(reader: &mut Reader<'_>) -> Option<ShareConfig> {
    Some(ShareConfig {
        base_url: base_url_of(reader, "share")?,
    })
}

fn non_empty_path(reader: &mut Reader<'_>, key: &str) -> PathBuf {
    let text = reader.string(key);
    if text.is_empty() && matches!(reader.lookup(key), Lookup::Value(_)) {
        reader.fail(
            key,
            Problem::Invalid {
                value: text.clone(),
                expected: "a directory path".into(),
            },
        );
    }
    PathBuf::from(text)
}

fn state(reader: &mut Reader<'_>) -> StateConfig {
    let data_dir = non_empty_path(reader, "imap.sidecar.data.dir");
    let url = reader.parsed("imap.sidecar.state.url", |text| {
        let invalid = || Problem::Invalid {
            value: text.to_string(),
            expected: "sqlite:<file> or postgresql://user@host/database".into(),
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(invalid());
            }
            return Ok(Some(StateStoreUrl::Sqlite(PathBuf::from(path))));
        }
        if text.starts_with("postgresql://") || text.starts_with("postgres://") {
            return match Url::parse(text) {
                Ok(url) if url.host_str().is_some() => {
                    Ok(Some(StateStoreUrl::Postgres(text.to_string())))
                }
                _ => Err(invalid()),
            };
        }
        Err(invalid())
    });
    StateConfig {
        data_dir,
        url: url.unwrap_or_else(|| StateStoreUrl::Sqlite(PathBuf::new())),
    }
}

fn optional_path(reader: &mut Reader<'_>, key: &str) -> Option<PathBuf> {
    let text = reader.string(key);
    (!text.is_empty()).then(|| PathBuf::from(text))
}

fn tls(reader: &mut Reader<'_>, server: &ServerConfig) -> TlsConfig {
    let certificate = optional_path(reader, "imap.sidecar.tls.certificate");
    let key = optional_path(reader, "imap.sidecar.tls.key");
    let required = reader.boolean("imap.sidecar.tls.required");
    match (&certificate, &key) {
        (Some(_), None) => reader.fail(
            "imap.sidecar.tls.key",
            Problem::Invalid {
                value: String::new(),
                expected: "the PEM private key of imap.sidecar.tls.certificate".into(),
            },
        ),
        (None, Some(_)) => reader.fail(
            "imap.sidecar.tls.certificate",
            Problem::Invalid {
                value: String::new(),
                expected: "the PEM certificate chain that goes with imap.sidecar.tls.key".into(),
            },
        ),
        _ => {}
    }
    let no_tls = certificate.is_none() && key.is_none();
    if no_tls && required {
        reader.fail(
            "imap.sidecar.tls.required",
            Problem::Invalid {
                value: written(reader, "imap.sidecar.tls.required"),
                expected: "false, unless imap.sidecar.tls.certificate and .key are set".into(),
            },
        );
    }
    if no_tls && server.imaps_enabled {
        reader.fail(
            "imap.server.imaps.enabled",
            Problem::Invalid {
                value: written(reader, "imap.server.imaps.enabled"),
                expected: "false, unless imap.sidecar.tls.certificate and .key are set".into(),
            },
        );
    }
    TlsConfig {
        certificate,
        key,
        required,
        reload_interval: reader.millis("imap.sidecar.tls.reloadIntervalMs"),
    }
}

fn limits(reader: &mut Reader<'_>) -> Limits {
    let append_limit = reader.number("imap.sidecar.limits.appendLimit", 1, u64::MAX);
    let append_budget = reader.number("imap.sidecar.limits.appendBudget", 1, u64::MAX);
    if append_limit > 0 && append_budget > 0 && append_budget < append_limit {
        reader.fail(
            "imap.sidecar.limits.appendBudget",
            Problem::Invalid {
                value: append_budget.to_string(),
                expected: format!(
                    "at least imap.sidecar.limits.appendLimit ({append_limit}), or no \
                     message of the largest size could ever be appended"
                ),
            },
        );
    }
    Limits {
        connections: reader.count("imap.sidecar.limits.connections", 1),
        connections_per_user: reader.count("imap.sidecar.limits.connectionsPerUser", 1),
        connections_per_address: reader.count("imap.sidecar.limits.connectionsPerAddress", 1),
        command_line_length: reader.number("imap.sidecar.limits.commandLineLength", 8192, u64::MAX),
        append_limit,
        literals_per_command: reader.count("imap.sidecar.limits.literalsPerCommand", 1),
        nesting_depth: reader.count("imap.sidecar.limits.nestingDepth", 1),
        commands_per_second: reader.count("imap.sidecar.limits.commandsPerSecond", 1),
        append_spool_threshold: reader.number(
            "imap.sidecar.limits.appendSpoolThreshold",
            0,
            u64::MAX,
        ),
        append_budget,
        spool_dir: non_empty_path(reader, "imap.sidecar.spool.dir"),
    }
}

fn timeouts(reader: &mut Reader<'_>) -> Timeouts {
    Timeouts {
        idle: reader.millis_at_least("imap.sidecar.timeouts.idleMs", 1),
        authentication: reader.millis_at_least("imap.sidecar.timeouts.authenticationMs", 1),
        shutdown_grace: reader.millis("imap.sidecar.timeouts.shutdownGraceMs"),
    }
}

fn ops(reader: &mut Reader<'_>) -> OpsConfig {
    let http_address = reader.parsed("imap.sidecar.http.address", |text| {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<SocketAddr>()
            .map(Some)
            .map_err(|_| Problem::Invalid {
                value: text.to_string(),
                expected: "an address:port such as 127.0.0.1:9143, or nothing".into(),
            })
    });
    let log_level = reader.string("imap.sidecar.log.level");
    if let Lookup::Value(_) = reader.lookup("imap.sidecar.log.level")
        && let Err(error) = tracing_subscriber::EnvFilter::builder().parse(&log_level)
    {
        reader.fail(
            "imap.sidecar.log.level",
            Problem::Invalid {
                value: log_level.clone(),
                expected: format!("a log filter such as info or alfresco_imap=debug ({error})"),
            },
        );
    }
    OpsConfig {
        http_address,
        log_format: reader.word(
            "imap.sidecar.log.format",
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        ),
        log_level,
    }
}

fn mailboxes(reader: &mut Reader<'_>, mount_points: &[MountPoint]) -> MailboxConfig {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut special = |reader: &mut Reader<'_>, use_name: &str| {
        let key = format!("imap.sidecar.specialUse.{use_name}");
        let name = reader.string(&key);
        if !matches!(reader.lookup(&key), Lookup::Value(_)) {
            return name;
        }
        if let Some(expected) = mailbox_name_problem(&name) {
            reader.fail(
                &key,
                Problem::Invalid {
                    value: name.clone(),
                    expected,
                },
            );
        } else if let Some((other, _)) = names.iter().find(|(_, n)| *n == name) {
            reader.fail(
                &key,
                Problem::Invalid {
                    value: name.clone(),
                    expected: format!("a name not already used by imap.sidecar.specialUse.{other}"),
                },
            );
        } else if let Some(mount) = mount_points.iter().find(|m| m.name == name) {
            reader.fail(
                &key,
                Problem::Invalid {
                    value: name.clone(),
                    expected: format!("a name not already used by mount point {}", mount.id),
                },
            );
        }
        names.push((use_name.to_string(), name.clone()));
        name
    };
    let special_use = SpecialUseNames {
        sent: special(reader, "sent"),
        drafts: special(reader, "drafts"),
        junk: special(reader, "junk"),
        archive: special(reader, "archive"),
        trash: special(reader, "trash"),
    };
    let exclude_key = "imap.sidecar.mount.exclude";
    let mut mount_exclude = Vec::new();
    if let Some(text) = reader.required(exclude_key) {
        for item in split_list(text) {
            let field = Field {
                key: exclude_key.to_string(),
                value: Some(item.to_string()),
            };
            mount_exclude.push(folder(reader, None, Some(field), exclude_key, None));
        }
    }
    MailboxConfig {
        special_use,
        mount_exclude,
        sites_list_all: reader.boolean("imap.sidecar.sites.listAll"),
        allow_delete_repository_folders: reader
            .boolean("imap.sidecar.allowDeleteRepositoryFolders"),
        drafts_delete_permanently: reader.boolean("imap.sidecar.drafts.deletePermanently"),
    }
}

fn virtual_view(reader: &mut Reader<'_>) -> VirtualViewConfig {
    let timezone = reader.string("imap.sidecar.timezone");
    if matches!(reader.lookup("imap.sidecar.timezone"), Lookup::Value(_))
        && !valid_timezone(&timezone)
    {
        reader.fail(
            "imap.sidecar.timezone",
            Problem::Invalid {
                value: timezone.clone(),
                expected: "UTC or a time zone name such as Europe/Berlin".into(),
            },
        );
    }
    let locale = reader.string("imap.sidecar.locale");
    if matches!(reader.lookup("imap.sidecar.locale"), Lookup::Value(_)) && !valid_locale(&locale) {
        reader.fail(
            "imap.sidecar.locale",
            Problem::Invalid {
                value: locale.clone(),
                expected: "a locale such as en, de or pt_BR".into(),
            },
        );
    }
    VirtualViewConfig {
        timezone,
        locale,
        templates_dir: non_empty_path(reader, "imap.sidecar.templates.dir"),
        attach_content: reader.boolean("imap.sidecar.virtual.attachContent"),
    }
}

fn valid_timezone(text: &str) -> bool {
    !text.is_empty()
        && text.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

fn valid_locale(text: &str) -> bool {
    let mut parts = text.split(['_', '-']);
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    language_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn events(reader: &mut Reader<'_>) -> EventsConfig {
    let url = reader.parsed("imap.sidecar.events.url", |text| {
        if text.is_empty() {
            return Ok(None);
        }
        match Url::parse(text) {
            Ok(url) if url.host_str().is_some() => Ok(Some(url)),
            _ => Err(Problem::Invalid {
                value: super::secrets::mask_url_password(text).into_owned(),
                expected: "a broker URL such as stomp://activemq:61613, or nothing".into(),
            }),
        }
    });
    EventsConfig {
        url,
        topic: reader.string("imap.sidecar.events.topic"),
        coalesce: reader.millis("imap.sidecar.events.coalesceMs"),
        jitter: reader.millis("imap.sidecar.events.jitterMs"),
        resync: reader.millis("imap.sidecar.events.resyncMs"),
        reconnect: reader.millis_at_least("imap.sidecar.events.reconnectMs", 1),
        reconnect_max: reader.millis_at_least("imap.sidecar.events.reconnectMaxMs", 1),
        heart_beat: reader.millis("imap.sidecar.events.heartBeatMs"),
        idle_poll: reader.millis("imap.sidecar.idle.pollMs"),
    }
}

fn auth(reader: &mut Reader<'_>) -> AuthConfig {
    let lockout = match reader.lookup(LOCKOUT_KEY) {
        Lookup::Value(setting) => {
            parse_number(&setting.value, 1, u64::MAX).unwrap_or(LOCKOUT_DEFAULT)
        }
        _ => LOCKOUT_DEFAULT,
    };
    let per_user_key = "imap.sidecar.auth.maxFailuresPerUser";
    let max_failures_per_user = reader.parsed(per_user_key, |text| {
        let highest = lockout.saturating_sub(1).max(1);
        parse_number(text, 1, highest)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(|_| Problem::Invalid {
                value: text.to_string(),
                expected: format!(
                    "a number from 1 to {highest}, below the repository's lockout after \
                     {lockout} failed logins ({LOCKOUT_KEY}), so a client retrying a wrong \
                     password cannot lock the user out of Alfresco"
                ),
            })
    });
    AuthConfig {
        failure_delay: reader.millis("imap.sidecar.auth.failureDelayMs"),
        failure_window: reader.millis_at_least("imap.sidecar.auth.failureWindowMs", 1),
        max_failures_per_address: reader.count("imap.sidecar.auth.maxFailuresPerAddress", 1),
        max_failures_per_user,
        oauth_enabled: reader.boolean("imap.sidecar.auth.oauth.enabled"),
    }
}
