//! Versions that pin a git reference instead of naming a release: a pull request, a branch or a
//! commit, written short (`shop/app#pull/42`) or as the forge's web address. Pure: resolving a pin
//! to a commit is the application repository's business.

use std::fmt;

use crate::forge::detect::Kind;

/// What a pin points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    PullRequest(u64),
    Branch(String),
    /// A commit id as written: full, or abbreviated to at least seven digits.
    Commit(String),
}

/// A version that pins a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// As written in the release file.
    pub text: String,
    /// `owner/repo` of the short forms.
    pub repository: Option<String>,
    /// The repository's web address, for the URL forms.
    pub url: Option<String>,
    /// The forge a URL form shows; short forms leave it to the release file or the remote.
    pub forge: Option<Kind>,
    pub target: Target,
}

impl Pin {
    /// Reads a pin; `None` for text that pins nothing (a plain version or tag name).
    #[must_use]
    pub fn parse(text: &str) -> Option<Pin> {
        if text.contains("://") { from_url(text) } else { short(text) }
    }

    /// The reference a forge keeps a pull request's head under.
    #[must_use]
    pub fn pull_request_ref(forge: Kind, number: u64) -> Option<String> {
        match forge {
            Kind::Github | Kind::Gitea => Some(format!("refs/pull/{number}/head")),
            Kind::Gitlab => Some(format!("refs/merge-requests/{number}/head")),
            Kind::BitbucketServer => Some(format!("refs/pull-requests/{number}/from")),
            Kind::BitbucketCloud | Kind::AzureDevops => None,
        }
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `owner/repo#pull/42`, `owner/repo@<sha>`, `owner/repo#branch`.
fn short(text: &str) -> Option<Pin> {
    let split = text.find(['#', '@'])?;
    let (repository, rest) = text.split_at(split);
    let mut parts = repository.split('/');
    let valid_part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !(parts.next().is_some_and(valid_part) && parts.next().is_some_and(valid_part) && parts.next().is_none()) {
        return None;
    }
    let target = match (&rest[..1], &rest[1..]) {
        ("@", sha) if is_commit(sha) => Target::Commit(sha.to_owned()),
        ("#", pull) if pull.strip_prefix("pull/").is_some_and(is_number) => {
            Target::PullRequest(pull["pull/".len()..].parse().ok()?)
        }
        ("#", branch) if !branch.is_empty() && crate::refname::check_short(branch).is_ok() => {
            Target::Branch(branch.to_owned())
        }
        _ => return None,
    };
    Some(Pin { text: text.to_owned(), repository: Some(repository.to_owned()), url: None, forge: None, target })
}

/// Reads what follows a marker such as `/pull/` in an address.
type Reader = fn(&str) -> Option<Target>;

/// The web address of a pull request, branch or commit on one of the forges.
fn from_url(text: &str) -> Option<Pin> {
    // An address, and nothing git could read as an option or a command: the address reaches
    // `git fetch` and `git ls-remote` as an argument.
    if !is_address(text) || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (address, query) = text.split_once('?').unwrap_or((text, ""));
    let address = address.trim_end_matches('/');
    let pin = |url: &str, forge, target| {
        if !is_address(url) {
            return None;
        }
        Some(Pin { text: text.to_owned(), repository: None, url: Some(url.to_owned()), forge: Some(forge), target })
    };
    // Longest markers first: `/-/merge_requests/` before `/merge_requests/`, and so on.
    let markers: [(&str, Kind, Reader); 13] = [
        ("/-/merge_requests/", Kind::Gitlab, pull_request),
        ("/-/tree/", Kind::Gitlab, branch),
        ("/-/commit/", Kind::Gitlab, commit),
        ("/pull-requests/", Kind::BitbucketCloud, pull_request),
        ("/pullrequest/", Kind::AzureDevops, pull_request),
        ("/pulls/", Kind::Gitea, pull_request),
        ("/pull/", Kind::Github, pull_request),
        ("/src/branch/", Kind::Gitea, branch),
        ("/src/commit/", Kind::Gitea, commit),
        ("/tree/", Kind::Github, branch),
        ("/commits/", Kind::BitbucketCloud, commit),
        ("/commit/", Kind::Github, commit),
        ("/src/", Kind::BitbucketCloud, branch),
    ];
    for (marker, forge, read) in markers {
        let Some(at) = address.find(marker) else { continue };
        let (base, rest) = (&address[..at], &address[at + marker.len()..]);
        let target = read(rest)?;
        return match forge {
            Kind::BitbucketCloud if base.contains("/projects/") => pin(base, Kind::BitbucketServer, target),
            Kind::Github if base.contains("/_git/") => pin(base, Kind::AzureDevops, target),
            _ => pin(base, forge, target),
        };
    }
    // Bitbucket Server `.../browse?at=refs/heads/x` and Azure DevOps `..._git/repo?version=GBx`.
    for (key, prefix, forge) in [("at", "refs/heads/", Kind::BitbucketServer), ("version", "GB", Kind::AzureDevops)] {
        let value = query.split('&').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='));
        let value = value.map(|v| v.replace("%2F", "/").replace("%2f", "/"));
        if let Some(name) = value.as_deref().and_then(|v| v.strip_prefix(prefix)) {
            let base = address.trim_end_matches("/browse");
            return pin(base, forge, branch(name)?);
        }
    }
    None
}

/// A version address with a user and password, which would be written to the release file, its
/// commit and every deployment record.
#[must_use]
pub fn holds_credentials(text: &str) -> crate::error::Error {
    crate::error::Error::new(crate::error::Kind::Usage, format!("`{}` holds credentials", crate::secret::redact(text)))
        .cause("it would be written to release.toml, to commits and to deployment records")
        .hint("give the address without them: git's credential helper supplies them when fetching")
}

/// `http(s)://` and a host that starts like one, or `file://` and an absolute path (a local
/// mirror): never text git could take for an option.
fn is_address(text: &str) -> bool {
    // Credentials would be written wherever the address goes: the release file, commits, tags.
    if crate::secret::has_credentials(text) {
        return false;
    }
    if let Some(path) = text.strip_prefix("file://") {
        return path.starts_with('/');
    }
    let host = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    host.is_some_and(|host| host.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

fn pull_request(rest: &str) -> Option<Target> {
    let number = rest.split('/').next()?;
    is_number(number).then(|| number.parse().ok().map(Target::PullRequest))?
}

fn branch(rest: &str) -> Option<Target> {
    (!rest.is_empty() && crate::refname::check_short(rest).is_ok()).then(|| Target::Branch(rest.to_owned()))
}

fn commit(rest: &str) -> Option<Target> {
    let sha = rest.split('/').next()?;
    is_commit(sha).then(|| Target::Commit(sha.to_owned()))
}

/// A pull request's number as written: digits, no leading zero, small enough to be one.
pub(crate) fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() < 20 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0')
}

fn is_commit(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> (Option<Kind>, Target, Option<String>) {
        let pin = Pin::parse(text).unwrap_or_else(|| panic!("{text} is a pin"));
        (pin.forge, pin.target, pin.url.or(pin.repository))
    }

    #[test]
    fn reads_the_short_forms() {
        assert_eq!(target("shop/app#pull/42"), (None, Target::PullRequest(42), Some("shop/app".into())));
        assert_eq!(target("shop/app@3f2a1c0"), (None, Target::Commit("3f2a1c0".into()), Some("shop/app".into())));
        assert_eq!(target("shop/app#feature/x"), (None, Target::Branch("feature/x".into()), Some("shop/app".into())));
        for text in ["1.4.0", "v1.3.0", "WIP", "shop#pull/1", "shop/app#", "shop/app@xyz", "a/b/c#x"] {
            assert_eq!(Pin::parse(text), None, "{text}");
        }
    }

    #[test]
    fn reads_each_forges_addresses() {
        let cases = [
            (
                "https://github.com/shop/app/pull/42",
                Kind::Github,
                Target::PullRequest(42),
                "https://github.com/shop/app",
            ),
            (
                "https://github.com/shop/app/tree/feature/x",
                Kind::Github,
                Target::Branch("feature/x".into()),
                "https://github.com/shop/app",
            ),
            (
                "https://github.com/shop/app/commit/3f2a1c0d",
                Kind::Github,
                Target::Commit("3f2a1c0d".into()),
                "https://github.com/shop/app",
            ),
            (
                "https://gitlab.example.com/shop/app/-/merge_requests/7",
                Kind::Gitlab,
                Target::PullRequest(7),
                "https://gitlab.example.com/shop/app",
            ),
            (
                "https://gitlab.example.com/shop/app/-/tree/main",
                Kind::Gitlab,
                Target::Branch("main".into()),
                "https://gitlab.example.com/shop/app",
            ),
            (
                "https://gitea.example.com/shop/app/pulls/3",
                Kind::Gitea,
                Target::PullRequest(3),
                "https://gitea.example.com/shop/app",
            ),
            (
                "https://gitea.example.com/shop/app/src/branch/main",
                Kind::Gitea,
                Target::Branch("main".into()),
                "https://gitea.example.com/shop/app",
            ),
            (
                "https://bitbucket.example.com/projects/SHOP/repos/app/pull-requests/9/overview",
                Kind::BitbucketServer,
                Target::PullRequest(9),
                "https://bitbucket.example.com/projects/SHOP/repos/app",
            ),
            (
                "https://bitbucket.example.com/projects/SHOP/repos/app/browse?at=refs%2Fheads%2Ffeature%2Fx",
                Kind::BitbucketServer,
                Target::Branch("feature/x".into()),
                "https://bitbucket.example.com/projects/SHOP/repos/app",
            ),
            (
                "https://bitbucket.org/shop/app/pull-requests/5",
                Kind::BitbucketCloud,
                Target::PullRequest(5),
                "https://bitbucket.org/shop/app",
            ),
            (
                "https://dev.azure.com/shop/web/_git/app/pullrequest/12",
                Kind::AzureDevops,
                Target::PullRequest(12),
                "https://dev.azure.com/shop/web/_git/app",
            ),
            (
                "https://dev.azure.com/shop/web/_git/app?version=GBmain",
                Kind::AzureDevops,
                Target::Branch("main".into()),
                "https://dev.azure.com/shop/web/_git/app",
            ),
        ];
        for (text, forge, expected, url) in cases {
            assert_eq!(target(text), (Some(forge), expected, Some(url.to_owned())), "{text}");
        }
        assert_eq!(Pin::parse("https://example.com/just/a/page"), None);
        for hostile in [
            "--upload-pack=touch /tmp/x;://h/a/pull/1",
            "ext::sh -c touch% /tmp/x://h/a/pull/1",
            "https://-oProxyCommand=x/a/pull/1",
            "https://h/a b/pull/1",
            "file://tmp/a/pull/1",
            "https://commit/0123456789abcdef",
        ] {
            assert_eq!(Pin::parse(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn knows_where_forges_keep_pull_requests() {
        assert_eq!(Pin::pull_request_ref(Kind::Github, 42).as_deref(), Some("refs/pull/42/head"));
        assert_eq!(Pin::pull_request_ref(Kind::Gitlab, 42).as_deref(), Some("refs/merge-requests/42/head"));
        assert_eq!(Pin::pull_request_ref(Kind::BitbucketServer, 42).as_deref(), Some("refs/pull-requests/42/from"));
        assert_eq!(Pin::pull_request_ref(Kind::BitbucketCloud, 42), None);
    }
}
