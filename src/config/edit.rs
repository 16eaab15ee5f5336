//! Changes to a release file that keep every other byte as it was: comments, line endings,
//! quoting elsewhere, a missing final newline.

use toml_edit::{Document, Item, Value};

/// Why the release file could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the file is not valid TOML: {0}")]
    Syntax(String),
    #[error("the file has no top-level `version` string to change")]
    NoVersion,
}

/// The file with the value of its top-level `version` replaced by `version`, and nothing else
/// changed.
///
/// # Errors
/// When the file is not TOML or has no top-level `version` string.
pub fn set_version(text: &str, version: &str) -> Result<String, EditError> {
    let document = Document::parse(text).map_err(|e| EditError::Syntax(e.message().to_owned()))?;
    let Some(Item::Value(old @ Value::String(_))) = document.get("version") else {
        return Err(EditError::NoVersion);
    };
    let span = old.span().ok_or(EditError::NoVersion)?;
    let new = Value::from(version).to_string();
    Ok(format!("{}{}{}", &text[..span.start], new.trim(), &text[span.end..]))
}

/// A release file's settings, but for its version, its comments and its layout: two files with
/// the same settings give the same text. `None` when it is not a release file's TOML.
#[must_use]
pub fn settings_only(text: &str) -> Option<String> {
    let text = set_version(text, "0").ok()?;
    let value: serde_json::Value = toml_edit::de::from_str(&text).ok()?;
    Some(value.to_string())
}

/// A preview's release file: `text` with `version = "WIP"` and `[preview.pins]` holding `pins`
/// (and only those), every other line as it was.
///
/// # Errors
/// When the file is not TOML or has no top-level `version` string.
pub fn pin_preview(text: &str, pins: &[super::PreviewPin]) -> Result<String, EditError> {
    let text = set_version(text, crate::version::WIP)?;
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| EditError::Syntax(e.message().to_owned()))?;
    let preview = document.entry("preview").or_insert_with(|| {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    let Some(preview) = preview.as_table_mut() else {
        return Err(EditError::Syntax("`preview` is not a table".into()));
    };
    let mut table = toml_edit::Table::new();
    table.set_implicit(true);
    for pin in pins {
        let mut one = toml_edit::Table::new();
        one.insert("ref", toml_edit::value(pin.reference.as_str()));
        one.insert("url", toml_edit::value(pin.url.as_str()));
        one.insert("commit", toml_edit::value(pin.commit.as_str()));
        table.insert(&pin.component, Item::Table(one));
    }
    preview.insert("pins", Item::Table(table));
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_file_pins_each_repository_and_keeps_the_rest() {
        let text = "# head\nversion = \"1.0.0\"\n\n[preview]\nttl = \"7d\"\n\n[preview.pins.old]\nref = \"x\"\n";
        let pin = super::super::PreviewPin {
            component: "api".into(),
            reference: "shop/api#pull/4".into(),
            url: "file:///srv/shop/api.git".into(),
            commit: crate::object_id::ObjectId::from_hex(&"a".repeat(40)).expect("hex"),
        };
        let edited = pin_preview(text, &[pin]).expect("valid");
        assert!(edited.starts_with("# head\nversion = \"WIP\"\n\n[preview]\nttl = \"7d\"\n"), "{edited}");
        assert!(!edited.contains("old"), "earlier pins go: {edited}");
        assert!(edited.contains("[preview.pins.api]\nref = \"shop/api#pull/4\"\n"), "{edited}");
    }

    #[test]
    fn changes_only_the_version_value() {
        let text = "# head\nversion = \"1.0.0\"   # what runs here\n\n[app]\nrepo = '.'  # here\n";
        let edited = set_version(text, "1.4.0").expect("version is a string");
        assert_eq!(edited, "# head\nversion = \"1.4.0\"   # what runs here\n\n[app]\nrepo = '.'  # here\n");
    }

    #[test]
    fn keeps_line_endings_and_a_missing_final_newline() {
        let text = "version = '1.0.0'\r\n[app]\r\nrepo = \".\"";
        assert_eq!(set_version(text, "2.0.0").expect("valid"), "version = \"2.0.0\"\r\n[app]\r\nrepo = \".\"");
    }

    #[test]
    fn refuses_a_file_without_a_version_string() {
        assert_eq!(set_version("version = 3\n", "1.0.0"), Err(EditError::NoVersion));
        assert_eq!(set_version("[app]\n", "1.0.0"), Err(EditError::NoVersion));
    }
}
