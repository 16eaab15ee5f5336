//! What must not be shown: a secret value that prints as `***`, the masking of credentials in
//! any text that names an address, and whether a URL carries credentials at all.
//!
//! Dependency-free, so that every layer that prints or sends a value can use it.

use std::fmt;

/// A value that must not be shown; `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value itself, for the one place that sends it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Whether a URL carries a user name or password (`https://user:token@host/...`).
#[must_use]
pub fn has_credentials(url: &str) -> bool {
    url.split_once("://")
        .is_some_and(|(_, rest)| rest.split(['/', '?', '#']).next().is_some_and(|host| host.contains('@')))
}

/// Masks the credentials in every address of a text: the password or token of
/// `scheme://user:secret@host`, and the value of a query parameter that carries one, such as
/// `?access_token=…` or `&sig=…`.
#[must_use]
pub fn redact(text: &str) -> String {
    mask_query_secrets(&mask_user_info(text))
}

fn mask_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (head, tail) = rest.split_at(start + 3);
        out.push_str(head);
        let authority_end = tail.find(|c: char| c == '/' || c.is_whitespace()).unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

fn mask_query_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&']) {
        let (head, tail) = rest.split_at(at + 1);
        out.push_str(head);
        let name_end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(tail.len());
        let (name, after) = tail.split_at(name_end);
        match after.strip_prefix('=') {
            Some(value) if secret_parameter(name) => {
                out.push_str(name);
                out.push_str("=***");
                let end = value
                    .find(|c: char| c.is_whitespace() || matches!(c, '&' | '#' | '\'' | '"' | '`' | ')' | '>'))
                    .unwrap_or(value.len());
                rest = &value[end..];
            }
            _ => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// A query parameter whose value is a credential: a token, secret, password, signature or key.
fn secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "passw", "credential", "apikey", "api_key", "api-key"].iter().any(|part| name.contains(part))
        || ["sig", "signature", "key", "auth", "pat"].contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::{Secret, has_credentials, redact};

    #[test]
    fn redact_masks_credentials_in_urls() {
        assert_eq!(redact("fatal: https://bob:s3cret@host/x.git"), "fatal: https://***@host/x.git");
        assert_eq!(redact("https://token@host/a https://host/b"), "https://***@host/a https://host/b");
        assert_eq!(redact("no url here, a@b"), "no url here, a@b");
        assert_eq!(
            redact("https://ci.example/run/9?access_token=t0k&page=2 and https://s.example/f?sig=abc#x"),
            "https://ci.example/run/9?access_token=***&page=2 and https://s.example/f?sig=***#x"
        );
        assert_eq!(redact("'https://h/x?private_token=p'"), "'https://h/x?private_token=***'");
        assert_eq!(redact("https://h/search?q=token&keys=2&tokens"), "https://h/search?q=token&keys=2&tokens");
    }

    #[test]
    fn a_secret_never_prints() {
        let secret = Secret::new("t0ken".to_owned());
        assert_eq!((format!("{secret}"), format!("{secret:?}")), ("***".to_owned(), "***".to_owned()));
        assert_eq!(secret.expose(), "t0ken");
    }

    #[test]
    fn credentials_are_seen_in_the_authority_only() {
        assert!(has_credentials("https://bob:t0k@host/x.git"));
        assert!(!has_credentials("https://host/x.git?who=a@b"));
        assert!(!has_credentials("git@host:x.git"));
    }
}
