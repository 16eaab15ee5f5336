//! Which forge holds a repository, and where its API answers: from `[forge]` in the release file
//! and the remote's address. Pure: no network, no git.

/// The forges git-release speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Github,
    Gitlab,
    BitbucketServer,
    BitbucketCloud,
    AzureDevops,
    Gitea,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Github, Kind::Gitlab, Kind::BitbucketServer, Kind::BitbucketCloud, Kind::AzureDevops, Kind::Gitea];

    /// The name `[forge] kind` uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Github => "github",
            Kind::Gitlab => "gitlab",
            Kind::BitbucketServer => "bitbucket-server",
            Kind::BitbucketCloud => "bitbucket-cloud",
            Kind::AzureDevops => "azure-devops",
            Kind::Gitea => "gitea",
        }
    }

    /// Whether the forge has an API to tell it of a deployment made elsewhere: Gitea, Bitbucket
    /// Cloud and Azure DevOps know only the deployments their own pipelines make.
    #[must_use]
    pub fn has_deployments(self) -> bool {
        matches!(self, Kind::Github | Kind::Gitlab | Kind::BitbucketServer)
    }

    /// The name people know it by.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Kind::Github => "GitHub",
            Kind::Gitlab => "GitLab",
            Kind::BitbucketServer => "Bitbucket Server",
            Kind::BitbucketCloud => "Bitbucket Cloud",
            Kind::AzureDevops => "Azure DevOps",
            Kind::Gitea => "Gitea",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Where a repository lives on its forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub kind: Kind,
    /// The API's base address, without a trailing slash.
    pub api: String,
    /// The repository's path on the forge: `owner/repo`, `group/subgroup/repo`, `PROJ/repo`, or
    /// for Azure DevOps `project/repo` (the organization is part of `api`).
    pub repository: String,
}

/// A remote address taken apart: https, http, ssh and scp forms alike.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Address {
    /// `https` or `http`; ssh and scp addresses reach the API over https.
    web: &'static str,
    host: String,
    /// The port of a web address; ssh ports only tell Bitbucket Server apart.
    port: Option<u16>,
    ssh_port: Option<u16>,
    /// Reached over ssh (an `ssh://` or scp address), so that its port says nothing of the API's.
    ssh: bool,
    /// The path without leading or trailing `/` and without `.git`.
    path: String,
}

fn parse_address(url: &str) -> Option<Address> {
    let (web, ssh, rest) = if let Some((scheme, rest)) = url.split_once("://") {
        match scheme {
            "https" => ("https", false, rest),
            "http" => ("http", false, rest),
            "ssh" | "git+ssh" | "ssh+git" => ("https", true, rest),
            _ => return None,
        }
    } else {
        // scp form: `[user@]host:path`; a local path has no `:` before its first `/`.
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') || authority.is_empty() || path.starts_with("//") {
            return None;
        }
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        return Some(Address {
            web: "https",
            host: host.to_lowercase(),
            port: None,
            ssh_port: None,
            ssh: true,
            path: trim_path(path),
        });
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (host, port.parse::<u16>().ok()),
        _ => (host_port, None),
    };
    if host.is_empty() {
        return None;
    }
    let (port, ssh_port) = if ssh { (None, port) } else { (port, None) };
    Some(Address { web, host: host.to_lowercase(), port, ssh_port, ssh, path: trim_path(path) })
}

fn trim_path(path: &str) -> String {
    let path = path.trim_matches('/');
    path.strip_suffix(".git").unwrap_or(path).trim_end_matches('/').to_owned()
}

impl Address {
    /// `host:port` of a web address (the port spelled out), `host` of an ssh or scp one.
    fn authority(&self) -> String {
        if self.ssh {
            return self.host.clone();
        }
        let port = self.port.unwrap_or(if self.web == "http" { 80 } else { 443 });
        format!("{}:{port}", self.host)
    }

    fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.web, self.host),
            None => format!("{}://{}", self.web, self.host),
        }
    }

    /// The forge the address shows: the hosted forges by host, self-hosted ones by the shapes
    /// their addresses take or a host name that says it.
    fn kind(&self) -> Option<Kind> {
        let host = self.host.as_str();
        let first = host.split('.').next().unwrap_or_default();
        match host {
            "github.com" => Some(Kind::Github),
            "gitlab.com" => Some(Kind::Gitlab),
            "bitbucket.org" => Some(Kind::BitbucketCloud),
            "codeberg.org" | "gitea.com" => Some(Kind::Gitea),
            "dev.azure.com" | "ssh.dev.azure.com" | "vs-ssh.visualstudio.com" => Some(Kind::AzureDevops),
            _ if host.ends_with(".visualstudio.com") => Some(Kind::AzureDevops),
            _ if self.path.starts_with("scm/") || self.path.contains("/scm/") || self.ssh_port == Some(7999) => {
                Some(Kind::BitbucketServer)
            }
            _ if first == "github" => Some(Kind::Github),
            _ if first == "gitlab" => Some(Kind::Gitlab),
            _ if first == "gitea" || first == "forgejo" => Some(Kind::Gitea),
            _ if first == "bitbucket" => Some(Kind::BitbucketServer),
            _ => None,
        }
    }

    /// The API's base address and the repository's path, as `kind` spells them.
    fn locate(&self, kind: Kind) -> Option<(String, String)> {
        let path = self.path.clone();
        match kind {
            Kind::Github if self.host == "github.com" => Some(("https://api.github.com".into(), path)),
            Kind::Github => Some((format!("{}/api/v3", self.origin()), path)),
            Kind::Gitlab => Some((format!("{}/api/v4", self.origin()), path)),
            Kind::Gitea => Some((format!("{}/api/v1", self.origin()), path)),
            Kind::BitbucketCloud => Some(("https://api.bitbucket.org/2.0".into(), path)),
            Kind::BitbucketServer => {
                // `[context/]scm/PROJ/repo` over https; `[scm/]PROJ/repo` over ssh.
                let (context, repository) = match path.split_once("scm/") {
                    Some((context, repository)) if context.is_empty() || context.ends_with('/') => {
                        (context.trim_end_matches('/'), repository)
                    }
                    _ => ("", path.as_str()),
                };
                let base = if context.is_empty() { self.origin() } else { format!("{}/{context}", self.origin()) };
                Some((format!("{base}/rest/api/1.0"), repository.to_owned()))
            }
            Kind::AzureDevops => self.azure(),
        }
    }

    /// `dev.azure.com/org/project/_git/repo`, `org.visualstudio.com/[collection/]project/_git/repo`,
    /// `ssh.dev.azure.com:v3/org/project/repo`: the organization goes into the API address.
    fn azure(&self) -> Option<(String, String)> {
        let parts: Vec<&str> = self.path.split('/').collect();
        let (organization, project, repo) = match (self.host.as_str(), parts.as_slice()) {
            ("ssh.dev.azure.com" | "vs-ssh.visualstudio.com", ["v3", org, project, repo])
            | ("dev.azure.com", [org, project, "_git", repo]) => (*org, *project, *repo),
            (host, [.., project, "_git", repo]) if host.ends_with(".visualstudio.com") => {
                let org = host.trim_end_matches(".visualstudio.com");
                return Some((format!("https://{org}.visualstudio.com"), format!("{project}/{repo}")));
            }
            _ => return None,
        };
        let api = if self.host == "vs-ssh.visualstudio.com" {
            format!("https://{organization}.visualstudio.com")
        } else {
            format!("https://dev.azure.com/{organization}")
        };
        Some((api, format!("{project}/{repo}")))
    }
}

/// The forge of a repository address, for the well-known hosted forges and addresses that show
/// their forge; `None` for a local path or an unknown host.
#[must_use]
pub fn kind_of(url: &str) -> Option<Kind> {
    parse_address(url)?.kind()
}

/// `[forge] kind`: a forge, or `none` to say there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Kind(Kind),
    NoForge,
}

impl Named {
    /// The names `[forge] kind` takes: each forge's, and `none`.
    pub const NAMES: [&str; 7] =
        ["github", "gitlab", "bitbucket-server", "bitbucket-cloud", "azure-devops", "gitea", "none"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Named> {
        if name == "none" { Some(Named::NoForge) } else { Kind::from_name(name).map(Named::Kind) }
    }
}

/// What a release file's `[forge]` says of where the forge is: each `None` where it says nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Declared<'a> {
    pub kind: Option<Named>,
    pub api: Option<&'a str>,
    pub repository: Option<&'a str>,
}

/// Where the release repository lives on its forge: `[forge]` first, then the remote's address.
/// `Ok(None)` when there is no forge: `kind = "none"`, or nothing says which.
///
/// # Errors
/// When the forge is known but its API or the repository's path cannot be told, with what to set.
pub fn locate(remote_url: Option<&str>, declared: &Declared<'_>) -> Result<Option<Location>, String> {
    let address = remote_url.and_then(parse_address);
    let kind = match declared.kind {
        Some(Named::NoForge) => return Ok(None),
        Some(Named::Kind(kind)) => Some(kind),
        None => address.as_ref().and_then(Address::kind),
    };
    let Some(kind) = kind else { return Ok(None) };
    let derived = address.as_ref().and_then(|a| a.locate(kind));
    let api = declared.api.map(str::to_owned).or_else(|| derived.as_ref().map(|(api, _)| api.clone()));
    let repository = declared.repository.map(str::to_owned).or_else(|| derived.map(|(_, repository)| repository));
    let shown = remote_url.map_or_else(|| "no remote".to_owned(), crate::secret::redact);
    let Some(api) = api.map(|api| api.trim_end_matches('/').to_owned()) else {
        return Err(format!("cannot tell where the {} API answers ({shown}); set [forge] api", kind.title()));
    };
    let Some(repository) = repository.filter(|r| r.contains('/')) else {
        return Err(format!(
            "cannot tell the repository's path on {} from {shown}; set [forge] repository, such as \"shop/release\"",
            kind.title()
        ));
    };
    Ok(Some(Location { kind, api, repository }))
}

/// The variables in which a CI names its forge: a token from a variable may go there.
const CI_FORGE_VARIABLES: [&str; 6] = [
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "CI_API_V4_URL",
    "CI_SERVER_URL",
    "SYSTEM_COLLECTIONURI",
    "BITBUCKET_GIT_HTTP_ORIGIN",
];

/// Where a token from a forge's or CI's variable may be sent: the host of the remote URL, the
/// API derived from it, and the forge the CI names. Each is `host:port`, or `host` for an ssh or
/// scp address, whose port says nothing of the API's. Nothing a release file says is here.
#[must_use]
pub fn token_hosts(remote_url: Option<&str>, kind: Kind, var: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut hosts = Vec::new();
    if let Some(address) = remote_url.and_then(parse_address) {
        hosts.push(address.authority());
        if let Some(api) = address.locate(kind).and_then(|(api, _)| parse_address(&api)) {
            hosts.push(api.authority());
        }
    }
    for name in CI_FORGE_VARIABLES {
        if let Some(address) = var(name).as_deref().and_then(parse_address) {
            hosts.push(address.authority());
        }
    }
    hosts.dedup();
    hosts
}

/// Whether `api` answers at one of `hosts` (as [`token_hosts`] names them), read by the parser
/// that sends the requests, so that `https://evil.example#@api.github.com` is evil.example's.
#[must_use]
pub fn receives_tokens(api: &str, hosts: &[String]) -> bool {
    let Ok(url) = reqwest::Url::parse(api) else { return false };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
    if !matches!(url.scheme(), "https" | "http") || url.fragment().is_some() || url.query().is_some() {
        return false;
    }
    let host = host.to_lowercase();
    let authority = format!("{host}:{port}");
    hosts.iter().any(|trusted| *trusted == authority || *trusted == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_to_the_forge_the_remote_or_the_ci_names_and_nowhere_else() {
        let none = |_: &str| None;
        let hosts = token_hosts(Some("git@github.com:shop/release.git"), Kind::Github, &none);
        assert_eq!(hosts, ["github.com", "api.github.com:443"]);
        assert!(receives_tokens("https://api.github.com", &hosts));
        assert!(!receives_tokens("https://api.github.com.evil.example", &hosts));
        assert!(!receives_tokens("http://api.github.com:8080", &hosts), "another port is another origin");
        let web = token_hosts(Some("http://127.0.0.1:8080/shop/release.git"), Kind::Gitea, &none);
        assert!(receives_tokens("http://127.0.0.1:8080/api/v1", &web));
        assert!(!receives_tokens("http://localhost:8080/api/v1", &web), "another name for the host is another host");
        assert!(!receives_tokens("http://127.0.0.1:9090", &web));
        let ci = |name: &str| (name == "CI_API_V4_URL").then(|| "https://gitlab.example.com/api/v4".to_owned());
        let local = token_hosts(Some("/srv/git/release.git"), Kind::Gitlab, &ci);
        assert_eq!(local, ["gitlab.example.com:443"]);
        assert!(receives_tokens("https://gitlab.example.com/api/v4", &local));
        assert!(!receives_tokens("git@gitlab.example.com:x", &local), "an API is a web address");
        let hosts = token_hosts(Some("https://github.com/shop/release"), Kind::Github, &none);
        assert!(!receives_tokens("https://evil.example#@api.github.com", &hosts), "read as the request is sent");
        assert!(!receives_tokens("https://evil.example?@api.github.com", &hosts));
        assert!(receives_tokens("https://API.GitHub.com", &hosts));
    }

    fn located(url: &str) -> Option<(Kind, String, String)> {
        locate(Some(url), &Declared::default()).expect("locates").map(|l| (l.kind, l.api, l.repository))
    }

    #[expect(clippy::unnecessary_wraps, reason = "compared with what `located` answers")]
    fn at(kind: Kind, api: &str, repository: &str) -> Option<(Kind, String, String)> {
        Some((kind, api.to_owned(), repository.to_owned()))
    }

    #[test]
    fn hosted_forges_in_every_address_form() {
        let github = at(Kind::Github, "https://api.github.com", "shop/release");
        for url in [
            "https://github.com/shop/release.git",
            "https://github.com/shop/release",
            "https://ci-bot@github.com/shop/release/",
            "git@github.com:shop/release.git",
            "ssh://git@github.com/shop/release.git",
            "ssh://git@github.com:22/shop/release",
        ] {
            assert_eq!(located(url), github, "{url}");
        }
        assert_eq!(
            located("git@gitlab.com:shop/platform/release.git"),
            at(Kind::Gitlab, "https://gitlab.com/api/v4", "shop/platform/release")
        );
        assert_eq!(
            located("https://bitbucket.org/shop/release.git"),
            at(Kind::BitbucketCloud, "https://api.bitbucket.org/2.0", "shop/release")
        );
        assert_eq!(
            located("https://codeberg.org/shop/release"),
            at(Kind::Gitea, "https://codeberg.org/api/v1", "shop/release")
        );
    }

    #[test]
    fn azure_devops_addresses_put_the_organization_in_the_api() {
        let azure = at(Kind::AzureDevops, "https://dev.azure.com/acme", "Shop/release");
        assert_eq!(located("https://acme@dev.azure.com/acme/Shop/_git/release"), azure);
        assert_eq!(located("git@ssh.dev.azure.com:v3/acme/Shop/release"), azure);
        let classic = at(Kind::AzureDevops, "https://acme.visualstudio.com", "Shop/release");
        assert_eq!(located("https://acme.visualstudio.com/Shop/_git/release"), classic);
        assert_eq!(located("https://acme.visualstudio.com/DefaultCollection/Shop/_git/release"), classic);
        assert_eq!(located("acme@vs-ssh.visualstudio.com:v3/acme/Shop/release"), classic);
    }

    #[test]
    fn self_hosted_forges_by_address_shape_or_host_name() {
        let server = at(Kind::BitbucketServer, "https://git.acme.io/rest/api/1.0", "SHOP/release");
        assert_eq!(located("https://git.acme.io/scm/SHOP/release.git"), server);
        assert_eq!(located("ssh://git@git.acme.io:7999/SHOP/release.git"), server);
        assert_eq!(
            located("https://git.acme.io:8443/bitbucket/scm/SHOP/release.git"),
            at(Kind::BitbucketServer, "https://git.acme.io:8443/bitbucket/rest/api/1.0", "SHOP/release")
        );
        assert_eq!(
            located("https://github.acme.io/shop/release.git"),
            at(Kind::Github, "https://github.acme.io/api/v3", "shop/release")
        );
        assert_eq!(
            located("git@gitlab.acme.io:shop/platform/release.git"),
            at(Kind::Gitlab, "https://gitlab.acme.io/api/v4", "shop/platform/release")
        );
        assert_eq!(
            located("http://gitea.lan:3000/shop/release.git"),
            at(Kind::Gitea, "http://gitea.lan:3000/api/v1", "shop/release")
        );
        assert_eq!(located("https://git.acme.io/shop/release.git"), None, "an unknown host needs [forge] kind");
        assert_eq!(located("/srv/git/release.git"), None);
        assert_eq!(located("../release.git"), None);
        assert_eq!(located("file:///srv/git/release.git"), None);
    }

    #[test]
    fn the_release_file_overrides_what_the_address_shows() {
        let forge = |kind: Option<&str>, api, repository| Declared {
            kind: kind.map(|name| Named::from_name(name).expect("a kind")),
            api,
            repository,
        };
        let gitea = forge(Some("gitea"), None, None);
        let found = locate(Some("https://git.acme.io/shop/release.git"), &gitea).expect("locates");
        assert_eq!(found.map(|l| l.api), Some("https://git.acme.io/api/v1".to_owned()));

        let none = forge(Some("none"), None, None);
        assert_eq!(locate(Some("https://github.com/shop/release"), &none), Ok(None));

        let full = forge(Some("github"), Some("http://127.0.0.1:4000/"), Some("shop/release"));
        let found = locate(Some("/tmp/release.git"), &full).expect("locates").expect("a forge");
        assert_eq!((found.api.as_str(), found.repository.as_str()), ("http://127.0.0.1:4000", "shop/release"));

        let bare = forge(Some("gitlab"), None, None);
        let missing = locate(Some("/tmp/release.git"), &bare).expect_err("no api");
        assert_eq!(missing, "cannot tell where the GitLab API answers (/tmp/release.git); set [forge] api");
    }

    #[test]
    fn kinds_read_back_from_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert!(Named::NAMES.iter().all(|name| Named::from_name(name).is_some()));
        assert_eq!(Named::NAMES.len(), Kind::ALL.len() + 1);
    }
}
