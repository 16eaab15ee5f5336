//! Changes to a release file that keep every other byte as it was, comments included.

use toml_edit::{DocumentMut, Item, Value};

/// Why the release file could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the file is not valid TOML: {0}")]
    Syntax(String),
    #[error("the file has no top-level `version` string to change")]
    NoVersion,
}

/// The file with its top-level `version` set to `version`, keeping the value's comments.
///
/// # Errors
/// When the file is not TOML or has no top-level `version` string.
pub fn set_version(text: &str, version: &str) -> Result<String, EditError> {
    let mut document: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| EditError::Syntax(e.message().to_owned()))?;
    let Some(Item::Value(old @ Value::String(_))) = document.get_mut("version") else {
        return Err(EditError::NoVersion);
    };
    let mut new = Value::from(version);
    *new.decor_mut() = old.decor().clone();
    *old = new;
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_only_the_version_line() {
        let text = "# head\nversion = \"1.0.0\"   # what runs here\n\n[app]\nrepo = '.'  # here\n";
        let edited = set_version(text, "1.4.0").expect("version is a string");
        assert_eq!(edited, "# head\nversion = \"1.4.0\"   # what runs here\n\n[app]\nrepo = '.'  # here\n");
    }

    #[test]
    fn refuses_a_file_without_a_version_string() {
        assert_eq!(set_version("version = 3\n", "1.0.0"), Err(EditError::NoVersion));
        assert_eq!(set_version("[app]\n", "1.0.0"), Err(EditError::NoVersion));
    }
}
