//! `${key}` placeholders, resolved as Spring resolves them for Alfresco: on the merged layers, so a
//! placeholder in the shipped defaults sees a value set by `-D`; nested (`${a.${b}}`) and with a
//! fallback (`${key:fallback}`, used only when `key` has no value); `${localname}` is the host
//! name unless a layer sets the key `localname`.
//!
//! Every key is resolved. For keys under `imap.`, `alfresco.` and `share.` (and any key they refer
//! to) a placeholder that never resolves, or a cycle, is an error; other keys (an operator's
//! `db.url=${dir.root}/...`) keep their text as written, because this server never reads them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::error::{ConfigError, Problem};
use super::layers::{Setting, is_checked_key};

/// The deepest chain of placeholders followed before giving up.
pub(crate) const MAX_DEPTH: usize = 64;

/// The key whose value `${localname}` takes when set.
const LOCALNAME: &str = "localname";

/// The resolved map.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// Every key; a key that failed keeps its text as written.
    pub values: BTreeMap<String, Setting>,
    /// Checked keys that failed (their errors are in `errors`; don't report them again).
    pub failed: BTreeSet<String>,
    /// One error per unresolvable placeholder or cycle.
    pub errors: Vec<ConfigError>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Failure {
    /// `${name}` in the value of `in_key` has no value.
    Missing { name: String, in_key: String },
    /// The keys of a cycle, the first repeated at the end.
    Cycle(Vec<String>),
    /// Too deep, noticed in `in_key`.
    TooDeep { in_key: String },
}

struct Resolver<'a> {
    raw: &'a BTreeMap<String, Setting>,
    local_name: &'a str,
    done: HashMap<String, Result<String, Failure>>,
    stack: Vec<String>,
}

impl Resolver<'_> {
    fn key(&mut self, key: &str) -> Option<Result<String, Failure>> {
        if let Some(result) = self.done.get(key) {
            return Some(result.clone());
        }
        let setting = self.raw.get(key)?;
        if let Some(start) = self.stack.iter().position(|k| k == key) {
            let mut chain = self.stack[start..].to_vec();
            chain.push(key.to_string());
            return Some(Err(Failure::Cycle(chain)));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Some(Err(Failure::TooDeep {
                in_key: key.to_string(),
            }));
        }
        self.stack.push(key.to_string());
        let result = self.text(&setting.value, key);
        self.stack.pop();
        self.done.insert(key.to_string(), result.clone());
        Some(result)
    }

    fn text(&mut self, text: &str, owner: &str) -> Result<String, Failure> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(length) = closing_brace(&rest[start + 2..]) else {
                break;
            };
            out.push_str(&rest[..start]);
            let inner = &rest[start + 2..start + 2 + length];
            let name = self.text(inner, owner)?;
            out.push_str(&self.lookup(&name, owner)?);
            rest = &rest[start + 2 + length + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn lookup(&mut self, name: &str, owner: &str) -> Result<String, Failure> {
        if let Some(result) = self.key(name) {
            return result;
        }
        if name == LOCALNAME {
            return Ok(self.local_name.to_string());
        }
        if let Some((actual, fallback)) = name.split_once(':') {
            if let Some(result) = self.key(actual) {
                return result;
            }
            if actual == LOCALNAME {
                return Ok(self.local_name.to_string());
            }
            return self.text(fallback, owner);
        }
        Err(Failure::Missing {
            name: name.to_string(),
            in_key: owner.to_string(),
        })
    }
}

/// Length of the text up to the `}` that closes a `${` whose body starts `text`, allowing nesting.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'{') {
            depth += 1;
            index += 2;
            continue;
        }
        if bytes[index] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(index);
            }
        }
        index += 1;
    }
    None
}

/// Resolves every placeholder of `raw`; `local_name` is what `${localname}` stands for.
pub(crate) fn resolve(raw: &BTreeMap<String, Setting>, local_name: &str) -> Resolved {
    let mut resolver = Resolver {
        raw,
        local_name,
        done: HashMap::new(),
        stack: Vec::new(),
    };
    let mut resolved = Resolved::default();
    let mut reported = BTreeSet::new();
    for (key, setting) in raw {
        let result = resolver
            .key(key)
            .unwrap_or_else(|| Ok(setting.value.clone()));
        let value = match result {
            Ok(value) => value,
            Err(failure) => {
                if is_checked_key(key) {
                    resolved.failed.insert(key.clone());
                    if reported.insert(failure.clone()) {
                        resolved.errors.push(error_for(raw, failure));
                    }
                }
                setting.value.clone()
            }
        };
        resolved.values.insert(
            key.clone(),
            Setting {
                value,
                origin: setting.origin.clone(),
            },
        );
    }
    resolved
}

fn error_for(raw: &BTreeMap<String, Setting>, failure: Failure) -> ConfigError {
    let origin_of = |key: &str| raw.get(key).map(|s| s.origin.clone());
    match failure {
        Failure::Missing { name, in_key } => ConfigError::new(
            in_key.clone(),
            origin_of(&in_key),
            Problem::UnresolvedPlaceholder { name },
        ),
        Failure::Cycle(chain) => {
            let first = chain.first().cloned().unwrap_or_default();
            ConfigError::new(
                first.clone(),
                origin_of(&first),
                Problem::PlaceholderCycle { chain },
            )
        }
        Failure::TooDeep { in_key } => ConfigError::new(
            in_key.clone(),
            origin_of(&in_key),
            Problem::PlaceholdersTooDeep(MAX_DEPTH),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::origin::Origin;

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, Setting> {
        pairs
            .iter()
            .enumerate()
            .map(|(index, (k, v))| {
                (
                    k.to_string(),
                    Setting {
                        value: v.to_string(),
                        origin: Origin::File {
                            path: "/etc/alfresco-global.properties".into(),
                            line: index + 1,
                        },
                    },
                )
            })
            .collect()
    }

    fn get<'a>(resolved: &'a Resolved, key: &str) -> &'a str {
        &resolved.values[key].value
    }

    #[test]
    fn simple_nested_and_repeated() {
        let r = resolve(
            &raw(&[
                ("dir.root", "/srv/alf_data"),
                ("imap.sidecar.data.dir", "${dir.root}/imap"),
                (
                    "imap.sidecar.state.url",
                    "sqlite:${imap.sidecar.data.dir}/state.db",
                ),
                ("which", "root"),
                ("imap.x", "${dir.${which}}|${which}${which}"),
                ("imap.plain", "no placeholder $ { } ${"),
            ]),
            "host",
        );
        assert_eq!(r.errors, vec![]);
        assert_eq!(get(&r, "imap.sidecar.data.dir"), "/srv/alf_data/imap");
        assert_eq!(
            get(&r, "imap.sidecar.state.url"),
            "sqlite:/srv/alf_data/imap/state.db"
        );
        assert_eq!(get(&r, "imap.x"), "/srv/alf_data|rootroot");
        assert_eq!(get(&r, "imap.plain"), "no placeholder $ { } ${");
    }

    #[test]
    fn localname_and_fallbacks() {
        let r = resolve(
            &raw(&[
                ("alfresco.host", "${localname}"),
                ("imap.a", "${missing.key:fallback ${alfresco.host}}"),
                ("imap.b", "${alfresco.host:unused}"),
            ]),
            "mailhost",
        );
        assert_eq!(r.errors, vec![]);
        assert_eq!(get(&r, "alfresco.host"), "mailhost");
        assert_eq!(get(&r, "imap.a"), "fallback mailhost");
        assert_eq!(get(&r, "imap.b"), "mailhost");

        let r = resolve(
            &raw(&[("alfresco.host", "${localname}"), ("localname", "set")]),
            "mailhost",
        );
        assert_eq!(get(&r, "alfresco.host"), "set");
    }

    #[test]
    fn unresolved_names_key_file_and_line_of_the_placeholder() {
        let r = resolve(
            &raw(&[
                ("imap.a", "${imap.b}"),
                ("imap.b", "x${nowhere}"),
                ("imap.c", "${imap.b}"),
            ]),
            "h",
        );
        assert_eq!(
            r.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec![
                "key imap.b in /etc/alfresco-global.properties line 2: \
                 placeholder ${nowhere} never resolves"
            ]
        );
        assert_eq!(
            r.failed,
            ["imap.a", "imap.b", "imap.c"]
                .map(String::from)
                .into_iter()
                .collect()
        );
        assert_eq!(get(&r, "imap.a"), "${imap.b}");
    }

    #[test]
    fn unrelated_keys_keep_their_text_without_error() {
        let r = resolve(
            &raw(&[
                ("transferservice.receiver.stagingDir", "${java.io.tmpdir}/x"),
                ("loop.a", "${loop.b}"),
                ("loop.b", "${loop.a}"),
            ]),
            "h",
        );
        assert_eq!(r.errors, vec![]);
        assert_eq!(
            get(&r, "transferservice.receiver.stagingDir"),
            "${java.io.tmpdir}/x"
        );
    }

    #[test]
    fn cycle_is_reported_once_naming_the_keys() {
        let r = resolve(
            &raw(&[
                ("imap.a", "${imap.b}"),
                ("imap.b", "${imap.c}"),
                ("imap.c", "${imap.a}"),
                ("imap.d", "${imap.b}"),
                ("imap.self", "x${imap.self}"),
            ]),
            "h",
        );
        let messages: Vec<_> = r.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "key imap.a in /etc/alfresco-global.properties line 1: \
                 placeholders form a cycle: imap.a -> imap.b -> imap.c -> imap.a",
                "key imap.self in /etc/alfresco-global.properties line 5: \
                 placeholders form a cycle: imap.self -> imap.self",
            ]
        );
    }

    #[test]
    fn too_deep_chain_is_an_error_not_a_crash() {
        let keys: Vec<String> = (0..200).map(|i| format!("imap.k{i:03}")).collect();
        let mut pairs: Vec<(String, String)> = keys
            .windows(2)
            .map(|w| (w[0].clone(), format!("${{{}}}", w[1])))
            .collect();
        pairs.push((keys[199].clone(), "end".into()));
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let r = resolve(&raw(&pairs), "h");
        assert!(
            r.errors
                .iter()
                .all(|e| matches!(e.problem, Problem::PlaceholdersTooDeep(MAX_DEPTH))),
            "{:?}",
            r.errors
        );
        assert!(!r.errors.is_empty());
    }
}
