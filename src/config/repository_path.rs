//! Repository paths as Alfresco writes them in configuration: XPath steps of prefixed QNames
//! (`/app:company_home/st:sites/cm:swsdp/cm:documentLibrary`, `cm:Imap Home`), local names
//! escaped with ISO 9075 (`cm:My_x0020_Folder`).
//!
//! REST v1 cannot evaluate such a path, so each step is turned into the folder *name* it stands
//! for: the bootstrap folders (`app:company_home`, `app:dictionary`, `st:sites`, ...) have fixed
//! names, any other step is named by its decoded local name (which is how Alfresco names folders it
//! creates from a path). Resolving the names to node ids, below Company Home, is left to the
//! repository client.

use std::fmt;

/// Names of Alfresco's bootstrap folders, by QName (from the repository's `spaces.*.childname`
/// and `spaces.*.name` values).
const BOOTSTRAP_NAMES: &[(&str, &str)] = &[
    ("app:company_home", "Company Home"),
    ("app:dictionary", "Data Dictionary"),
    ("app:guest_home", "Guest Home"),
    ("app:user_homes", "User Homes"),
    ("app:shared", "Shared"),
    ("st:sites", "Sites"),
    ("app:imap_configs", "Imap Configs"),
    ("app:imap_templates", "Templates"),
    ("app:space_templates", "Space Templates"),
    ("app:content_templates", "Presentation Templates"),
    ("app:email_templates", "Email Templates"),
    ("app:invite_email_templates", "Invite Email Templates"),
    ("app:notify_email_templates", "Notify Email Templates"),
    ("app:following", "Following Email Templates"),
    ("app:rss_templates", "RSS Templates"),
    ("app:email_actions", "Email Actions"),
    ("app:saved_searches", "Saved Searches"),
    ("app:scripts", "Scripts"),
    ("app:forms", "Forms"),
    ("app:models", "Models"),
    ("app:workflow_defs", "Workflow Definitions"),
    ("app:node_templates", "Node Templates"),
    ("app:transfers", "Transfers"),
    ("app:transfer_groups", "Transfer Target Groups"),
    ("app:temp", "Temp"),
    ("app:inbound_transfer_records", "Inbound Transfer Records"),
    ("app:rendering_actions", "Rendering Actions Space"),
    ("app:replication_actions", "Replication Actions Space"),
    ("app:smart_folders", "Smart Folder Templates"),
    ("app:smart_downloads", "Smart Folder Downloads"),
    (
        "app:quick_share_link_expiry_actions",
        "Quick Share Link Expiry Actions Space",
    ),
];

/// One step of a path: an optional namespace prefix and the decoded local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathSegment {
    /// `app`, `cm`, `st`, ...; `None` for a bare name (taken as a folder name).
    pub prefix: Option<String>,
    /// The local name with ISO 9075 escapes decoded (`My Folder` for `My_x0020_Folder`).
    pub local_name: String,
}

impl PathSegment {
    /// The `cm:name` of the folder this step stands for: the bootstrap name for the known
    /// `app:`/`st:` QNames, otherwise the local name.
    pub fn folder_name(&self) -> &str {
        if let Some(prefix) = &self.prefix {
            for (qname, name) in BOOTSTRAP_NAMES {
                if let Some((p, local)) = qname.split_once(':')
                    && p == prefix
                    && local == self.local_name
                {
                    return name;
                }
            }
        }
        &self.local_name
    }

    /// True for `app:company_home`, the folder REST calls `-root-`.
    pub fn is_company_home(&self) -> bool {
        self.prefix.as_deref() == Some("app") && self.local_name == "company_home"
    }
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.prefix {
            Some(prefix) => write!(f, "{prefix}:{}", self.local_name),
            None => write!(f, "{}", self.local_name),
        }
    }
}

/// A parsed path: absolute (`rootPath`, from the store root) or relative (`folderPath`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RepositoryPath {
    /// The path as written in the configuration.
    pub text: String,
    /// True when written with a leading `/`.
    pub absolute: bool,
    /// The steps, in order; empty for `/` or an empty relative path.
    pub segments: Vec<PathSegment>,
}

impl RepositoryPath {
    /// Parses an absolute path; it must start with `/`. A single trailing `/` is ignored.
    pub fn parse_absolute(text: &str) -> Result<Self, PathError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PathError::NotAbsolute);
        };
        Ok(Self {
            text: text.to_string(),
            absolute: true,
            segments: parse_segments(rest)?,
        })
    }

    /// Parses a relative path (`cm:Imap Home`, `cm:Projects/cm:T1`); empty means "no steps".
    pub fn parse_relative(text: &str) -> Result<Self, PathError> {
        if text.starts_with('/') {
            return Err(PathError::NotRelative);
        }
        Ok(Self {
            text: text.to_string(),
            absolute: false,
            segments: parse_segments(text)?,
        })
    }

    /// True when there are no steps.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// Shows the path as written.
impl fmt::Display for RepositoryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The folder names below Company Home that `root` followed by `relative` stands for: what the
/// repository client resolves step by step (by `relativePath` from `-root-`). `root` must be
/// absolute and start at `/app:company_home`.
pub fn names_below_company_home(
    root: &RepositoryPath,
    relative: &RepositoryPath,
) -> Result<Vec<String>, PathError> {
    match root.segments.first() {
        Some(first) if first.is_company_home() => {}
        _ => return Err(PathError::OutsideCompanyHome),
    }
    Ok(root.segments[1..]
        .iter()
        .chain(&relative.segments)
        .map(|segment| segment.folder_name().to_string())
        .collect())
}

/// Why a path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// An absolute path without the leading `/`.
    #[error("it must start with /")]
    NotAbsolute,
    /// A relative path with a leading `/`.
    #[error("it must not start with /")]
    NotRelative,
    /// `//`, or a step with nothing in it.
    #[error("it has an empty step")]
    EmptyStep,
    /// A predicate, wildcard, axis or function: only plain names are supported.
    #[error("step {0:?} is not a plain prefixed name such as cm:Folder")]
    UnsupportedStep(String),
    /// A prefix that is not a namespace prefix.
    #[error("step {0:?} has an invalid namespace prefix")]
    BadPrefix(String),
    /// The path does not start at Company Home, which is all the REST API can reach.
    #[error("it must start at /app:company_home, the only root the REST API can reach")]
    OutsideCompanyHome,
}

fn parse_segments(text: &str) -> Result<Vec<PathSegment>, PathError> {
    let text = text.strip_suffix('/').unwrap_or(text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split('/').map(parse_segment).collect()
}

fn parse_segment(step: &str) -> Result<PathSegment, PathError> {
    if step.is_empty() {
        return Err(PathError::EmptyStep);
    }
    if step == "." || step == ".." || step.contains(['[', ']', '@', '*', '(', ')', '{', '}']) {
        return Err(PathError::UnsupportedStep(step.to_string()));
    }
    let (prefix, local) = match step.split_once(':') {
        Some((prefix, local)) => {
            let valid = prefix
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(PathError::BadPrefix(step.to_string()));
            }
            (Some(prefix.to_string()), local)
        }
        None => (None, step),
    };
    if local.is_empty() {
        return Err(PathError::EmptyStep);
    }
    Ok(PathSegment {
        prefix,
        local_name: decode_iso9075(local),
    })
}

/// Decodes ISO 9075 escapes: `_xHHHH_` (and `_xHHHHHHHH_`) stand for the character with that hex
/// code; a UTF-16 surrogate pair written as two escapes gives one character. Anything that is not
/// a well-formed escape is kept as written.
pub fn decode_iso9075(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut pending_high: Option<u32> = None;
    while !rest.is_empty() {
        if let Some((code, length)) = escape_at(rest) {
            rest = &rest[length..];
            match (pending_high.take(), code) {
                (Some(high), 0xDC00..=0xDFFF) => {
                    let combined = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00);
                    out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                }
                (high, 0xD800..=0xDBFF) => {
                    if high.is_some() {
                        out.push('\u{fffd}');
                    }
                    pending_high = Some(code);
                }
                (high, code) => {
                    if high.is_some() {
                        out.push('\u{fffd}');
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
            }
            continue;
        }
        if pending_high.take().is_some() {
            out.push('\u{fffd}');
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    if pending_high.is_some() {
        out.push('\u{fffd}');
    }
    out
}

/// An escape at the start of `text`: its code and its length in bytes.
fn escape_at(text: &str) -> Option<(u32, usize)> {
    let body = text.strip_prefix("_x")?;
    for digits in [4usize, 8] {
        let hex = body.get(..digits)?;
        if hex.chars().all(|c| c.is_ascii_hexdigit()) && body.get(digits..digits + 1) == Some("_") {
            let code = u32::from_str_radix(hex, 16).ok()?;
            return Some((code, 2 + digits + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(prefix: &str, local: &str) -> PathSegment {
        PathSegment {
            prefix: Some(prefix.to_string()),
            local_name: local.to_string(),
        }
    }

    #[test]
    fn parses_a_site_document_library() {
        let path = RepositoryPath::parse_absolute(
            "/app:company_home/st:sites/cm:swsdp/cm:documentLibrary",
        )
        .unwrap();
        assert_eq!(
            path.segments,
            vec![
                seg("app", "company_home"),
                seg("st", "sites"),
                seg("cm", "swsdp"),
                seg("cm", "documentLibrary")
            ]
        );
        assert_eq!(
            path.to_string(),
            "/app:company_home/st:sites/cm:swsdp/cm:documentLibrary"
        );
        assert_eq!(
            names_below_company_home(&path, &RepositoryPath::default()).unwrap(),
            vec!["Sites", "swsdp", "documentLibrary"]
        );
    }

    #[test]
    fn relative_folder_path_with_spaces_and_escapes() {
        let root = RepositoryPath::parse_absolute("/app:company_home").unwrap();
        let folder = RepositoryPath::parse_relative("cm:Imap Home").unwrap();
        assert_eq!(
            names_below_company_home(&root, &folder).unwrap(),
            vec!["Imap Home"]
        );
        let folder = RepositoryPath::parse_relative("cm:My_x0020_Projects/cm:T_x0031_").unwrap();
        assert_eq!(folder.segments[0].local_name, "My Projects");
        assert_eq!(folder.segments[1].local_name, "T1");
        assert!(RepositoryPath::parse_relative("").unwrap().is_empty());
    }

    #[test]
    fn bootstrap_names() {
        let path = RepositoryPath::parse_absolute(
            "/app:company_home/app:dictionary/app:imap_configs/app:imap_templates",
        )
        .unwrap();
        assert_eq!(
            names_below_company_home(&path, &RepositoryPath::default()).unwrap(),
            vec!["Data Dictionary", "Imap Configs", "Templates"]
        );
        for (qname, name) in [
            ("app:user_homes", "User Homes"),
            ("app:shared", "Shared"),
            ("app:guest_home", "Guest Home"),
            ("st:sites", "Sites"),
            ("app:company_home", "Company Home"),
            // A cm: step is its local name, even when it looks like a bootstrap name.
            ("cm:dictionary", "dictionary"),
        ] {
            let (prefix, local) = qname.split_once(':').unwrap();
            assert_eq!(seg(prefix, local).folder_name(), name);
        }
    }

    #[test]
    fn rejections() {
        assert_eq!(
            RepositoryPath::parse_absolute("app:company_home"),
            Err(PathError::NotAbsolute)
        );
        assert_eq!(
            RepositoryPath::parse_relative("/cm:x"),
            Err(PathError::NotRelative)
        );
        assert_eq!(
            RepositoryPath::parse_absolute("/app:company_home//cm:x"),
            Err(PathError::EmptyStep)
        );
        assert_eq!(
            RepositoryPath::parse_absolute("/app:company_home/*[@cm:name='x']"),
            Err(PathError::UnsupportedStep("*[@cm:name='x']".into()))
        );
        assert_eq!(
            RepositoryPath::parse_absolute("/app:company_home/1x:y"),
            Err(PathError::BadPrefix("1x:y".into()))
        );
        assert_eq!(
            RepositoryPath::parse_relative("cm:"),
            Err(PathError::EmptyStep)
        );
        let outside = RepositoryPath::parse_absolute("/sys:system").unwrap();
        assert_eq!(
            names_below_company_home(&outside, &RepositoryPath::default()),
            Err(PathError::OutsideCompanyHome)
        );
        let root = RepositoryPath::parse_absolute("/").unwrap();
        assert!(root.is_empty());
        assert_eq!(
            names_below_company_home(&root, &RepositoryPath::default()),
            Err(PathError::OutsideCompanyHome)
        );
    }

    #[test]
    fn trailing_slash_and_bare_names() {
        let path = RepositoryPath::parse_absolute("/app:company_home/").unwrap();
        assert_eq!(path.segments, vec![seg("app", "company_home")]);
        let bare = RepositoryPath::parse_relative("Imap Home").unwrap();
        assert_eq!(bare.segments[0].prefix, None);
        assert_eq!(bare.segments[0].folder_name(), "Imap Home");
    }

    #[test]
    fn iso9075_decoding() {
        assert_eq!(decode_iso9075("My_x0020_Folder"), "My Folder");
        assert_eq!(decode_iso9075("_x0031_23"), "123");
        assert_eq!(decode_iso9075("a_x002C_b"), "a,b");
        assert_eq!(decode_iso9075("M_x00FC_ller"), "Müller");
        assert_eq!(decode_iso9075("_x0001F600_"), "😀");
        assert_eq!(decode_iso9075("_xD83D__xDE00_"), "😀");
        // Not escapes: kept as written.
        assert_eq!(decode_iso9075("a_x00_b"), "a_x00_b");
        assert_eq!(decode_iso9075("a_xZZZZ_b"), "a_xZZZZ_b");
        assert_eq!(decode_iso9075("snake_case_name"), "snake_case_name");
        assert_eq!(decode_iso9075("_x0020"), "_x0020");
        // A lone surrogate becomes the replacement character.
        assert_eq!(decode_iso9075("_xD83D_x"), "\u{fffd}x");
    }
}
