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

#[cfg(test)]
mod tests {
    use super::*;

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
