//! The release file: read permissively, then resolved once into types that hold only valid values.

pub mod changes;
pub mod edit;
mod jira;
mod order;
mod parts;
pub mod pipeline;
mod raw;
pub mod template;
mod trust;
mod variables;

use std::fmt;

use crate::error::{self, Diagnostic};
use crate::secret::has_credentials;
use std::ops::Range;
use std::sync::Arc;

use serde_spanned::Spanned;

pub use jira::{DEFAULT_KEY_PATTERN, Jira, JiraKind, Keys};
pub use parts::{Component, Preview, PreviewPin, UMBRELLA, is_simple_name};
pub use trust::{Signer, Trust, TrustMode, read_signer};
pub use variables::{RESERVED as RESERVED_KEYS, RESERVED_PREFIXES};

use crate::policy::{self, Freeze};
use crate::refname;
use crate::version::{Cut, PatternKind, TagPattern, TagValues, Version};

/// Where the release file lives in every branch that has one.
pub const FILE_NAME: &str = "release.toml";
/// The largest release file read; anything bigger is refused unread.
pub const MAX_SIZE: u64 = 1 << 20;

/// Which copy of the release file is being read, for messages and for the environment check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// How a person names the place: a branch, `origin/<branch>`, or a revision.
    pub place: String,
    /// The local branch name the file was read from, when it was read from a branch.
    pub branch: Option<String>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{FILE_NAME} on {}", self.place)
    }
}

/// The bytes of a release file, or the size that made it too large to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    TooLarge(u64),
}

/// A release file whose every value has been checked.
#[derive(Debug, Clone)]
pub struct ReleaseFile {
    pub version: Version,
    pub app: App,
    pub tags: Tags,
    pub environments: Vec<Environment>,
    pub forge: Option<Forge>,
    pub jira: Option<Jira>,
    pub preview: Preview,
    pub trust: Trust,
}

/// The branch an rc is cut from, when it exists, where the release file names none.
pub const DEFAULT_RELEASE_BRANCH: &str = "release/{version}";

/// Where deployable commits and version tags live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// `.` for the release repository itself, else a URL or path.
    pub repo: String,
    pub branch: Option<String>,
    /// Where an rc is cut from when that branch exists: [`DEFAULT_RELEASE_BRANCH`] unless the
    /// file sets another, or `""` for none.
    pub release_branch: Option<BranchPattern>,
    /// Further repositories tagged and recorded with this one, which is then the umbrella.
    pub components: Vec<Component>,
}

/// A branch name that may hold `{version}` (`release/{version}`), checked when the file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchPattern(String);

impl BranchPattern {
    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The branch of one version: `release/1.4.0`.
    #[must_use]
    pub fn for_version(&self, version: &Version) -> String {
        self.0.replace("{version}", &version.to_string())
    }

    /// Every branch of the pattern as a refspec glob, `release/*`; a pattern without `{version}`
    /// is one branch; one with it twice has no glob.
    #[must_use]
    pub fn glob(&self) -> Option<String> {
        match self.0.matches("{version}").count() {
            0 => Some(self.0.clone()),
            1 => Some(self.0.replace("{version}", "*")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tags {
    pub rc: TagPattern,
    pub final_: TagPattern,
    pub deploy: TagPattern,
    pub deploy_wip: TagPattern,
    /// Approvals and their revocations (`git release approve`, `revoke`).
    pub approval: TagPattern,
}

impl Tags {
    /// The patterns a release file without `[tags]` uses.
    #[must_use]
    pub fn defaults() -> Tags {
        let parse = |kind: PatternKind| TagPattern::parse(kind, kind.default_pattern()).expect("defaults are valid");
        Tags {
            rc: parse(PatternKind::Rc),
            final_: parse(PatternKind::Final),
            deploy: parse(PatternKind::Deploy),
            deploy_wip: parse(PatternKind::DeployWip),
            approval: parse(PatternKind::Approval),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "each bool is an independent key of the release file")]
pub struct Environment {
    pub name: String,
    pub branch: String,
    pub cut: Cut,
    /// The environments a change must have run in before it enters this one: one in a line,
    /// several where environments fan in. Empty for the first.
    pub after: Vec<String>,
    pub restricted: bool,
    pub auto_promote: bool,
    /// What counts as the previous environment having deployed the same change.
    pub match_: Match,
    /// Whether the previous environment's record must be its latest.
    pub previous_current: bool,
    /// Whether each deployment must carry a greater semver than the last.
    pub require_bump: bool,
    /// Whether the reconciler merges the promotion pull request into it once everything allows.
    pub auto_merge: bool,
    /// How a promotion into it is merged.
    pub merge_method: MergeMethod,
    /// The merge commit's message, with `{from}`, `{to}`, `{version}`, `{tag}`, `{number}`.
    pub merge_message: Option<String>,
    /// How many distinct approvers `[trust.approvers]` lists must have approved the commit
    /// (`git release approve`) before it enters; 0 asks for none.
    pub require_approvals: u32,
    pub gate: GateMode,
    /// How long the previous environment's deployment must have run before the reconciler
    /// promotes it.
    pub soak: Option<std::time::Duration>,
    /// Windows in which the reconciler opens nothing.
    pub freeze: Vec<Freeze>,
    /// Versions or version tags the reconciler never promotes into this environment.
    pub blocked: Vec<String>,
    /// What `prepare` tells the environment's pipeline: its sets' and its own, merged.
    pub variables: std::collections::BTreeMap<String, String>,
    /// Which branch a deployment takes its code from.
    pub deploys: Deploys,
    /// The environment's own address (`url`), which the forge's deployments link to.
    pub url: Option<String>,
}

impl Environment {
    /// Whether `name` is one of the environments this one comes after.
    #[must_use]
    pub fn comes_after(&self, name: &str) -> bool {
        self.after.iter().any(|after| after == name)
    }

    /// The environments it comes after, as a sentence names them: `qa`, `eu and us`,
    /// `eu, us and ap`.
    #[must_use]
    pub fn after_named(&self) -> String {
        and_list(&self.after)
    }

    /// An environment as a release file with only `name` and `branch` describes it: every other
    /// key at its default.
    #[must_use]
    pub fn new(name: &str, branch: &str) -> Environment {
        Environment {
            name: name.to_owned(),
            branch: branch.to_owned(),
            cut: Cut::None,
            after: Vec::new(),
            restricted: false,
            auto_promote: false,
            match_: Match::default(),
            previous_current: true,
            require_bump: false,
            require_approvals: 0,
            auto_merge: false,
            merge_method: MergeMethod::default(),
            merge_message: None,
            gate: GateMode::default(),
            soak: None,
            freeze: Vec::new(),
            blocked: Vec::new(),
            variables: std::collections::BTreeMap::new(),
            deploys: Deploys::default(),
            url: None,
        }
    }
}

/// `merge-method`: how a promotion pull request is merged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MergeMethod {
    /// A merge commit.
    #[default]
    Merge,
    /// One commit with the changes, on the target.
    Squash,
    /// The target moved to the head, where it contains the target.
    FastForward,
}

impl MergeMethod {
    pub const ALL: [MergeMethod; 3] = [MergeMethod::Merge, MergeMethod::Squash, MergeMethod::FastForward];

    /// As the release file writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::FastForward => "fast-forward",
        }
    }
}

/// `match`: which deployments of the previous environment count for the gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// A record on the very commit.
    #[default]
    Commit,
    /// A record on any commit with the identical tree (a merge that changed nothing counts).
    Tree,
}

/// `deploys`: which branch a deployment of the environment takes its code from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deploys {
    /// Its own branch (one repository), or the tracked or release branch of the application.
    #[default]
    Branch,
    /// Any branch the pipeline names (a feature branch on dev): `--branch`, else the branch the
    /// CI's push pipeline runs for.
    AnyBranch,
}

/// `gate`: what the merge gate asks of a change beside the promotion rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateMode {
    /// The previous environment deployed the change.
    #[default]
    Previous,
    /// Deploy on approval: the environment itself deployed the change before it merges.
    #[serde(rename = "self")]
    Self_,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forge {
    pub kind: Option<crate::forge::detect::Named>,
    pub api: Option<String>,
    pub repository: Option<String>,
    /// How a short reference's `owner/repo` becomes a git URL: `{repository}` is replaced.
    pub git_url: Option<String>,
    /// Whether `record` tells the forge of each deployment, where it has a deployments API
    /// (`deployments = false` turns it off).
    pub deployments: bool,
}

impl Forge {
    /// What the file says of where the forge is, as detection takes it.
    #[must_use]
    pub fn declared(&self) -> crate::forge::detect::Declared<'_> {
        crate::forge::detect::Declared {
            kind: self.kind,
            api: self.api.as_deref(),
            repository: self.repository.as_deref(),
        }
    }
}

/// Why a release file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin} is {size} bytes, more than the 1 MiB a release file may hold")]
    TooLarge { origin: Origin, size: u64 },
    #[error("{origin} is not UTF-8 text: line {line}, column {column} holds a byte that is not UTF-8")]
    NotUtf8 { origin: Origin, line: usize, column: usize },
    #[error("{origin} is not a valid release file")]
    Invalid { origin: Origin, problems: Vec<Problem> },
}

impl ConfigError {
    #[must_use]
    pub fn origin(&self) -> &Origin {
        match self {
            ConfigError::TooLarge { origin, .. }
            | ConfigError::NotUtf8 { origin, .. }
            | ConfigError::Invalid { origin, .. } => origin,
        }
    }
}

impl Diagnostic for ConfigError {
    fn kind(&self) -> error::Kind {
        error::Kind::Config
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ConfigError::Invalid { problems, .. } => problems.iter().map(ToString::to_string).collect(),
            ConfigError::NotUtf8 { .. } | ConfigError::TooLarge { .. } => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        let origin = self.origin();
        let fix = match &origin.branch {
            Some(branch) => format!("fix {FILE_NAME} on {branch} and commit it there"),
            None => format!("fix {FILE_NAME} and commit it"),
        };
        vec![fix, "the release file is described under FILES in 'man git-release'".to_owned()]
    }
}

/// One thing wrong in a release file, with where it is when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

thread_local! {
    /// The last few texts found valid wherever they are read, with where their `version` is:
    /// the branches of a project mostly hold the same file, which a run judging a thousand
    /// environments would otherwise parse and check a thousand times. Only what holds for every
    /// branch is kept; whether the version suits the branch a file is read from is checked on
    /// every read.
    static CHECKED: std::cell::RefCell<Vec<Checked>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A text, the file it is wherever it is read, and where its `version` is.
type Checked = (String, Arc<ReleaseFile>, Option<Range<usize>>);

/// What [`CHECKED`] keeps for `text`.
fn checked(text: &str) -> Option<(Arc<ReleaseFile>, Option<Range<usize>>)> {
    CHECKED
        .with_borrow(|kept| kept.iter().find(|(t, ..)| t == text).map(|(_, file, span)| (file.clone(), span.clone())))
}

/// `file`, valid wherever it is read, read from `origin`: refused when its version does not
/// suit the environment whose branch that is, as the full check would refuse it.
fn read_from(
    file: Arc<ReleaseFile>,
    version_at: Option<Range<usize>>,
    text: &str,
    origin: &Origin,
) -> Result<Arc<ReleaseFile>, ConfigError> {
    let here = file.environments.iter().find(|e| Some(e.branch.as_str()) == origin.branch.as_deref());
    if let Some(misfit) = here.and_then(|environment| Some((environment, file.version.fits(environment.cut).err()?))) {
        let (environment, misfit) = misfit;
        let mut resolver = Resolver { text, problems: Vec::new(), line_starts: std::cell::OnceCell::new() };
        resolver.problem(version_at, format!("environment {} on this branch: {misfit}", environment.name));
        return Err(ConfigError::Invalid { origin: origin.clone(), problems: resolver.problems });
    }
    Ok(file)
}

/// Reads and checks a release file.
///
/// The top-level `version` must suit the environment whose branch the file was read from, if any.
///
/// # Errors
/// Every problem found, each with its line and column where known.
pub fn parse(content: &Content, origin: &Origin) -> Result<ReleaseFile, ConfigError> {
    parse_shared(content, origin).map(Arc::unwrap_or_clone)
}

/// As [`parse`], the file shared with every other read of the same text: for those that only
/// read it, and may read the same file from many branches.
///
/// # Errors
/// Every problem found, each with its line and column where known.
pub fn parse_shared(content: &Content, origin: &Origin) -> Result<Arc<ReleaseFile>, ConfigError> {
    let bytes = match content {
        Content::TooLarge(size) => return Err(ConfigError::TooLarge { origin: origin.clone(), size: *size }),
        Content::Bytes(bytes) if bytes.len() as u64 > MAX_SIZE => {
            return Err(ConfigError::TooLarge { origin: origin.clone(), size: bytes.len() as u64 });
        }
        Content::Bytes(bytes) => bytes,
    };
    let text = std::str::from_utf8(bytes).map_err(|source| {
        let valid = std::str::from_utf8(&bytes[..source.valid_up_to()]).expect("valid up to this byte");
        let (line, column) = line_column(valid, valid.len());
        ConfigError::NotUtf8 { origin: origin.clone(), line, column }
    })?;
    if let Some((file, version_at)) = checked(text) {
        return read_from(file, version_at, text, origin);
    }
    let mut resolver = Resolver { text, problems: Vec::new(), line_starts: std::cell::OnceCell::new() };
    let file = match toml_edit::de::from_str::<raw::File>(text) {
        // Checked as valid wherever it is read, then for this branch; kept when valid.
        Ok(raw) => {
            let version_at = raw.version.as_ref().map(Spanned::span);
            let everywhere = resolver.file(raw, None);
            if let Some(file) = everywhere.filter(|_| resolver.problems.is_empty()) {
                let file = Arc::new(file);
                CHECKED.with_borrow_mut(|kept| {
                    if kept.len() == 4 {
                        kept.remove(0);
                    }
                    kept.push((text.to_owned(), file.clone(), version_at.clone()));
                });
                return read_from(file, version_at, text, origin);
            }
            // Invalid anywhere: checked again for this branch, so that every problem is said.
            let raw = toml_edit::de::from_str::<raw::File>(text).expect("parsed a moment ago");
            resolver.problems.clear();
            resolver.file(raw, origin.branch.as_deref())
        }
        Err(error) => {
            resolver.problem(error.span(), error.message().trim_end().to_owned());
            let (further, rest) = further_problems(text, error.span());
            for (span, message) in further {
                resolver.problem(Some(span), message);
            }
            // The file is invalid whatever the rest says; the rest may still say more.
            if let Some(rest) = rest {
                resolver.file(rest, origin.branch.as_deref());
            }
            None
        }
    };
    let mut problems = resolver.problems;
    problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
    match file {
        Some(file) if problems.is_empty() => Ok(Arc::new(file)),
        _ => Err(ConfigError::Invalid { origin: origin.clone(), problems }),
    }
}

/// After the first problem serde met (an unknown key, a value of the wrong type), the ones after
/// it: the lines of each problem are blanked (their line breaks kept, so every later position
/// stays where it was) and the file read again, as long as what remains is TOML and the problem
/// lies within a key's lines. A problem of a whole table (a key it lacks) ends the search: taking
/// the table away would make problems of its neighbours that are none.
///
/// When what remains reads, it is returned too: its checks find the rest of the problems, at the
/// same places (the keys taken away were refused already, so none is missed for their sake).
fn further_problems(
    text: &str,
    first: Option<std::ops::Range<usize>>,
) -> (Vec<(std::ops::Range<usize>, String)>, Option<raw::File>) {
    const MOST: usize = 100;
    let mut found = Vec::new();
    let mut text = text.to_owned();
    let mut span = first;
    while let Some(at) = span.take() {
        // A span may end inside a character; the lines around it are what is blanked.
        let (from, to) = (at.start.min(text.len()), at.end.clamp(at.start, text.len()));
        let start = text.as_bytes()[..from].iter().rposition(|b| *b == b'\n').map_or(0, |n| n + 1);
        let end = text.as_bytes()[to..].iter().position(|b| *b == b'\n').map_or(text.len(), |n| to + n);
        if text[start..end].trim_start().starts_with('[') || found.len() == MOST {
            break;
        }
        // A space per byte: every later byte offset stays where it was.
        let blanked: String = text[start..end]
            .chars()
            .map(|c| if c == '\n' { "\n".to_owned() } else { " ".repeat(c.len_utf8()) })
            .collect();
        text.replace_range(start..end, &blanked);
        match toml_edit::de::from_str::<raw::File>(&text) {
            Ok(raw) => return (found, Some(raw)),
            Err(error) if error.span().is_some_and(|s| s.start >= end || s.end <= start) => {
                if let Some(next) = error.span() {
                    found.push((next.clone(), error.message().trim_end().to_owned()));
                    span = Some(next);
                }
            }
            Err(_) => break,
        }
    }
    (found, None)
}

struct Resolver<'a> {
    text: &'a str,
    problems: Vec<Problem>,
    /// Where each line of `text` starts, found once a problem needs a line number.
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl Resolver<'_> {
    fn file(&mut self, raw: raw::File, branch: Option<&str>) -> Option<ReleaseFile> {
        let sets = self.variable_sets(raw.variable_sets);
        let environments = self.environments(raw.environments, &sets);
        let tags = self.tags(raw.tags);
        let version = self.version(raw.version, &environments, branch, tags.as_ref());
        let app = self.app(raw.app);
        let forge = raw.forge.map(|forge| self.forge(forge));
        let jira = raw.jira.and_then(|jira| self.jira(jira, &environments));
        let components = app.as_ref().map_or(&[][..], |app: &App| &app.components);
        let preview = self.preview(raw.preview.unwrap_or_default(), components);
        // Without `[trust]`, `require-approvals` still needs approvers: the table is read as empty.
        let trust = self.trust(raw.trust.unwrap_or_default(), &environments);
        Some(ReleaseFile { version: version?, app: app?, tags: tags?, environments, forge, jira, preview, trust })
    }

    fn version(
        &mut self,
        raw: Option<Spanned<String>>,
        environments: &[Environment],
        branch: Option<&str>,
        tags: Option<&Tags>,
    ) -> Option<Version> {
        let Some(raw) = raw else {
            self.problem(
                None,
                "missing `version`; add a top-level line such as version = \"1.4.0\" or version = \"WIP\"".into(),
            );
            return None;
        };
        let version = match Version::parse(raw.get_ref()) {
            Ok(version) => version,
            Err(error) => {
                self.problem(Some(raw.span()), error.to_string());
                return None;
            }
        };
        if let Some(environment) = environments.iter().find(|e| Some(e.branch.as_str()) == branch) {
            if let Err(misfit) = version.fits(environment.cut) {
                self.problem(Some(raw.span()), format!("environment {} on this branch: {misfit}", environment.name));
            }
        }
        // A pin cuts no version tags; only its record name, made tag-safe, holds it.
        let pinned = matches!(version, Version::Pin(_));
        let in_tag = version.in_tag();
        let patterns = tags.into_iter().flat_map(Tags::all).filter(|p| p.uses_version());
        for pattern in patterns.filter(|p| !pinned || matches!(p.kind(), PatternKind::Deploy)) {
            let tag = pattern.render(&TagValues { version: &in_tag, ..TagValues::SAMPLE });
            if let Err(problem) = refname::check_short(&tag) {
                let key = pattern.kind().key();
                self.problem(
                    Some(raw.span()),
                    format!("version makes the {key} tag `{tag}`, which git refuses as {problem}"),
                );
            }
        }
        Some(version)
    }

    fn environments(&mut self, raw: Vec<raw::Environment>, sets: &variables::Sets) -> Vec<Environment> {
        if raw.is_empty() {
            let hint = "add [[environments]] tables, each with a name and a branch";
            self.problem(None, format!("no environments are defined; {hint}"));
        }
        let mut environments: Vec<Environment> = Vec::new();
        let mut afters = Vec::new();
        let mut names = std::collections::HashSet::new();
        let mut branches = Branches::default();
        for env in raw {
            let name = env.name.get_ref().clone();
            self.environment_name(&env.name);
            if !names.insert(name.clone()) {
                self.problem(
                    Some(env.name.span()),
                    format!("environment `{name}` is defined twice; names must be unique"),
                );
            }
            let branch = match &env.branch {
                Some(branch) => self.branch(branch),
                None => Spanned::new(env.name.span(), format!("environment/{name}")),
            };
            self.distinct_branch(&branch, &name, &mut branches);
            let branch = branch.into_inner();
            afters.push(env.after.clone());
            let soak = env.soak.and_then(|soak| {
                policy::parse_duration(soak.get_ref()).map_err(|why| self.problem(Some(soak.span()), why)).ok()
            });
            let freeze = env
                .freeze
                .into_iter()
                .filter_map(|window| {
                    Freeze::parse(window.get_ref()).map_err(|why| self.problem(Some(window.span()), why)).ok()
                })
                .collect();
            let variables = self.environment_variables(env.variables, env.variable_sets, sets);
            let deploys = env.deploys.as_ref().map_or(Deploys::Branch, |d| *d.get_ref());
            let cut = env.cut.unwrap_or(Cut::None);
            if env.auto_merge && !env.auto_promote {
                let message = format!(
                    "environment {name} has auto-merge = true without auto-promote = true: reconcile merges only the promotions it keeps; \
                     add auto-promote = true, or use 'git release promote <from> {name} --merge'"
                );
                self.problem(Some(env.name.span()), message);
            }
            let require_approvals = env.require_approvals.as_ref().map_or(0, |n| {
                u32::try_from(*n.get_ref()).ok().filter(|n| *n <= 100).unwrap_or_else(|| {
                    let message =
                        format!("require-approvals = {} is out of range; give a number from 0 to 100", n.get_ref());
                    self.problem(Some(n.span()), message);
                    0
                })
            });
            if let (Some(deploys), Deploys::AnyBranch, false) = (&env.deploys, deploys, cut == Cut::None) {
                self.problem(
                    Some(deploys.span()),
                    format!(
                        "deploys = \"any-branch\" needs cut = \"none\" (environment {name} has cut = \"{}\"): \
                         a branch of anyone's naming gets no release candidates",
                        cut.as_str()
                    ),
                );
            }
            let url = env.url.as_ref().and_then(|url| self.environment_url(&name, url));
            environments.push(Environment {
                name,
                branch,
                cut: env.cut.unwrap_or(Cut::None),
                after: env.after.as_ref().map(|after| after.get_ref().names()).unwrap_or_default(),
                restricted: env.restricted,
                auto_promote: env.auto_promote,
                match_: env.match_.unwrap_or_default(),
                previous_current: env.previous_current.unwrap_or(true),
                require_bump: env.require_bump,
                require_approvals,
                auto_merge: env.auto_merge,
                merge_method: env.merge_method.unwrap_or_default(),
                merge_message: env.merge_message.map(Spanned::into_inner),
                gate: env.gate.unwrap_or_default(),
                soak,
                freeze,
                blocked: env.blocked.into_iter().map(Spanned::into_inner).collect(),
                variables,
                deploys,
                url,
            });
        }
        self.check_after(&environments, &afters);
        environments
    }

    /// `url`: an `http` or `https` address with no credentials, on one line.
    fn environment_url(&mut self, name: &str, url: &Spanned<String>) -> Option<String> {
        let text = url.get_ref().trim();
        let problem = if let Some(problem) = control_character(text) {
            Some(problem)
        } else if !(text.starts_with("https://") || text.starts_with("http://"))
            || text.split("://").nth(1).and_then(|rest| rest.split(['/', '?', '#']).next()).is_none_or(str::is_empty)
            || text.chars().any(|c| {
                c.is_whitespace()
                    || matches!(c, '"' | '<' | '>' | '\\' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            })
        {
            Some("is not an http or https address with a host, on one line".to_owned())
        } else if has_credentials(text) {
            Some("holds credentials, which a forge would show to anyone who can read the repository".to_owned())
        } else {
            None
        };
        match problem {
            Some(problem) => {
                self.problem(Some(url.span()), format!("environment {name}: url `{}` {problem}", text.escape_debug()));
                None
            }
            None => Some(text.to_owned()),
        }
    }

    fn environment_name(&mut self, name: &Spanned<String>) {
        let text = name.get_ref();
        if !is_simple_name(text) {
            let message = format!(
                "environment name `{}` is not allowed; use lower-case letters, digits and '-', starting with a letter or digit",
                text.escape_debug()
            );
            self.problem(Some(name.span()), message);
        }
    }

    fn branch(&mut self, branch: &Spanned<String>) -> Spanned<String> {
        let name = branch.get_ref();
        let refused = if name == "HEAD" {
            Some("it is `HEAD`".to_owned())
        } else {
            refname::check_short(name).err().map(|p| p.to_string())
        };
        if let Some(problem) = refused {
            self.problem(
                Some(branch.span()),
                format!("`{}` is not a branch name git accepts: {problem}", name.escape_debug()),
            );
        }
        branch.clone()
    }

    /// Git cannot hold two environments on one branch, nor `a` beside `a/b`. Each branch is
    /// looked up, with each folder above it, among those before it: linear in the number of
    /// environments.
    fn distinct_branch(&mut self, branch: &Spanned<String>, environment: &str, earlier: &mut Branches) {
        let name = branch.get_ref();
        let mut clashes = Vec::new();
        if let Some(other) = earlier.branches.get(name) {
            clashes.push(format!(
                "branch `{name}` is already the branch of environment {other}; each environment needs its own"
            ));
        }
        let folders: Vec<&str> = name.match_indices('/').map(|(at, _)| &name[..at]).collect();
        let inside = earlier.folders.get(name).map(|(b, e)| (b.as_str(), e.as_str()));
        let outside = folders.iter().filter_map(|folder| earlier.branches.get_key_value(*folder));
        for (other, owner) in inside.into_iter().chain(outside.map(|(b, e)| (b.as_str(), e.as_str()))) {
            clashes.push(format!(
                "branch `{name}` cannot exist beside `{other}` (environment {owner}), as git stores one inside the other"
            ));
        }
        for message in clashes {
            self.problem(Some(branch.span()), message);
        }
        for folder in folders {
            earlier.folders.entry(folder.to_owned()).or_insert_with(|| (name.clone(), environment.to_owned()));
        }
        earlier.branches.entry(name.clone()).or_insert_with(|| environment.to_owned());
    }

    /// Every `after` names defined environments, each once, and lies on no cycle; linear in
    /// the number of environments and links, as a release file may list thousands.
    fn check_after(&mut self, environments: &[Environment], afters: &[Option<Spanned<raw::After>>]) {
        let names: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
        let defined = names.join(", ");
        let index: std::collections::HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let next: Vec<Vec<usize>> = environments
            .iter()
            .map(|e| e.after.iter().filter_map(|a| index.get(a.as_str()).copied()).collect())
            .collect();
        let cycles = order::cycles(&next);
        for (at, after) in afters.iter().enumerate() {
            let Some(after) = after else { continue };
            let span = after.span();
            let listed = after.get_ref().names();
            if listed.is_empty() {
                let message = "after = [] lists no environment; leave `after` out of an environment that comes first";
                self.problem(Some(span.clone()), message.into());
            }
            for (place, name) in listed.iter().enumerate() {
                if listed[..place].contains(name) {
                    self.problem(Some(span.clone()), format!("after lists \"{}\" twice", name.escape_debug()));
                } else if !index.contains_key(name.as_str()) {
                    let message = match after.get_ref() {
                        raw::After::One(_) => format!("after = \"{}\" names no environment", name.escape_debug()),
                        raw::After::Several(_) => {
                            format!("after lists \"{}\", which names no environment", name.escape_debug())
                        }
                    };
                    self.problem(Some(span.clone()), format!("{message}; defined are: {defined}"));
                }
            }
            if listed.contains(&environments[at].name) {
                let name = &environments[at].name;
                let message = format!("after names {name} itself; an environment cannot come after itself");
                self.problem(Some(span), message);
            } else if let Some(cycle) = &cycles[at] {
                self.problem(Some(span), format!("`after` forms a cycle: {}", order::shown(&names, cycle)));
            }
        }
    }

    fn tags(&mut self, raw: raw::Tags) -> Option<Tags> {
        let rc = self.pattern(PatternKind::Rc, raw.rc);
        let final_ = self.pattern(PatternKind::Final, raw.final_);
        let deploy = self.pattern(PatternKind::Deploy, raw.deploy);
        let deploy_wip = self.pattern(PatternKind::DeployWip, raw.deploy_wip);
        let approval = self.pattern(PatternKind::Approval, raw.approval);
        Some(Tags { rc: rc?, final_: final_?, deploy: deploy?, deploy_wip: deploy_wip?, approval: approval? })
    }

    fn pattern(&mut self, kind: PatternKind, raw: Option<Spanned<String>>) -> Option<TagPattern> {
        let Some(raw) = raw else {
            return Some(TagPattern::parse(kind, kind.default_pattern()).expect("default patterns are valid"));
        };
        TagPattern::parse(kind, raw.get_ref())
            .map_err(|error| self.problem(Some(raw.span()), format!("[tags] {}: {error}", kind.key())))
            .ok()
    }

    fn app(&mut self, raw: raw::App) -> Option<App> {
        let mut ok = true;
        for (key, branch) in [("branch", &raw.branch), ("release-branch", &raw.release_branch)] {
            let Some(branch) = branch else { continue };
            // `release-branch = ""` asks for none: every rc is cut from the tracked branch.
            if key == "release-branch" && branch.get_ref().is_empty() {
                continue;
            }
            let sample = branch.get_ref().replace("{version}", TagValues::SAMPLE.version);
            let refused = if sample.contains(['{', '}']) {
                Some("only {version} may be used in it".to_owned())
            } else if sample == "HEAD" {
                Some("it is `HEAD`".to_owned())
            } else {
                refname::check_short(&sample).err().map(|p| p.to_string())
            };
            if let Some(problem) = refused {
                let message = format!("[app] {key} `{}` is not a branch name git accepts: {problem}", branch.get_ref());
                self.problem(Some(branch.span()), message);
                ok = false;
            }
        }
        if let Some(repo) = &raw.repo {
            if let Some(problem) = control_character(repo.get_ref()) {
                self.problem(Some(repo.span()), format!("[app] repo {problem}"));
                ok = false;
            }
            if has_credentials(repo.get_ref()) {
                let message = "[app] repo holds credentials; keep them out of the release file and let git's credential helper supply them";
                self.problem(Some(repo.span()), message.to_owned());
                ok = false;
            }
        }
        let components = self.components(raw.components);
        if !components.is_empty() && raw.repo.as_ref().is_none_or(|repo| repo.get_ref() == ".") {
            let message = "[[app.components]] need an umbrella repository: set [app] repo to its URL or path";
            self.problem(None, message.to_owned());
            ok = false;
        }
        ok.then(|| App {
            repo: raw.repo.map_or_else(|| ".".to_owned(), Spanned::into_inner),
            branch: raw.branch.map(Spanned::into_inner),
            release_branch: match raw.release_branch.map(Spanned::into_inner) {
                None => Some(BranchPattern(DEFAULT_RELEASE_BRANCH.to_owned())),
                Some(none) if none.is_empty() => None,
                Some(set) => Some(BranchPattern(set)),
            },
            components,
        })
    }

    fn forge(&mut self, raw: raw::Forge) -> Forge {
        let kind = raw.kind.as_ref().and_then(|kind| {
            let named = crate::forge::detect::Named::from_name(kind.get_ref());
            if named.is_none() {
                let message = format!(
                    "[forge] kind `{}` is unknown; use one of {}",
                    kind.get_ref(),
                    crate::forge::detect::Named::NAMES.join(", ")
                );
                self.problem(Some(kind.span()), message);
            }
            named
        });
        for (key, value) in [("api", raw.api.as_ref()), ("repository", raw.repository.as_ref())] {
            if let Some((problem, span)) = value.and_then(|v| Some((control_character(v.get_ref())?, v.span()))) {
                self.problem(Some(span), format!("[forge] {key} {problem}"));
            }
        }
        // The repository goes into the API's paths, with the token: it names one repository and
        // steps nowhere else.
        if let Some(repository) = raw.repository.as_ref() {
            let text = repository.get_ref();
            let odd = text.split('/').any(|part| part.is_empty() || part == "." || part == "..")
                || text.contains(['?', '#', '\\', '%'])
                || text.chars().any(char::is_whitespace);
            if odd {
                let message = format!(
                    "[forge] repository `{}` is not a repository's path (such as shop/release): it has an empty, `.` or `..` part, a space, or `?`, `#`, `%` or `\\`",
                    text.escape_debug()
                );
                self.problem(Some(repository.span()), message);
            }
        }
        if let Some(api) = raw.api.as_ref().filter(|api| {
            let lower = api.get_ref().to_ascii_lowercase();
            !(lower.starts_with("https://") || lower.starts_with("http://"))
        }) {
            let message = format!("[forge] api `{}` is not an http or https address", api.get_ref().escape_debug());
            self.problem(Some(api.span()), message);
        }
        if let Some(api) = raw.api.as_ref().filter(|api| {
            api.get_ref().to_ascii_lowercase().contains("%2e")
                || api.get_ref().split('/').any(|part| part == "." || part == "..")
        }) {
            let message = format!(
                "[forge] api `{}` has a `.` or `..` part; give the API's address as it is",
                api.get_ref().escape_debug()
            );
            self.problem(Some(api.span()), message);
        }
        if let Some(api) = raw.api.as_ref().filter(|api| api.get_ref().contains(['?', '#', '\\'])) {
            let message = "[forge] api is the API's base address: it takes no query, fragment or backslash";
            self.problem(Some(api.span()), message.to_owned());
        }
        if let Some(problem) = raw.git_url.as_ref().and_then(|url| control_character(url.get_ref())) {
            self.problem(raw.git_url.as_ref().map(Spanned::span), format!("[forge] git-url {problem}"));
        }
        let git_url = self.git_url(raw.git_url);
        if raw.api.as_ref().is_some_and(|api| has_credentials(api.get_ref())) {
            let message =
                "[forge] api holds credentials; the token comes from the forge's variable, such as GITHUB_TOKEN";
            self.problem(None, message.to_owned());
        }
        Forge {
            kind,
            api: raw.api.map(Spanned::into_inner),
            repository: raw.repository.map(Spanned::into_inner),
            git_url,
            deployments: raw.deployments.unwrap_or(true),
        }
    }

    fn problem(&mut self, span: Option<Range<usize>>, message: String) {
        let (line, column) = span.map_or((None, None), |span| {
            let (line, column) = self.position(span.start);
            (Some(line), Some(column))
        });
        self.problems.push(Problem { line, column, message });
    }

    /// 1-based line and column (in characters) of a byte offset, as [`line_column`] counts them,
    /// without reading the text from its start for every problem.
    fn position(&self, offset: usize) -> (usize, usize) {
        let text = self.text;
        let starts = self
            .line_starts
            .get_or_init(|| std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect());
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = starts.partition_point(|&start| start <= offset);
        (line, text[starts[line - 1]..offset].chars().count() + 1)
    }
}

impl Tags {
    /// The patterns, in the order of `[tags]`.
    #[must_use]
    pub fn all(&self) -> [&TagPattern; 5] {
        [&self.rc, &self.final_, &self.deploy, &self.deploy_wip, &self.approval]
    }
}

impl ReleaseFile {
    /// The environment called `name`.
    #[must_use]
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// The environments `environment` comes after, in the order its `after` lists them.
    #[must_use]
    pub fn before(&self, environment: &Environment) -> Vec<&Environment> {
        environment.after.iter().filter_map(|name| self.environment(name)).collect()
    }

    /// Whether a record on a commit with the same tree counts as a record of the commit itself,
    /// for what enters `environment`: with `match = "tree"`, and always in the one-repository
    /// layout, where the files are what deploys and the forge's merge commit or squash of an
    /// allowed pull request holds the very files the environment before deployed.
    #[must_use]
    pub fn matches_trees(&self, environment: &Environment) -> bool {
        environment.match_ == Match::Tree || self.app.is_here()
    }

    /// The environment names, for messages.
    #[must_use]
    pub fn environment_names(&self) -> String {
        self.environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// What is wrong with an address or name holding a control character (a newline would start a
/// line of its own in what git's credential helpers read): `None` when it holds none.
#[must_use]
pub fn control_character(text: &str) -> Option<String> {
    let found = text.chars().find(|c| c.is_control())?;
    Some(format!(
        "holds the control character U+{:04X}; addresses and names are one line of printable text",
        u32::from(found)
    ))
}

/// Whether branch `inner` would live inside `outer` as a folder (`a/b` inside `a`).
/// The branches of the environments read so far, each with its environment, and every folder
/// above one of them with the first branch inside it.
#[derive(Default)]
struct Branches {
    branches: std::collections::HashMap<String, String>,
    folders: std::collections::HashMap<String, (String, String)>,
}

/// Names as a sentence lists them: `a`, `a and b`, `a, b and c`.
#[must_use]
pub fn and_list<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            format!("{} and {}", rest.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", "), last.as_ref())
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
