//! Which settings one release file changes from another: what a reviewer must see, since a
//! change is judged by the settings it replaces and its own govern only from the next change on.

use serde_json::Value;

use super::Content;

/// What a change contributes besides settings: its version and, on a preview, its pins.
const NOT_SETTINGS: [&str; 2] = ["version", "preview.pins"];

/// The settings `after` edits, added or removes relative to `before`, as dotted keys
/// (`environments.prod.after`, `forge.api`); environments and components are named by their
/// `name`. Both files are valid release files, so both parse.
#[must_use]
pub fn edited(before: &Content, after: &Content) -> Vec<String> {
    if let (Content::Bytes(old), Content::Bytes(new)) = (before, after)
        && old == new
    {
        return Vec::new();
    }
    let (Some(before), Some(after)) = (value(before), value(after)) else { return Vec::new() };
    let mut edits = Vec::new();
    compare("", &before, &after, &mut edits);
    edits
}

fn value(content: &Content) -> Option<Value> {
    let Content::Bytes(bytes) = content else { return None };
    toml_edit::de::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

fn compare(path: &str, before: &Value, after: &Value, edits: &mut Vec<String>) {
    if NOT_SETTINGS.contains(&path) || before == after {
        return;
    }
    let key = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let names = old.keys().chain(new.keys().filter(|name| !old.contains_key(*name)));
            for name in names {
                match (old.get(name), new.get(name)) {
                    (Some(old_value), Some(new_value)) => compare(&key(name), old_value, new_value, edits),
                    // A table added or removed whole: each of its settings, not what it only carries.
                    (Some(table @ Value::Object(_)), None) => {
                        compare(&key(name), table, &Value::Object(empty()), edits);
                    }
                    (None, Some(table @ Value::Object(_))) => {
                        compare(&key(name), &Value::Object(empty()), table, edits);
                    }
                    (Some(_), None) if !NOT_SETTINGS.contains(&key(name).as_str()) => {
                        edits.push(format!("{} (removed)", key(name)));
                    }
                    (None, Some(_)) if !NOT_SETTINGS.contains(&key(name).as_str()) => {
                        edits.push(format!("{} (added)", key(name)));
                    }
                    _ => {}
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if named(old) && named(new) => {
            let position = |list: &[Value], name: &str| list.iter().position(|v| v["name"] == name);
            for (index, old_value) in old.iter().enumerate() {
                let name = old_value["name"].as_str().unwrap_or_default();
                match position(new, name) {
                    Some(at) => {
                        compare(&key(name), old_value, &new[at], edits);
                        if at != index {
                            edits.push(format!("{} (moved)", key(name)));
                        }
                    }
                    None => edits.push(format!("{} (removed)", key(name))),
                }
            }
            for new_value in new {
                let name = new_value["name"].as_str().unwrap_or_default();
                if position(old, name).is_none() {
                    edits.push(format!("{} (added)", key(name)));
                }
            }
        }
        _ => edits.push(path.to_owned()),
    }
}

fn empty() -> serde_json::Map<String, Value> {
    serde_json::Map::new()
}

/// A list of tables each with a distinct `name`, such as `[[environments]]`.
fn named(list: &[Value]) -> bool {
    let names: Vec<&str> = list.iter().filter_map(|v| v["name"].as_str()).collect();
    names.len() == list.len() && names.iter().enumerate().all(|(i, n)| !names[..i].contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edits(before: &str, after: &str) -> Vec<String> {
        edited(&Content::Bytes(before.into()), &Content::Bytes(after.into()))
    }

    const FILE: &str = "version = \"1.0.0\"\n[tags]\nrc = \"v{version}-rc.{n}\"\n\
                        [[environments]]\nname = \"qa\"\ncut = \"rc\"\n\
                        [[environments]]\nname = \"prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n";

    #[test]
    fn a_new_version_edits_no_setting() {
        assert!(edits(FILE, &FILE.replace("1.0.0", "1.1.0")).is_empty());
        let pinned = "[preview]\npins = [{ component = \"app\", commit = \"abc\" }]\n";
        assert!(edits(FILE, &format!("{FILE}{pinned}")).is_empty(), "pins are what a preview brings");
    }

    #[test]
    fn each_edited_setting_is_named_where_it_is() {
        let weakened = FILE.replace("after = \"qa\"\n", "").replace("restricted = true", "restricted = false");
        assert_eq!(edits(FILE, &weakened), ["environments.prod.after (removed)", "environments.prod.restricted"]);
        let tags = FILE.replace("rc = \"v{version}-rc.{n}\"", "rc = \"x{version}\"");
        assert_eq!(edits(FILE, &tags), ["tags.rc"]);
        let forge = format!("{FILE}[forge]\napi = \"https://evil.example\"\n");
        assert_eq!(edits(FILE, &forge), ["forge.api (added)"]);
    }

    #[test]
    fn reordered_added_and_removed_environments_are_edits() {
        let swapped = "version = \"1.0.0\"\n[tags]\nrc = \"v{version}-rc.{n}\"\n\
                       [[environments]]\nname = \"prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n\
                       [[environments]]\nname = \"qa\"\ncut = \"rc\"\n";
        assert_eq!(edits(FILE, swapped), ["environments.qa (moved)", "environments.prod (moved)"]);
        let more = format!("{FILE}[[environments]]\nname = \"dr\"\n");
        assert_eq!(edits(FILE, &more), ["environments.dr (added)"]);
        assert_eq!(edits(&more, FILE), ["environments.dr (removed)"]);
    }
}
