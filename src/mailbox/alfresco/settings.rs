//! What the Alfresco backend takes from the configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{AttachmentsMode, HomeLocation, ImapConfig, ViewMode};

/// A mount point: a top-level mailbox mirroring a repository folder in a view mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSettings {
    /// The mailbox name (`Alfresco IMAP`).
    pub name: String,
    /// How its folders show content.
    pub mode: ViewMode,
    /// The folder, as names below Company Home (empty: Company Home itself).
    pub path: Vec<String>,
}

/// The special-use folder names of an IMAP home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialNames {
    /// `\Sent`.
    pub sent: String,
    /// `\Drafts`.
    pub drafts: String,
    /// `\Junk`.
    pub junk: String,
    /// `\Archive`.
    pub archive: String,
    /// `\Trash` (the user's repository trashcan).
    pub trash: String,
}

/// Where extracted attachments go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSettings {
    /// `imap.server.attachments.extraction.enabled`.
    pub enabled: bool,
    /// `imap.attachments.mode`.
    pub mode: AttachmentsMode,
    /// The COMMON folder, as names below Company Home.
    pub common_folder: Vec<String>,
    /// Folders (names below Company Home) where nothing is extracted.
    pub ignored: Vec<Vec<String>>,
}

/// Everything the backend needs from the configuration.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// Where IMAP homes are.
    pub home_location: HomeLocation,
    /// The IMAP home root (`Imap Home`) as names below Company Home.
    pub home_root: Vec<String>,
    /// Mount points, in configuration order.
    pub mounts: Vec<MountSettings>,
    /// Special-use folder names.
    pub special: SpecialNames,
    /// Folders left out of mount-point listings, as names below Company Home.
    pub excluded: Vec<Vec<String>>,
    /// List every site the user is a member of, not only the IMAP favourites.
    pub sites_list_all: bool,
    /// Allow DELETE of repository folders that still hold documents.
    pub allow_delete_repository_folders: bool,
    /// E-mails expunged from Drafts are deleted permanently, not to the trashcan.
    pub drafts_delete_permanently: bool,
    /// Children listing page size.
    pub page_size: u32,
    /// From address of generated messages.
    pub mail_from: String,
    /// To address of generated messages.
    pub mail_to: String,
    /// Attachment extraction on APPEND.
    pub attachments: AttachmentSettings,
    /// How long folder trees are kept per user.
    pub folder_ttl: Duration,
    /// The repository's public base URL (`http://host:8080/alfresco`), for links.
    pub alfresco_url: String,
    /// Share's public base URL (`http://host:8080/share`), for links.
    pub share_url: String,
    /// The Alfresco Content App's public base URL, for links in our own templates (Share's
    /// origin with `/content-app`, where Alfresco's Docker deployments serve it).
    pub content_app_url: String,
    /// Show the document itself as an attachment of its generated message.
    pub attach_content: bool,
    /// The server locale of generated messages (`imap.sidecar.locale`).
    pub locale: String,
    /// The time zone of dates in generated messages (`imap.sidecar.timezone`).
    pub time_zone: String,
    /// The project's templates folder (`imap.sidecar.templates.dir`).
    pub templates_dir: PathBuf,
    /// Most rendered messages kept in memory (`imap.sidecar.cache.messageEntries`).
    pub message_cache_entries: u64,
    /// Most bytes of rendered messages kept in memory (`imap.sidecar.cache.messageBytes`).
    pub message_cache_bytes: u64,
}

/// The Content App's base URL next to a Share base URL (same origin, `/content-app`).
fn content_app_next_to(share_url: &str) -> String {
    match url::Url::parse(share_url) {
        Ok(url) => format!(
            "{}/content-app",
            url.origin().ascii_serialization().trim_end_matches('/')
        ),
        Err(_) => format!("{}/content-app", share_url.trim_end_matches('/')),
    }
}

impl BackendSettings {
    /// Settings from a validated configuration.
    pub fn from_config(config: &ImapConfig) -> Self {
        let special = &config.mailboxes.special_use;
        Self {
            home_location: config.home.location,
            home_root: config.home.folder.names.clone(),
            mounts: config
                .mount_points
                .iter()
                .map(|m| MountSettings {
                    name: m.name.clone(),
                    mode: m.mode,
                    path: m.folder.names.clone(),
                })
                .collect(),
            special: SpecialNames {
                sent: special.sent.clone(),
                drafts: special.drafts.clone(),
                junk: special.junk.clone(),
                archive: special.archive.clone(),
                trash: special.trash.clone(),
            },
            excluded: config
                .mailboxes
                .mount_exclude
                .iter()
                .map(|f| f.names.clone())
                .collect(),
            sites_list_all: config.mailboxes.sites_list_all,
            allow_delete_repository_folders: config.mailboxes.allow_delete_repository_folders,
            drafts_delete_permanently: config.mailboxes.drafts_delete_permanently,
            page_size: config.repository.page_size.max(1),
            mail_from: config.mail.from.to_string(),
            mail_to: config.mail.to.to_string(),
            attachments: AttachmentSettings {
                enabled: config.attachments.extraction_enabled,
                mode: config.attachments.mode,
                common_folder: config.attachments.folder.names.clone(),
                ignored: config
                    .ignore_extraction
                    .iter()
                    .map(|f| f.folder.names.clone())
                    .collect(),
            },
            folder_ttl: config.cache.listing_ttl,
            alfresco_url: config
                .repository
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            share_url: config
                .share
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            content_app_url: content_app_next_to(config.share.base_url.as_str()),
            attach_content: config.virtual_view.attach_content,
            locale: config.virtual_view.locale.clone(),
            time_zone: config.virtual_view.timezone.clone(),
            templates_dir: config.virtual_view.templates_dir.clone(),
            message_cache_entries: config.cache.message_entries,
            message_cache_bytes: config.cache.message_bytes,
        }
    }

    /// Defaults for tests: the shipped mount point, homes in `Imap Home`.
    pub fn for_tests(alfresco_url: &str) -> Self {
        Self {
            home_location: HomeLocation::ImapHome,
            home_root: vec!["Imap Home".into()],
            mounts: vec![MountSettings {
                name: "Alfresco IMAP".into(),
                mode: ViewMode::Mixed,
                path: Vec::new(),
            }],
            special: SpecialNames {
                sent: "Sent".into(),
                drafts: "Drafts".into(),
                junk: "Junk".into(),
                archive: "Archive".into(),
                trash: "Trash".into(),
            },
            excluded: vec![vec!["Imap Home".into()], vec!["Data Dictionary".into()]],
            sites_list_all: false,
            allow_delete_repository_folders: false,
            drafts_delete_permanently: true,
            page_size: 1000,
            mail_from: "alfresco@demo.alfresco.org".into(),
            mail_to: "alfresco@demo.alfresco.org".into(),
            attachments: AttachmentSettings {
                enabled: true,
                mode: AttachmentsMode::Separate,
                common_folder: vec!["Imap Attachments".into()],
                ignored: Vec::new(),
            },
            folder_ttl: Duration::from_secs(30),
            alfresco_url: alfresco_url.trim_end_matches('/').to_owned(),
            share_url: alfresco_url
                .trim_end_matches('/')
                .trim_end_matches("/alfresco")
                .to_owned()
                + "/share",
            content_app_url: content_app_next_to(alfresco_url),
            attach_content: false,
            locale: "en".into(),
            time_zone: "UTC".into(),
            templates_dir: PathBuf::from("templates"),
            message_cache_entries: 2000,
            message_cache_bytes: 64 * 1024 * 1024,
        }
    }
}
