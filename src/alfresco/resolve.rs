//! Configured repository folders to node ids, as one user sees them.
//!
//! A [`RepositoryFolder`] is Alfresco XPath (`/app:company_home/st:sites/cm:swsdp/
//! cm:documentLibrary`), which REST v1 cannot evaluate; the configuration module has already
//! turned each step into the folder name it stands for. [`resolve_folder`] finds that folder:
//!
//! - a path through `st:sites` starts at the site (`GET sites/{id}`, 404 for a private site the
//!   user is not a member of) and, when the next step is `documentLibrary`, at the site's document
//!   library container; any other path starts at Company Home (`-root-`);
//! - the remaining names are looked up in one call, `relativePath` with `include=path`;
//! - the repository matches `relativePath` names case-insensitively, so every name is then
//!   compared exactly: the node's own name, and its ancestors in `path.elements` down from the
//!   starting folder. When the path cannot confirm the walk (an ancestor the user cannot read cuts
//!   `path.elements` short, or the walk followed a secondary association), the names are looked
//!   up once more one at a time, each answer checked by its own name.

use super::error::RestError;
use super::model::{Node, PathInfo};
use super::nodes::ROOT;
use super::params::{Include, NodeQuery};
use super::session::RepoSession;
use super::sites::DOCUMENT_LIBRARY;
use crate::config::{PathSegment, RepositoryFolder};

/// Why a configured folder could not be found.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The path does not start at `/app:company_home`, the only root REST can reach.
    #[error("{path}: it must start at /app:company_home")]
    OutsideCompanyHome {
        /// The path as configured.
        path: String,
    },
    /// Nothing at the path, or something the user may not see (both are 404 to the user).
    #[error("{path}: {name:?} does not exist or this user cannot see it")]
    NotFound {
        /// The path as configured.
        path: String,
        /// The name that was not found (the site id for a site).
        name: String,
    },
    /// The repository has the step under another spelling (names match case-insensitively
    /// there, but a configured path names one folder exactly).
    #[error("{path}: {expected:?} is named {found:?} in the repository; names must match exactly")]
    NameMismatch {
        /// The path as configured.
        path: String,
        /// The name from the configuration.
        expected: String,
        /// The name in the repository.
        found: String,
    },
    /// The path ends at a document, not a folder.
    #[error("{path}: {name:?} is not a folder")]
    NotAFolder {
        /// The path as configured.
        path: String,
        /// The document's name.
        name: String,
    },
    /// Any other failure of a repository call.
    #[error("{path}: {source}")]
    Rest {
        /// The path as configured.
        path: String,
        /// The failure.
        #[source]
        source: Box<RestError>,
    },
}

/// The folder a walk starts from, and the names still to look up below it.
struct Start<'a> {
    /// A node id, or [`ROOT`].
    node_id: String,
    names: Vec<&'a str>,
}

/// Finds the node id of `folder` as the user of `session` sees it.
pub async fn resolve_folder(
    session: &RepoSession,
    folder: &RepositoryFolder,
) -> Result<String, ResolveError> {
    let path = display_path(folder);
    let steps = steps_below_company_home(folder)
        .ok_or_else(|| ResolveError::OutsideCompanyHome { path: path.clone() })?;
    let start = start_of(session, &steps, &path).await?;
    let Some((last, between)) = start.names.split_last() else {
        return match start.node_id.as_str() {
            // Company Home itself: one call to learn its id.
            ROOT => Ok(fetch(session, ROOT, None, false, &path, ROOT).await?.id),
            _ => Ok(start.node_id),
        };
    };
    let found = fetch(
        session,
        &start.node_id,
        Some(start.names.join("/")),
        true,
        &path,
        last,
    )
    .await;
    let node = match found {
        Ok(node)
            if node.name == *last
                && node
                    .path
                    .as_ref()
                    .is_some_and(|info| ancestors_match(info, &start.node_id, between)) =>
        {
            node
        }
        // Unconfirmed, or missing: the walk confirms each name or names the missing one.
        Ok(_) | Err(ResolveError::NotFound { .. }) => {
            walk(session, &start.node_id, &start.names, &path).await?
        }
        Err(error) => return Err(error),
    };
    if !node.is_folder {
        return Err(ResolveError::NotAFolder {
            path,
            name: node.name,
        });
    }
    Ok(node.id)
}

/// The configured path as one text: `rootPath`, then `folderPath` when there is one.
fn display_path(folder: &RepositoryFolder) -> String {
    let root = folder.root_path.text.trim_end_matches('/');
    if folder.folder_path.is_empty() {
        folder.root_path.text.clone()
    } else {
        format!("{root}/{}", folder.folder_path.text)
    }
}

/// The steps after `app:company_home`, or `None` when the path starts elsewhere.
fn steps_below_company_home(folder: &RepositoryFolder) -> Option<Vec<&PathSegment>> {
    let (first, rest) = folder.root_path.segments.split_first()?;
    if !first.is_company_home() {
        return None;
    }
    Some(rest.iter().chain(&folder.folder_path.segments).collect())
}

fn is_sites(segment: &PathSegment) -> bool {
    segment.prefix.as_deref() == Some("st") && segment.local_name == "sites"
}

/// Where to start: the site's document library or the site for a path through `st:sites`,
/// otherwise Company Home.
async fn start_of<'a>(
    session: &RepoSession,
    steps: &[&'a PathSegment],
    path: &str,
) -> Result<Start<'a>, ResolveError> {
    let names = |from: usize| -> Vec<&'a str> {
        steps
            .iter()
            .skip(from)
            .map(|segment| segment.folder_name())
            .collect()
    };
    let site_id = match steps {
        [sites, site, ..] if is_sites(sites) => site.folder_name(),
        _ => {
            return Ok(Start {
                node_id: ROOT.to_string(),
                names: names(0),
            });
        }
    };
    let site = session
        .site(site_id)
        .await
        .map_err(|error| rest_error(error, path, site_id))?;
    exact(&site.id, site_id, path)?;
    if steps.get(2).map(|s| s.folder_name()) == Some(DOCUMENT_LIBRARY) {
        let library = session
            .document_library(site_id)
            .await
            .map_err(|error| rest_error(error, path, DOCUMENT_LIBRARY))?;
        exact(&library.id, DOCUMENT_LIBRARY, path)?;
        return Ok(Start {
            node_id: library.folder_id,
            names: names(3),
        });
    }
    Ok(Start {
        node_id: site.guid,
        names: names(2),
    })
}

/// One `GET nodes/{id}` (with `relativePath`, and `include=path` when asked).
async fn fetch(
    session: &RepoSession,
    node_id: &str,
    relative_path: Option<String>,
    with_path: bool,
    path: &str,
    name: &str,
) -> Result<Node, ResolveError> {
    let query = NodeQuery {
        include: if with_path {
            vec![Include::Path]
        } else {
            Vec::new()
        },
        relative_path,
        ..Default::default()
    };
    session
        .node(node_id, &query)
        .await
        .map_err(|error| rest_error(error, path, name))
}

/// True when `info` shows the walk went from `start` through folders named exactly `between`.
/// `path.elements` runs from the top down to the node's parent, cut short at the top when the
/// user cannot read an ancestor.
fn ancestors_match(info: &PathInfo, start: &str, between: &[&str]) -> bool {
    let elements = &info.elements;
    let Some(start_index) = elements.len().checked_sub(between.len() + 1) else {
        return false;
    };
    let names_match = elements[start_index + 1..]
        .iter()
        .zip(between)
        .all(|(element, name)| element.name == *name);
    // Company Home is the first element of a complete path.
    let start_matches = if start == ROOT {
        start_index == 0 && info.is_complete == Some(true)
    } else {
        elements[start_index].id == start
    };
    names_match && start_matches
}

/// Looks `names` up one at a time from `start`, checking each answer's name exactly.
async fn walk(
    session: &RepoSession,
    start: &str,
    names: &[&str],
    path: &str,
) -> Result<Node, ResolveError> {
    let mut current = start.to_string();
    let mut node = None;
    for name in names {
        let found = fetch(session, &current, Some(name.to_string()), false, path, name).await?;
        exact(&found.name, name, path)?;
        current = found.id.clone();
        node = Some(found);
    }
    // Only called with at least one name.
    node.ok_or_else(|| ResolveError::NotFound {
        path: path.to_string(),
        name: String::new(),
    })
}

fn exact(found: &str, expected: &str, path: &str) -> Result<(), ResolveError> {
    if found == expected {
        return Ok(());
    }
    Err(ResolveError::NameMismatch {
        path: path.to_string(),
        expected: expected.to_string(),
        found: found.to_string(),
    })
}

fn rest_error(error: RestError, path: &str, name: &str) -> ResolveError {
    if error.is_not_found() {
        ResolveError::NotFound {
            path: path.to_string(),
            name: name.to_string(),
        }
    } else {
        ResolveError::Rest {
            path: path.to_string(),
            source: Box::new(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alfresco::PathElement;
    use crate::config::RepositoryPath;

    fn element(id: &str, name: &str) -> PathElement {
        PathElement {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn info(complete: bool, elements: &[(&str, &str)]) -> PathInfo {
        PathInfo {
            name: String::new(),
            is_complete: Some(complete),
            elements: elements.iter().map(|(i, n)| element(i, n)).collect(),
        }
    }

    fn folder(root: &str, relative: &str) -> RepositoryFolder {
        RepositoryFolder {
            root_path: RepositoryPath::parse_absolute(root).unwrap(),
            folder_path: RepositoryPath::parse_relative(relative).unwrap(),
            names: Vec::new(),
        }
    }

    #[test]
    fn ancestors_from_company_home() {
        let full = info(true, &[("ch", "Company Home"), ("ih", "Imap Home")]);
        assert!(ancestors_match(&full, ROOT, &["Imap Home"]));
        assert!(!ancestors_match(&full, ROOT, &["imap home"]));
        assert!(!ancestors_match(&full, ROOT, &[]));
        assert!(!ancestors_match(
            &full,
            ROOT,
            &["Company Home", "Imap Home"]
        ));
        // Cut short: Company Home is not known to be the top.
        let cut = info(false, &[("ch", "Company Home"), ("ih", "Imap Home")]);
        assert!(!ancestors_match(&cut, ROOT, &["Imap Home"]));
    }

    #[test]
    fn ancestors_from_a_known_folder() {
        let cut = info(false, &[("lib", "documentLibrary"), ("c", "Campaigns")]);
        assert!(ancestors_match(&cut, "lib", &["Campaigns"]));
        assert!(!ancestors_match(&cut, "other", &["Campaigns"]));
        assert!(!ancestors_match(&cut, "lib", &["campaigns"]));
        assert!(ancestors_match(
            &info(true, &[("ch", "Company Home"), ("lib", "documentLibrary")]),
            "lib",
            &[]
        ));
    }

    #[test]
    fn steps_and_display_paths() {
        let site = folder(
            "/app:company_home/st:sites/cm:swsdp/cm:documentLibrary",
            "cm:My_x0020_Docs",
        );
        let names: Vec<&str> = steps_below_company_home(&site)
            .unwrap()
            .iter()
            .map(|s| s.folder_name())
            .collect();
        assert_eq!(names, ["Sites", "swsdp", "documentLibrary", "My Docs"]);
        assert!(is_sites(steps_below_company_home(&site).unwrap()[0]));
        assert_eq!(
            display_path(&site),
            "/app:company_home/st:sites/cm:swsdp/cm:documentLibrary/cm:My_x0020_Docs"
        );
        assert_eq!(
            display_path(&folder("/app:company_home/", "")),
            "/app:company_home/"
        );
        assert!(steps_below_company_home(&folder("/sys:system", "")).is_none());
        let plain = folder("/app:company_home", "cm:Sites");
        assert!(!is_sites(steps_below_company_home(&plain).unwrap()[0]));
    }
}
