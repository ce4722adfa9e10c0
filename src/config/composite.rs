//! Alfresco's composite properties: a list of ids (`<base>=id1,id2`), each instance configured by
//! `<base>.value.<id>.<setting>`, falling back to `<base>.default.<setting>`.
//!
//! Rules (stricter than Alfresco where a mistake would otherwise pass silently): an id listed
//! without any `.value.<id>.*` key is an error; an id listed twice is an error; a setting name the
//! composite does not have is an error; values for an id that is not listed are ignored with a
//! warning (unless they are shipped defaults). Ids are trimmed and empty items dropped (`A, B,` lists `A` and `B`).

use std::collections::BTreeMap;

use super::error::Problem;
use super::layers::Setting;
use super::values::{Lookup, Reader, split_list};

/// One instance's setting: the key it was read from, and its value (`None` when that key's
/// placeholders failed, already reported).
#[derive(Debug, Clone)]
pub(crate) struct InstanceValue {
    /// The key the value came from (`.value.<id>.x` or `.default.x`).
    pub key: String,
    /// The value, unless unreadable.
    pub value: Option<String>,
}

/// One listed instance and its effective settings.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The id as listed.
    pub id: String,
    /// Effective settings by name; absent when neither `.value` nor `.default` sets them.
    pub settings: BTreeMap<&'static str, InstanceValue>,
}

impl Instance {
    /// The setting `name`.
    pub fn get(&self, name: &str) -> Option<&InstanceValue> {
        self.settings.get(name)
    }
}

/// Reads the composite `base` whose instances have the settings `known`.
pub(crate) fn read(reader: &mut Reader<'_>, base: &str, known: &[&'static str]) -> Vec<Instance> {
    let ids: Vec<String> = match reader.lookup(base) {
        Lookup::Value(setting) => split_list(&setting.value)
            .into_iter()
            .map(String::from)
            .collect(),
        Lookup::Missing | Lookup::Failed => Vec::new(),
    };
    let mut listed: Vec<String> = Vec::new();
    for id in ids {
        if listed.contains(&id) {
            reader.fail(base, Problem::DuplicateId { id });
        } else {
            listed.push(id);
        }
    }

    let value_prefix = format!("{base}.value.");
    let default_prefix = format!("{base}.default.");
    let props = reader.props();
    let mut values: BTreeMap<(String, &'static str), (String, &Setting)> = BTreeMap::new();
    let mut defaults: BTreeMap<&'static str, (String, &Setting)> = BTreeMap::new();
    let mut ids_with_values: Vec<String> = Vec::new();
    let mut unlisted_warned: Vec<String> = Vec::new();
    for (key, setting) in props.range(format!("{base}.")..) {
        if !key.starts_with(&format!("{base}.")) {
            break;
        }
        if let Some(name) = key.strip_prefix(&default_prefix) {
            match known_name(known, name) {
                Some(name) => {
                    defaults.insert(name, (key.clone(), setting));
                }
                None => reader.fail(key, unknown(name, known)),
            }
        } else if let Some(rest) = key.strip_prefix(&value_prefix) {
            let Some((id, name)) = rest.rsplit_once('.') else {
                reader.fail(key, unknown("", known));
                continue;
            };
            if !ids_with_values.iter().any(|i| i == id) {
                ids_with_values.push(id.to_string());
            }
            let Some(name) = known_name(known, name) else {
                reader.fail(key, unknown(name, known));
                continue;
            };
            if !listed.iter().any(|l| l == id) {
                // The shipped AlfrescoIMAP values stay behind when an operator replaces the list;
                // only values someone set explicitly deserve a warning.
                if !setting.origin.is_default() && !unlisted_warned.iter().any(|w| w == id) {
                    unlisted_warned.push(id.to_string());
                    reader.warn(
                        key,
                        format!("{id:?} is not listed in {base}; its settings are ignored"),
                    );
                }
                continue;
            }
            values.insert((id.to_string(), name), (key.clone(), setting));
        } else {
            reader.warn(key, format!("not a {base} key; ignored"));
        }
    }

    let mut instances = Vec::new();
    for id in listed {
        if !ids_with_values.contains(&id) {
            reader.fail(
                base,
                Problem::ListedWithoutValues {
                    key: base.to_string(),
                    id,
                },
            );
            continue;
        }
        let mut settings = BTreeMap::new();
        for name in known {
            let chosen = values
                .get(&(id.clone(), *name))
                .or_else(|| defaults.get(name));
            if let Some((key, _)) = chosen {
                let value = match reader.lookup(key) {
                    Lookup::Value(setting) => Some(setting.value.clone()),
                    Lookup::Missing | Lookup::Failed => None,
                };
                settings.insert(
                    *name,
                    InstanceValue {
                        key: key.clone(),
                        value,
                    },
                );
            }
        }
        instances.push(Instance { id, settings });
    }
    instances
}

fn known_name(known: &[&'static str], name: &str) -> Option<&'static str> {
    known.iter().copied().find(|k| *k == name)
}

fn unknown(name: &str, known: &[&'static str]) -> Problem {
    Problem::UnknownSetting {
        name: name.to_string(),
        known: known.iter().map(|k| k.to_string()).collect(),
    }
}
