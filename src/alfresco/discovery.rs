//! The discovery document (`GET /api/discovery`): edition, version, status, modules.

use serde::{Deserialize, Serialize};

use super::client::Call;
use super::error::RestError;
use super::route::Api;
use super::session::RepoSession;

/// What the repository says about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositoryInfo {
    /// The repository id (stands in for the old `X-Alfresco-Server-UID`).
    pub id: String,
    /// `Community` or `Enterprise`.
    pub edition: String,
    /// The version.
    pub version: VersionInfo,
    /// What is switched on.
    pub status: StatusInfo,
    /// The licence (Enterprise), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<serde_json::Value>,
    /// Installed modules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<ModuleInfo>,
}

/// A repository version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VersionInfo {
    /// Major.
    pub major: String,
    /// Minor.
    pub minor: String,
    /// Patch.
    pub patch: String,
    /// Hotfix.
    pub hotfix: String,
    /// Database schema number.
    pub schema: i64,
    /// Label.
    pub label: String,
    /// The whole version as text.
    pub display: String,
}

/// Repository status flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StatusInfo {
    /// Writes are refused.
    pub is_read_only: bool,
    /// Auditing is on.
    pub is_audit_enabled: bool,
    /// Quick shares are on.
    pub is_quick_share_enabled: bool,
    /// Thumbnails are generated.
    pub is_thumbnail_generation_enabled: bool,
    /// Direct access URLs are on.
    pub is_direct_access_url_enabled: bool,
}

/// An installed module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ModuleInfo {
    /// Module id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Version.
    pub version: String,
    /// e.g. `INSTALLED`.
    pub install_state: String,
}

impl RepoSession {
    /// The discovery document (`GET /alfresco/api/discovery`).
    pub async fn discovery(&self) -> Result<RepositoryInfo, RestError> {
        #[derive(Deserialize)]
        struct Entry {
            repository: RepositoryInfo,
        }
        let entry: Entry = self
            .entry(Call::get(Api::Discovery, "/discovery", &[]))
            .await?;
        Ok(entry.repository)
    }
}
