//! The body templates of generated messages: where each comes from, the order they are tried
//! in, and their texts kept by hash (design decisions 6 and 7, spec §5.1).
//!
//! A document inside a Share site uses the *Share* variants
//! (`emailbody_textplain_share.ftl`, `emailbody_texthtml_share.ftl`), any other document the
//! *Alfresco* variants (`…_alfresco.ftl`). For each, the candidates are, in order:
//!
//! 1. the repository folder `Data Dictionary/Imap Configs/Templates`, first the locale siblings
//!    of the server locale (`imap.sidecar.locale`; `de_DE` tries `…_de_DE.ftl`, then
//!    `…_de.ftl`), then the file itself; the folder is looked up through the REST API as the
//!    user, its listing reused for the listing TTL and a file downloaded again only when its
//!    `modifiedAt` or size changed;
//! 2. the same names in the project's `templates/` folder (`imap.sidecar.templates.dir`);
//! 3. the project's templates built into the binary, so a missing folder still works.
//!
//! A template that does not parse is left out (and logged); one that fails to render is
//! skipped at render time for the next. One server locale serves everybody, so all users see
//! the same bytes. Every text a rendering may use is kept in the state store by its hash
//! before any UID is pinned to it, so an old UID re-renders with its old text after an edit;
//! parsed templates are cached by hash.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::document::{TemplateChain, short_hash};
use super::errors::folder_error;
use super::session::lookup_path;
use crate::alfresco::{ChildrenQuery, Node, ROOT, RepoSession, WHERE_FILES};
use crate::clock::SharedClock;
use crate::mailbox::MailboxError;
use crate::state::StateStore;
use crate::template::{Template, TemplateError, unsupported_features};

/// The repository folder of templates, as names below Company Home
/// (`app:dictionary/app:imap_configs/app:imap_templates`).
pub const REPOSITORY_FOLDER: [&str; 3] = ["Data Dictionary", "Imap Configs", "Templates"];

/// The project's own templates, built in.
const EMBEDDED: [(&str, &str); 4] = [
    (
        "emailbody_textplain_alfresco.ftl",
        include_str!("../../../templates/emailbody_textplain_alfresco.ftl"),
    ),
    (
        "emailbody_texthtml_alfresco.ftl",
        include_str!("../../../templates/emailbody_texthtml_alfresco.ftl"),
    ),
    (
        "emailbody_textplain_share.ftl",
        include_str!("../../../templates/emailbody_textplain_share.ftl"),
    ),
    (
        "emailbody_texthtml_share.ftl",
        include_str!("../../../templates/emailbody_texthtml_share.ftl"),
    ),
];

/// Which body a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
    /// `text/plain`.
    Text,
    /// `text/html`.
    Html,
}

/// Which family of templates a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// Outside Share sites.
    Alfresco,
    /// Inside a Share site.
    Share,
}

/// The template's file name (`emailbody_textplain_share.ftl`).
pub(super) fn file_name(variant: Variant, body: Body) -> &'static str {
    match (variant, body) {
        (Variant::Alfresco, Body::Text) => "emailbody_textplain_alfresco.ftl",
        (Variant::Alfresco, Body::Html) => "emailbody_texthtml_alfresco.ftl",
        (Variant::Share, Body::Text) => "emailbody_textplain_share.ftl",
        (Variant::Share, Body::Html) => "emailbody_texthtml_share.ftl",
    }
}

/// The names tried for `name` in `locale`: the locale siblings, most specific first, then the
/// name itself (`emailbody_textplain_share_pt_BR.ftl`, `…_pt.ftl`, `….ftl`).
pub(super) fn localized_names(name: &str, locale: &str) -> Vec<String> {
    let stem = name.strip_suffix(".ftl").unwrap_or(name);
    let tag = locale.split(['.', '@']).next().unwrap_or("");
    let mut parts = tag.split(['_', '-']).filter(|p| !p.is_empty());
    let language = parts.next().map(str::to_ascii_lowercase);
    let country = parts.next().map(str::to_ascii_uppercase);
    let mut names = Vec::new();
    if let (Some(language), Some(country)) = (&language, &country) {
        names.push(format!("{stem}_{language}_{country}.ftl"));
    }
    if let Some(language) = &language {
        names.push(format!("{stem}_{language}.ftl"));
    }
    names.push(name.to_owned());
    names
}

/// The templates new messages use now, for each variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CurrentTemplates {
    /// Outside sites.
    pub alfresco: TemplateChain,
    /// Inside sites.
    pub share: TemplateChain,
}

impl CurrentTemplates {
    /// The chain of a variant.
    pub fn chain(&self, variant: Variant) -> &TemplateChain {
        match variant {
            Variant::Alfresco => &self.alfresco,
            Variant::Share => &self.share,
        }
    }
}

/// A template file of the repository folder, as last seen.
#[derive(Debug, Clone)]
struct RepositoryFile {
    id: String,
    modified: Option<DateTime<Utc>>,
    size: u64,
    /// The hash of its text, `None` when it cannot be used (unreadable, does not parse).
    hash: Option<String>,
}

#[derive(Debug, Default)]
struct LibraryState {
    /// When the candidates were last looked at.
    checked: Option<DateTime<Utc>>,
    /// The repository folder's node id, once found.
    folder: Option<String>,
    /// The folder's template files by lower-case name (names are case-insensitive there).
    repository: HashMap<String, RepositoryFile>,
    /// Hashes known to be in the state store.
    stored: HashSet<String>,
    /// The last result.
    current: Option<Arc<CurrentTemplates>>,
}

/// The body templates of one server (shared by all users).
pub(crate) struct TemplateLibrary {
    store: Arc<dyn StateStore>,
    dir: PathBuf,
    locale: String,
    ttl: Duration,
    clock: SharedClock,
    state: tokio::sync::Mutex<LibraryState>,
    parsed: Mutex<HashMap<String, Arc<Template>>>,
}

impl std::fmt::Debug for TemplateLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateLibrary")
            .field("dir", &self.dir)
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> MailboxError {
    MailboxError::Unavailable(format!("state store: {error}"))
}

impl TemplateLibrary {
    /// A library for `locale`, reading the project's templates from `dir` and looking at the
    /// repository folder again after `ttl`.
    pub fn new(
        store: Arc<dyn StateStore>,
        dir: PathBuf,
        locale: &str,
        ttl: Duration,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            dir,
            locale: locale.to_owned(),
            ttl,
            clock,
            state: tokio::sync::Mutex::new(LibraryState::default()),
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// The templates new messages use, looked up again when the last look is older than the
    /// TTL (`session` reads the repository folder).
    pub(super) async fn current(
        &self,
        session: &RepoSession,
    ) -> Result<Arc<CurrentTemplates>, MailboxError> {
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        if let (Some(current), Some(checked)) = (&state.current, state.checked) {
            let age = (now - checked).to_std().unwrap_or(Duration::ZERO);
            if age < self.ttl {
                crate::ops::registry().record_cache(crate::ops::Cache::Templates, true);
                return Ok(current.clone());
            }
        }
        crate::ops::registry().record_cache(crate::ops::Cache::Templates, false);
        self.refresh_repository(&mut state, session).await?;
        let mut chains = Vec::new();
        for variant in [Variant::Alfresco, Variant::Share] {
            let mut chain = TemplateChain::default();
            for body in [Body::Text, Body::Html] {
                let hashes = self.candidates(&mut state, variant, body).await?;
                match body {
                    Body::Text => chain.text = hashes,
                    Body::Html => chain.html = hashes,
                }
            }
            chains.push(chain);
        }
        let share = chains.pop().unwrap_or_default();
        let alfresco = chains.pop().unwrap_or_default();
        let current = Arc::new(CurrentTemplates { alfresco, share });
        state.current = Some(current.clone());
        state.checked = Some(now);
        Ok(current)
    }

    /// The parsed template of a hash: from memory, else from the state store. `None` when the
    /// text is unknown or does not parse (both logged); an error when the store fails, so that
    /// a transient failure never renders other bytes.
    pub async fn template(&self, hash: &str) -> Result<Option<Arc<Template>>, MailboxError> {
        let parsed = self.parsed_template(hash);
        crate::ops::registry().record_cache(crate::ops::Cache::ParsedTemplates, parsed.is_some());
        if let Some(template) = parsed {
            return Ok(Some(template));
        }
        let Some(text) = self.store.template(hash).await.map_err(unavailable)? else {
            tracing::error!(
                hash,
                "a pinned template text is missing from the state store"
            );
            return Ok(None);
        };
        Ok(self.parse(hash, hash, &text))
    }

    fn parsed_template(&self, hash: &str) -> Option<Arc<Template>> {
        self.parsed.lock().ok()?.get(hash).cloned()
    }

    /// Parses and caches a text; `None` (logged) when it does not parse.
    fn parse(&self, hash: &str, name: &str, text: &str) -> Option<Arc<Template>> {
        if let Some(template) = self.parsed_template(hash) {
            return Some(template);
        }
        match Template::parse(name, text) {
            Ok(template) => {
                let template = Arc::new(template);
                if let Ok(mut parsed) = self.parsed.lock() {
                    parsed.insert(hash.to_owned(), template.clone());
                }
                Some(template)
            }
            Err(error) => {
                tracing::warn!(%error, "a body template cannot be used; the next candidate is used instead");
                None
            }
        }
    }

    /// Keeps a text: parsed, and stored by hash. Returns its hash, or `None` when it does not
    /// parse.
    async fn keep(
        &self,
        state: &mut LibraryState,
        name: &str,
        text: &str,
    ) -> Result<Option<String>, MailboxError> {
        let hash = short_hash(text.as_bytes(), 16);
        if self.parse(&hash, name, text).is_none() {
            return Ok(None);
        }
        if !state.stored.contains(&hash) {
            self.store
                .put_template(&hash, text)
                .await
                .map_err(unavailable)?;
            state.stored.insert(hash.clone());
        }
        Ok(Some(hash))
    }

    /// The candidates of one template, as hashes in the order they are tried.
    async fn candidates(
        &self,
        state: &mut LibraryState,
        variant: Variant,
        body: Body,
    ) -> Result<Vec<String>, MailboxError> {
        let name = file_name(variant, body);
        let names = localized_names(name, &self.locale);
        let mut hashes: Vec<String> = Vec::new();
        for candidate in &names {
            if let Some(hash) = state
                .repository
                .get(&candidate.to_lowercase())
                .and_then(|f| f.hash.clone())
            {
                hashes.push(hash);
            }
        }
        for candidate in &names {
            if let Some(text) = read_template_file(&self.dir, candidate).await
                && let Some(hash) = self.keep(state, candidate, &text).await?
            {
                hashes.push(hash);
            }
        }
        if let Some((_, text)) = EMBEDDED.iter().find(|(n, _)| *n == name)
            && let Some(hash) = self.keep(state, name, text).await?
        {
            hashes.push(hash);
        }
        let mut seen = HashSet::new();
        hashes.retain(|h| seen.insert(h.clone()));
        Ok(hashes)
    }

    /// Looks at the repository folder again: one listing, and a download of each template
    /// file that is new or changed. Failures keep what was known (logged).
    async fn refresh_repository(
        &self,
        state: &mut LibraryState,
        session: &RepoSession,
    ) -> Result<(), MailboxError> {
        let files = match state.folder.clone() {
            Some(folder) => match list_templates(session, &folder).await {
                Ok(files) => files,
                Err(error) if error.is_not_found() => {
                    state.folder = None;
                    state.repository.clear();
                    return Ok(());
                }
                Err(error) => {
                    tracing::warn!(%error, "the repository's IMAP templates cannot be listed");
                    return Ok(());
                }
            },
            // Not found yet: the folder is found and listed in one call.
            None => match list_templates_by_path(session).await {
                Ok(Some((folder, files))) => {
                    state.folder = folder;
                    files
                }
                Ok(None) => return Ok(()),
                Err(error) => {
                    tracing::warn!(%error, "the repository's IMAP templates folder cannot be read");
                    return Ok(());
                }
            },
        };
        let mut seen = HashMap::new();
        for file in files {
            let key = file.name.to_lowercase();
            if !(key.starts_with("emailbody_") && key.ends_with(".ftl")) {
                continue;
            }
            let modified = file.modified_at;
            let size = file.size().unwrap_or(0);
            let known = state
                .repository
                .get(&key)
                .filter(|f| f.id == file.id && f.modified == modified && f.size == size)
                .cloned();
            let entry = match known {
                Some(entry) => entry,
                None => {
                    let hash = match download_text(session, &file.id).await {
                        Ok(text) => self.keep(state, &file.name, &text).await?,
                        Err(error) => {
                            tracing::warn!(template = %file.name, %error, "a repository template cannot be read");
                            None
                        }
                    };
                    RepositoryFile {
                        id: file.id.clone(),
                        modified,
                        size,
                        hash,
                    }
                }
            };
            seen.insert(key, entry);
        }
        state.repository = seen;
        Ok(())
    }
}

/// The repository templates folder's node id; `None` when it does not exist or the user may
/// not read it.
async fn find_folder(session: &RepoSession) -> Result<Option<String>, MailboxError> {
    let names: Vec<String> = REPOSITORY_FOLDER.iter().map(|n| n.to_string()).collect();
    match lookup_path(session, ROOT, &names).await {
        Ok(node) => Ok(Some(node.id)),
        Err(MailboxError::NotFound | MailboxError::NoPermission(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The files of the templates folder with what revalidation needs.
async fn list_templates(
    session: &RepoSession,
    folder: &str,
) -> Result<Vec<Node>, crate::alfresco::RestError> {
    Ok(session
        .all_children(folder, &templates_query())
        .await?
        .items)
}

/// The query for the templates folder's files, with what revalidation needs.
fn templates_query() -> ChildrenQuery {
    ChildrenQuery {
        max_items: Some(100),
        filter: Some(WHERE_FILES.into()),
        fields: vec![
            "id".into(),
            "name".into(),
            "modifiedAt".into(),
            "content".into(),
        ],
        ..ChildrenQuery::default()
    }
}

/// The files of the templates folder found by its path, in one call (`relativePath` below
/// Company Home), with the folder's node id once a file shows it. `None` when the folder does
/// not exist, the user may not read it, or its names differ from [`REPOSITORY_FOLDER`] in case
/// (the repository matches `relativePath` without regard to case; the folder is looked up by
/// exact name, as [`lookup_path`] does).
async fn list_templates_by_path(
    session: &RepoSession,
) -> Result<Option<(Option<String>, Vec<Node>)>, crate::alfresco::RestError> {
    let mut query = templates_query();
    query.fields.push("parentId".into());
    query.include = vec![crate::alfresco::Include::Path];
    query.relative_path = Some(REPOSITORY_FOLDER.join("/"));
    let files = match session.all_children(ROOT, &query).await {
        Ok(pages) => pages.items,
        Err(error) if error.is_not_found() || error.is_forbidden() => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(first) = files.first() else {
        return Ok(Some((None, files)));
    };
    let names: Vec<&str> = first
        .path
        .as_ref()
        .map(|p| p.elements.iter().map(|e| e.name.as_str()).collect())
        .unwrap_or_default();
    let exact = names.len() >= REPOSITORY_FOLDER.len()
        && names[names.len() - REPOSITORY_FOLDER.len()..] == REPOSITORY_FOLDER;
    if !exact {
        return Ok(None);
    }
    Ok(Some((first.parent_id.clone(), files)))
}

/// A template file's text (UTF-8).
async fn download_text(session: &RepoSession, id: &str) -> Result<String, String> {
    let bytes = session
        .download(id, None)
        .await
        .map_err(|e| e.to_string())?
        .bytes()
        .await
        .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "the template is not UTF-8".to_owned())
}

/// A template file of the project's folder, if it is there (a missing folder or file is
/// normal; anything else is logged).
async fn read_template_file(dir: &Path, name: &str) -> Option<String> {
    match tokio::fs::read(dir.join(name)).await {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                tracing::warn!(template = name, dir = %dir.display(), "a template file is not UTF-8");
                None
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            tracing::warn!(template = name, dir = %dir.display(), %error, "a template file cannot be read");
            None
        }
    }
}

/// One template and what in it this server cannot render (`alfresco-imap check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateReport {
    /// The file name.
    pub name: String,
    /// What cannot be rendered (empty: the template is fine), with line and column; a file
    /// that cannot be read has one problem saying why.
    pub problems: Vec<String>,
}

/// Checks every `.ftl` file of the repository's IMAP templates folder for features this
/// server does not support ([`unsupported_features`]), as `session`'s user. No folder, or a
/// folder the user may not read, gives an empty report. This is what `alfresco-imap check`
/// calls for its template section.
pub async fn check_repository_templates(
    session: &RepoSession,
) -> Result<Vec<TemplateReport>, MailboxError> {
    let Some(folder) = find_folder(session).await? else {
        return Ok(Vec::new());
    };
    let mut files = list_templates(session, &folder)
        .await
        .map_err(folder_error)?;
    files.retain(|f| f.name.to_lowercase().ends_with(".ftl"));
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut reports = Vec::new();
    for file in files {
        let problems = match download_text(session, &file.id).await {
            Ok(text) => unsupported_features(&file.name, &text)
                .iter()
                .map(TemplateError::to_string)
                .collect(),
            Err(error) => vec![format!("{}: cannot be read: {error}", file.name)],
        };
        reports.push(TemplateReport {
            name: file.name,
            problems,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_siblings_come_first() {
        assert_eq!(
            localized_names("emailbody_textplain_share.ftl", "pt_BR"),
            vec![
                "emailbody_textplain_share_pt_BR.ftl",
                "emailbody_textplain_share_pt.ftl",
                "emailbody_textplain_share.ftl"
            ]
        );
        assert_eq!(
            localized_names("emailbody_texthtml_alfresco.ftl", "de"),
            vec![
                "emailbody_texthtml_alfresco_de.ftl",
                "emailbody_texthtml_alfresco.ftl"
            ]
        );
        assert_eq!(
            localized_names("x.ftl", "de-de.UTF-8"),
            vec!["x_de_DE.ftl", "x_de.ftl", "x.ftl"]
        );
        assert_eq!(localized_names("x.ftl", ""), vec!["x.ftl"]);
    }

    #[test]
    fn our_templates_use_only_supported_features() {
        for (name, text) in EMBEDDED {
            assert_eq!(unsupported_features(name, text), Vec::new(), "{name}");
            Template::parse(name, text).unwrap();
        }
    }

    #[tokio::test]
    async fn the_project_folder_overrides_the_built_in_templates_and_texts_are_stored() {
        let clock = crate::clock::system();
        let store: Arc<dyn StateStore> =
            Arc::new(crate::state::sqlite::SqliteStore::open_in_memory(clock.clone()).unwrap());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("emailbody_textplain_share_de.ftl"),
            "Hallo ${document.name}",
        )
        .unwrap();
        std::fs::write(dir.path().join("emailbody_texthtml_share.ftl"), "<#if").unwrap();
        let library = TemplateLibrary::new(
            store.clone(),
            dir.path().to_owned(),
            "de_DE",
            Duration::from_secs(60),
            clock,
        );
        let mut state = LibraryState::default();
        let text = library
            .candidates(&mut state, Variant::Share, Body::Text)
            .await
            .unwrap();
        assert_eq!(text.len(), 2, "ours in the folder, then the built-in one");
        assert_eq!(
            store.template(&text[0]).await.unwrap().as_deref(),
            Some("Hallo ${document.name}")
        );
        let html = library
            .candidates(&mut state, Variant::Share, Body::Html)
            .await
            .unwrap();
        assert_eq!(html.len(), 1, "a template that does not parse is left out");
        assert_eq!(
            store.template(&html[0]).await.unwrap().as_deref(),
            Some(EMBEDDED[3].1)
        );
        let fresh = TemplateLibrary::new(
            store,
            PathBuf::from("/nonexistent"),
            "en",
            Duration::ZERO,
            crate::clock::system(),
        );
        let template = fresh.template(&text[0]).await.unwrap().unwrap();
        assert_eq!(template.name(), text[0]);
        assert!(fresh.template("unknown").await.unwrap().is_none());
    }
}
