//! Why a call to a remote service failed, classified for people: a refused or missing token, a
//! thing the service does not know, an answer that is not what was asked, or the network.

use crate::error::{self, Diagnostic};

/// Why a call to a forge or Jira failed. Tokens never appear here: only where one came from.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "{forge} refused {} (HTTP {status})",
        if token.is_some() { "the token" } else { "a request sent without a token" }
    )]
    Unauthorized {
        forge: &'static str,
        status: u16,
        /// Where the token came from; `None` when there was none.
        token: Option<String>,
        variables: String,
        rights: &'static str,
        message: Option<String>,
    },
    /// The token was taken, and may not do this (GitHub's "Resource not accessible by
    /// integration", "Actions are not permitted to create pull requests").
    #[error("{forge} does not let the token do this (HTTP {status})")]
    Forbidden { forge: &'static str, status: u16, token: String, rights: &'static str, message: Option<String> },
    #[error("{forge} does not know {what}")]
    NotFound { forge: &'static str, what: String, message: Option<String> },
    #[error("{forge} refused {what} (HTTP {status})")]
    Refused { forge: &'static str, status: u16, what: String, message: Option<String> },
    #[error("{forge} answered {what} with JSON git-release cannot read")]
    Malformed { forge: &'static str, what: String, detail: String },
    #[error("{forge} answered with {looks} instead of JSON (HTTP {status})")]
    NotJson { forge: &'static str, status: u16, looks: &'static str },
    #[error("gave up on {forge} after {tries} tries and {waited} s of waiting: {url}")]
    GaveUp { forge: &'static str, url: String, tries: u32, last: String, waited: u64, asked: u64 },
    #[error("cannot reach {forge}: {url}")]
    Network { forge: &'static str, url: String, tries: u32, detail: String },
    #[error("cannot set up HTTP")]
    Client { detail: String },
}

impl Diagnostic for ServiceError {
    fn kind(&self) -> error::Kind {
        match self {
            ServiceError::GaveUp { .. } | ServiceError::Network { .. } | ServiceError::Client { .. } => {
                error::Kind::Network
            }
            _ => error::Kind::Forge,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ServiceError::Unauthorized { token, message, variables, .. } => {
                let mut causes: Vec<String> = message.iter().cloned().collect();
                causes.push(match token {
                    Some(source) => format!("the token came from {source}"),
                    // A variable's token may be set and still withheld from this API's host.
                    None => format!(
                        "no token was sent: git credential has none for this host, and a token from {variables} goes only to the host it belongs to"
                    ),
                });
                causes
            }
            ServiceError::NotFound { message, .. } | ServiceError::Refused { message, .. } => {
                message.iter().cloned().collect()
            }
            ServiceError::Forbidden { message, token, .. } => {
                message.iter().cloned().chain([format!("the token came from {token}, and the forge took it")]).collect()
            }
            ServiceError::Malformed { detail, .. }
            | ServiceError::Network { detail, .. }
            | ServiceError::Client { detail } => {
                vec![detail.clone()]
            }
            ServiceError::GaveUp { last, asked, .. } => {
                let mut causes = vec![format!("the last try: {last}")];
                if *asked > 0 {
                    causes.push(format!("the forge asked for {asked} s more"));
                }
                causes
            }
            ServiceError::NotJson { .. } => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            ServiceError::Unauthorized { variables, rights, .. } => {
                vec![format!("set {variables} to a token that may {rights}, or store one with git credential")]
            }
            ServiceError::Forbidden { message, .. }
                if message.as_deref().is_some_and(|m| m.contains("not permitted to create or approve pull requests")
                    || m.contains("not permitted to create pull requests")) =>
            {
                vec![
                    "the repository does not let GitHub Actions' token open pull requests: allow it under Settings > Actions > General > Workflow permissions (\"Allow GitHub Actions to create and approve pull requests\"), or give the job a token of your own in GITHUB_TOKEN".into(),
                ]
            }
            ServiceError::Forbidden { rights, .. } => vec![format!(
                "the token is valid, but lacks a right this needs: give it the right to {rights} on this repository (a CI's own token: the job's permissions)"
            )],
            ServiceError::NotFound { .. } => {
                vec!["check [forge] repository and api in release.toml, and that the token can see the repository".into()]
            }
            ServiceError::NotJson { .. } => {
                vec!["a sign-in page usually means the token is missing or expired; check it and [forge] api".into()]
            }
            ServiceError::GaveUp { .. } | ServiceError::Network { .. } => vec![
                "run it again later; GIT_RELEASE_HTTP_TIMEOUT, GIT_RELEASE_HTTP_TRIES and GIT_RELEASE_HTTP_MAX_WAIT set the patience"
                    .into(),
            ],
            _ => Vec::new(),
        }
    }
}
