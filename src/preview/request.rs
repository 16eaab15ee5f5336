//! What a person asks a preview for (`[component=]reference`), where git finds each reference,
//! and the unique name the resolved commits give. Pure: asking remotes is `branch`'s business.

use crate::forge::Kind;
use crate::object_id::ObjectId;
use crate::version::pin::{Pin, Target};

/// The forms a reference may take, for the message that refuses one in none of them.
pub const FORMS: [&str; 9] = [
    "https://github.com/owner/repo/pull/42, or owner/repo#pull/42 (a pull request)",
    "https://gitlab.com/group/project/-/merge_requests/42, or group/project!42 (a merge request)",
    "https://bitbucket.example.com/projects/P/repos/repo/pull-requests/42 (Bitbucket Server)",
    "https://gitea.example.com/owner/repo/pulls/42 (Gitea)",
    "https://github.com/someone/repo/tree/my-branch, or someone/repo#my-branch (a branch, a fork's too)",
    "https://gitlab.com/group/project/-/tree/my-branch, https://gitea.example.com/owner/repo/src/branch/my-branch",
    "https://github.com/owner/repo/commit/<sha>, or owner/repo@<sha> (a commit)",
    "https://gitlab.com/group/project/-/commit/<sha>, https://gitea.example.com/owner/repo/src/commit/<sha>",
    "any of these after <component>= to say which repository of the application it is for",
];

/// The longest name a preview may have before its `-<6 hex>`.
pub const MAX_NAME: usize = 40;

/// One reference a preview asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `api` of `api=shop/api#pull/42`, when given.
    pub component: Option<String>,
    /// The reference as written, without the component.
    pub text: String,
    pub pin: Pin,
}

impl Request {
    /// Reads `[component=]reference`; `None` when the reference is in none of the [`FORMS`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Request> {
        let (component, reference) = match text.split_once('=') {
            Some((component, reference)) if !component.contains(['/', ':', '#', '@']) => {
                (Some(component.to_owned()), reference)
            }
            _ => (None, text),
        };
        let pin = merge_request(reference).or_else(|| pull_number(reference)).or_else(|| Pin::parse(reference))?;
        Some(Request { component, text: reference.to_owned(), pin })
    }

    /// `owner/repo` of a short form, or the last two parts of an address's path.
    #[must_use]
    pub fn repository(&self) -> String {
        if let Some(repository) = &self.pin.repository {
            return repository.clone();
        }
        let url = self.pin.url.as_deref().unwrap_or_default();
        let path = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = path.split_once('/').map_or("", |(_, path)| path);
        let path = path.replace("/_git/", "/").replace("/projects/", "/").replace("/repos/", "/");
        path.trim_end_matches('/').to_owned()
    }

    /// The repository's name alone: `repo` of `someone/repo`, as a fork keeps it.
    #[must_use]
    pub fn repository_name(&self) -> String {
        let repository = self.repository();
        repository.rsplit('/').next().unwrap_or_default().trim_end_matches(".git").to_lowercase()
    }
}

/// `owner/repo#42`, GitHub's short form of a pull request, as `owner/repo#pull/42`.
fn pull_number(text: &str) -> Option<Pin> {
    let (repository, number) = text.split_once('#')?;
    if !crate::version::pin::is_number(number) {
        return None;
    }
    let pin = Pin::parse(&format!("{repository}#pull/{number}"))?;
    Some(Pin { text: text.to_owned(), ..pin })
}

/// `group/project!42`, GitLab's short form of a merge request.
fn merge_request(text: &str) -> Option<Pin> {
    let (repository, number) = text.split_once('!')?;
    let valid = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if repository.split('/').count() < 2 || !repository.split('/').all(valid) {
        return None;
    }
    if !crate::version::pin::is_number(number) {
        return None;
    }
    Some(Pin {
        text: text.to_owned(),
        repository: Some(repository.to_owned()),
        url: None,
        forge: Some(Kind::Gitlab),
        target: Target::PullRequest(number.parse().ok()?),
    })
}

/// Where git fetches a reference from: the address of a URL form made cloneable, or a short
/// form's `owner/repo` put into `[forge] git-url` (or the forge's own default).
///
/// # Errors
/// When a short form's forge has no default and `[forge] git-url` is not set.
pub fn git_url(request: &Request, template: Option<&str>, forge: Option<Kind>) -> Result<String, String> {
    let pin = &request.pin;
    if let Some(url) = &pin.url {
        return Ok(match pin.forge {
            Some(Kind::BitbucketServer) => match url.split_once("/projects/") {
                Some((host, rest)) => format!("{host}/scm/{}.git", rest.replacen("/repos/", "/", 1).to_lowercase()),
                None => format!("{url}.git"),
            },
            Some(Kind::AzureDevops) => url.clone(),
            _ => format!("{url}.git"),
        });
    }
    let repository = pin.repository.as_deref().unwrap_or_default();
    let template = match (template, pin.forge.or(forge)) {
        (Some(template), _) => template,
        (None, Some(Kind::Github)) => "https://github.com/{repository}.git",
        (None, Some(Kind::Gitlab)) => "https://gitlab.com/{repository}.git",
        (None, Some(Kind::BitbucketCloud)) => "https://bitbucket.org/{repository}.git",
        (None, _) => {
            return Err(format!(
                "cannot tell where {} lives: set [forge] git-url, such as \"https://git.example.com/{{repository}}.git\"",
                request.text
            ));
        }
    };
    Ok(template.replace("{repository}", repository))
}

/// The reference `ls-remote` looks for: a pull request's head ref, or a branch. `None` for a
/// commit, which names itself.
///
/// # Errors
/// When the forge keeps no reference for pull requests, or is unknown.
pub fn git_ref(request: &Request, forge: Option<Kind>) -> Result<Option<String>, String> {
    match &request.pin.target {
        Target::Commit(_) => Ok(None),
        Target::Branch(branch) => Ok(Some(format!("refs/heads/{branch}"))),
        Target::PullRequest(number) => {
            let Some(forge) = request.pin.forge.or(forge) else {
                return Err(format!(
                    "cannot tell which forge holds {}: name it in release.toml, such as [forge] kind = \"github\"",
                    request.text
                ));
            };
            Pin::pull_request_ref(forge, *number).map(Some).ok_or_else(|| {
                format!(
                    "{} keeps no git reference for a pull request's head; give its branch instead, such as owner/repo#my-branch",
                    forge.title()
                )
            })
        }
    }
}

/// `<name>-<6 hex>`: the hex digits follow from each repository's resolved commit, so the same
/// commits give the same name and any other commit another.
#[must_use]
pub fn unique_name(name: &str, commits: &[(String, ObjectId)]) -> String {
    let mut sorted: Vec<_> = commits.iter().collect();
    sorted.sort();
    let mut text = String::new();
    for (component, commit) in sorted {
        text.push_str(&format!("{component} {commit}\n"));
    }
    let hash = crate::object_id::fingerprint(text.as_bytes());
    format!("{name}-{:06x}", hash >> 40)
}

/// Why a preview dated `created` is past its `ttl` at `now` (seconds since the epoch), if it is.
#[must_use]
pub fn expiry(created: i64, ttl: std::time::Duration, now: i64) -> Option<Expiry> {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    if now.saturating_sub(created) > ttl {
        Some(Expiry::Old)
    } else if created.saturating_sub(now) > ttl {
        Some(Expiry::Ahead)
    } else {
        None
    }
}

/// Why a preview goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// It is older than the ttl.
    Old,
    /// Its date is further ahead of the clock than the ttl: no skew explains that, and a head
    /// dated in the far future would otherwise never expire.
    Ahead,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> ObjectId {
        ObjectId::from_hex(&c.to_string().repeat(40)).expect("hex")
    }

    #[test]
    fn references_take_every_documented_form() {
        let pull = Request::parse("owner/repo#pull/42").expect("short pull request");
        assert_eq!((pull.component, pull.pin.target), (None, Target::PullRequest(42)));
        let named = Request::parse("api=https://github.com/owner/api/pull/7").expect("with a component");
        assert_eq!(named.component.as_deref(), Some("api"));
        assert_eq!(named.repository(), "owner/api");
        let merge = Request::parse("group/sub/project!9").expect("GitLab short");
        assert_eq!((merge.pin.forge, merge.pin.target), (Some(Kind::Gitlab), Target::PullRequest(9)));
        let fork = Request::parse("someone/repo#my-branch").expect("a fork's branch");
        assert_eq!(fork.repository_name(), "repo");
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert!(matches!(Request::parse(&format!("owner/repo@{sha}")).expect("commit").pin.target, Target::Commit(_)));
        for url in [
            "https://gitlab.com/group/project/-/merge_requests/42",
            "https://bitbucket.example.com/projects/P/repos/repo/pull-requests/42",
            "https://bitbucket.org/ws/repo/pull-requests/42",
            "https://gitea.example.com/owner/repo/pulls/42",
            "https://gitea.example.com/owner/repo/src/branch/my-branch",
            "https://github.com/someone/repo/tree/my-branch",
        ] {
            assert!(Request::parse(url).is_some(), "{url}");
        }
        for bad in ["pull/42", "owner/repo", "https://github.com/owner/repo", "owner/repo#", "a/b!x", ""] {
            assert_eq!(Request::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn git_urls_come_from_the_address_or_the_template() {
        let parse = |text: &str| Request::parse(text).expect("valid");
        let short = parse("owner/repo#pull/42");
        assert_eq!(
            git_url(&short, Some("file:///srv/{repository}.git"), None),
            Ok("file:///srv/owner/repo.git".into())
        );
        assert_eq!(git_url(&short, None, Some(Kind::Github)), Ok("https://github.com/owner/repo.git".into()));
        assert!(git_url(&short, None, Some(Kind::Gitea)).expect_err("no default").contains("[forge] git-url"));
        let server = parse("https://bb.example.com/projects/SHOP/repos/api/pull-requests/3");
        assert_eq!(git_url(&server, None, None), Ok("https://bb.example.com/scm/shop/api.git".into()));
        assert_eq!(git_ref(&server, None), Ok(Some("refs/pull-requests/3/from".into())));
        let cloud = parse("https://bitbucket.org/ws/api/pull-requests/3");
        assert!(git_ref(&cloud, None).expect_err("no ref").contains("give its branch"));
        assert_eq!(git_ref(&short, Some(Kind::Gitlab)), Ok(Some("refs/merge-requests/42/head".into())));
    }

    #[test]
    fn previews_expire_once_older_than_the_ttl() {
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(expiry(1_000, day, 1_000 + 86_400), None);
        assert_eq!(expiry(1_000, day, 1_000 + 86_401), Some(Expiry::Old));
        assert_eq!(expiry(100_000, day, 99_000), None, "a clock a little behind the commit expires nothing");
        assert_eq!(expiry(100_000 + 86_401, day, 100_000), Some(Expiry::Ahead), "a date a ttl ahead is no skew");
        assert_eq!(expiry(i64::MAX, day, 100_000), Some(Expiry::Ahead));
        assert_eq!(expiry(i64::MIN, day, 100_000), Some(Expiry::Old));
    }

    #[test]
    fn unique_names_follow_the_commits_and_nothing_else() {
        let one = unique_name("try", &[("app".into(), id('a')), ("api".into(), id('b'))]);
        let same = unique_name("try", &[("api".into(), id('b')), ("app".into(), id('a'))]);
        let other = unique_name("try", &[("app".into(), id('a')), ("api".into(), id('c'))]);
        assert_eq!(one, same, "the order of the references does not matter");
        assert_ne!(one, other);
        assert!(one.starts_with("try-") && one.len() == "try-".len() + 6, "{one}");
    }
}
