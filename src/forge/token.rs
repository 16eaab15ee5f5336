//! Tokens for forge APIs: from the forge's usual environment variable, else from
//! `git credential fill` for the API's host. A token never prints: not in output, errors or logs.

use super::Kind;
pub use crate::http::Token;
pub use crate::secret::Secret;

/// The variables a forge's token is looked for in, in order.
#[must_use]
pub fn variables(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Github => &["GITHUB_TOKEN", "GH_TOKEN"],
        Kind::Gitlab => &["GITLAB_TOKEN", "CI_JOB_TOKEN"],
        Kind::BitbucketServer | Kind::BitbucketCloud => &["BITBUCKET_TOKEN"],
        Kind::AzureDevops => &["AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN"],
        Kind::Gitea => &["GITEA_TOKEN"],
    }
}

/// Asks git's credential helpers for `protocol://host`: a user name, if one goes with it, and the
/// password or token.
pub type Helpers<'a> = &'a dyn Fn(&str, &str) -> Option<(Option<String>, String)>;

/// The token for a forge's API: its variables first, when the API answers where the remote URL
/// or the CI says the forge is (`hosts`, from [`super::token_hosts`]), then git's credential
/// helpers for the API's own address (without prompting). `None` when neither has one.
#[must_use]
pub fn find(
    kind: Kind,
    api: &str,
    hosts: &[String],
    helpers: Option<Helpers<'_>>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Option<Token> {
    let variables = if super::receives_tokens(api, hosts) { variables(kind) } else { &[] };
    for name in variables {
        if let Some(value) = var(name).filter(|v| !v.trim().is_empty()) {
            return Some(Token {
                secret: Secret::new(value.trim().to_owned()),
                username: None,
                source: (*name).to_owned(),
                job_token: *name == "CI_JOB_TOKEN",
            });
        }
    }
    let (protocol, rest) = api.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    let (username, password) = helpers?(protocol, host)?;
    Some(Token {
        secret: Secret::new(password),
        username,
        source: format!("git credential fill for {host}"),
        job_token: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("ghp_abcdef".into());
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let token = Token { secret, username: None, source: "GITHUB_TOKEN".into(), job_token: false };
        assert!(!format!("{token:?}").contains("ghp_"), "{token:?}");
    }

    #[test]
    fn the_first_set_variable_wins_and_blank_ones_do_not_count() {
        let vars = |name: &str| match name {
            "GITHUB_TOKEN" => Some("  ".to_owned()),
            "GH_TOKEN" => Some("ghp_second\n".to_owned()),
            "CI_JOB_TOKEN" => Some("job".to_owned()),
            _ => None,
        };
        let hosts = ["api.github.com:443".to_owned(), "gitlab.com:443".to_owned(), "codeberg.org:443".to_owned()];
        let github = find(Kind::Github, "https://api.github.com", &hosts, None, &vars).expect("a token");
        assert_eq!((github.secret.expose(), github.source.as_str()), ("ghp_second", "GH_TOKEN"));
        let gitlab = find(Kind::Gitlab, "https://gitlab.com/api/v4", &hosts, None, &vars).expect("a token");
        assert!(gitlab.job_token);
        assert_eq!(find(Kind::Gitea, "https://codeberg.org/api/v1", &hosts, None, &vars), None);
    }

    #[test]
    fn a_variable_token_never_goes_to_an_api_the_remote_and_the_ci_do_not_name() {
        let vars = |name: &str| (name == "GITLAB_TOKEN").then(|| "glpat-secret".to_owned());
        let hosts = ["gitlab.com:443".to_owned()];
        assert!(find(Kind::Gitlab, "https://gitlab.com/api/v4", &hosts, None, &vars).is_some());
        assert_eq!(find(Kind::Gitlab, "https://gitlab.evil.example/api/v4", &hosts, None, &vars), None);
        assert_eq!(find(Kind::Gitlab, "https://gitlab.com/api/v4", &[], None, &vars), None);
    }
}
