//! `git release promote <from> <to>`: keeps exactly one open pull request from one environment's
//! branch into the next one's, its title and body in line with what it would carry.

use std::collections::HashMap;

use serde::Serialize;

use crate::admission::{self, Request, Verdict};
use crate::app::AppRepo;
use crate::config::{Content, Environment, FILE_NAME};
use crate::error::{Error, Kind};
use crate::forge::{self, Draft, Forge, Opened, Owner, PullRequest};
use crate::gate;
use crate::git::{Expect, PushOutcome, PushRef};
use crate::jira::{Keys, Note, Piece, Update};
use crate::object_id::ObjectId;
use crate::plan::promotion::{Marker, with_block};
use crate::record::Record;
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

use super::Context;
use super::jira::{JiraArgs, JiraReport};

/// Open or update the pull request that promotes one environment into the next
///
/// Idempotent: a rerun with nothing changed writes nothing; when the source moved, the same pull
/// request gets a new title and body. Without a forge (none detected, `[forge] kind = "none"`,
/// or --offline) it prints the promotion instead.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment the change comes from
    #[arg(env = "GIT_RELEASE_FROM")]
    pub from: String,
    /// The environment it goes into; its `after` must be FROM
    #[arg(env = "GIT_RELEASE_TO")]
    pub to: String,
    /// Say what would happen, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The pull request's title (default: "Promote FROM → TO: VERSION")
    #[arg(long, value_name = "T", env = "GIT_RELEASE_TITLE")]
    pub title: Option<String>,
    /// Open the pull request as a draft
    #[arg(long)]
    pub draft: bool,
    /// Open it from a branch promote/TO built on TO's head with FROM's release file, for when
    /// the branches conflict (kept up to date on reruns)
    #[arg(long)]
    pub rebuild: bool,
    #[command(flatten)]
    pub jira: JiraArgs,
}

#[derive(Debug, Serialize)]
struct PromoteReport {
    from: String,
    to: String,
    version: String,
    /// `created`, `updated`, `unchanged`, `printed`, or `nothing` when the target holds what the
    /// source would bring already (no forge is asked then).
    action: &'static str,
    number: Option<u64>,
    url: Option<String>,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    jira: Option<JiraReport>,
    #[serde(skip)]
    text: String,
}

impl Report for PromoteReport {
    fn human(&self, paint: Paint) -> String {
        let jira = self.jira.as_ref().map(|jira| jira.human(paint)).unwrap_or_default();
        if self.action == "printed" || self.action == "nothing" {
            return format!("{}{jira}", self.text);
        }
        let pull = match (self.number, &self.url) {
            (Some(number), Some(url)) => format!("pull request #{number}: {url}"),
            _ => format!("a pull request from {} into {}", self.from, self.to),
        };
        if self.dry_run {
            let verb = match self.action {
                "created" => "would open",
                "updated" => "would update",
                _ => "would leave unchanged",
            };
            return format!("{verb} {pull}\n{jira}");
        }
        format!("{} {pull}\n{jira}", self.action)
    }
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let workspace = context.judging_workspace()?;
    let from = workspace.find_environment(&args.from)?;
    let to = workspace.find_environment(&args.to)?;
    if from.name == to.name {
        return Err(Error::new(Kind::Usage, format!("cannot promote {} into itself", from.name))
            .cause("a promotion goes from one environment into the one whose `after` names it")
            .hint(format!("name two environments: {}", workspace.file.environment_names())));
    }
    if to.after.as_deref() != Some(from.name.as_str()) {
        let comes_after = to.after.as_ref().map_or_else(
            || format!("{} comes after no environment (its `after` is not set): nothing is promoted into it", to.name),
            |after| format!("{} comes after {after}, not {}", to.name, from.name),
        );
        return Err(Error::new(Kind::Refused, format!("cannot promote {} into {}", from.name, to.name))
            .cause(comes_after)
            .hint("promote each environment into the one whose `after` names it"));
    }
    let given = args.jira.check(context, &workspace)?;
    if !context.offline {
        // A fresh clone holds no copy of the application repository yet, and an old copy misses
        // the latest deployments: the gate and the commit list need the records as they are now.
        crate::deploy::refresh(&workspace, &AppRepo::open(&workspace, None)?, &[&to])?;
    }
    let promotion = Promotion::read(&workspace, &from, &to)?;
    let title = args.title.clone().unwrap_or_else(|| promotion.title());
    let body = promotion.body();
    let report = |action: &'static str, pull: Option<&PullRequest>, text: String| PromoteReport {
        from: from.name.clone(),
        to: to.name.clone(),
        version: promotion.version.clone(),
        action,
        number: pull.map(|p| p.number),
        url: pull.map(|p| p.url.clone()),
        dry_run: args.dry_run,
        jira: None,
        text,
    };
    if let Some(why) = nothing_to_promote(&workspace, &promotion, args.rebuild)? {
        context.ui.report(&report("nothing", None, format!("nothing to promote: {why}\n")));
        return Ok(());
    }
    let forge = context.forge(&workspace)?;
    let owner = forge.as_deref().map(|forge| Owner::new(forge, std::env::var(forge::ACCOUNT_VARIABLE).ok()));
    let (source, tip) = if args.rebuild {
        // A stranger's pull request from the rebuilt branch would carry what is pushed there.
        if let (Some(forge), Some(owner)) = (forge.as_deref(), &owner) {
            let rebuilt = gate::rebuild_branch(&to.name);
            if let Some(pull) = forge.find_open(&rebuilt, &to.branch)?.filter(|p| !p.from_fork) {
                own(owner, pull)?;
            }
        }
        rebuild(&workspace, &promotion, &title, args.dry_run)?
    } else {
        refuse_conflicts(&workspace, &promotion)?;
        (from.branch.clone(), Some(promotion.head.clone()))
    };
    let (Some(forge), Some(owner)) = (forge.as_deref(), owner) else {
        // The block is for the forge's copy; people reading the printed one do not need it.
        let text = promotion.text();
        let mut printed = report("printed", None, promotion.summary(&title, &text, &source, tip.as_ref()));
        if !given.is_empty() {
            let problem = Error::new(Kind::Refused, "there is no pull request whose link Jira could be given")
                .cause("no forge: none was detected, [forge] kind is \"none\", or --offline was given")
                .hint("set [forge] in release.toml to open the pull request, or drop --jira-issue");
            printed.jira = Some(super::jira::failed(context, &args.jira, problem, "the promotion was printed")?);
        }
        context.ui.report(&printed);
        return Ok(());
    };
    let body = forge::fit(&body, forge.body_limit());
    let draft = Draft { title: title.clone(), body, source, target: to.branch.clone(), draft: args.draft };
    let (action, pull) = keep_one(forge, &owner, &draft, args.dry_run)?;
    let mut done = report(action, pull.as_ref(), String::new());
    done.jira = match &pull {
        _ if given.is_empty() => None,
        Some(pull) => {
            let note =
                Note { paragraphs: vec![vec![Piece::Text(format!("{title}: ")), Piece::Link(pull.url.clone())]] };
            let update = Update { note, marker: pull.url.clone(), transition: None };
            let what = format!("pull request #{} is {action}", pull.number);
            super::jira::tell(context, &workspace, &args.jira, &given, &update, args.dry_run, &what)?
        }
        None => Some(JiraReport::skipped("the pull request is not open yet (dry run)")),
    };
    context.ui.report(&done);
    Ok(())
}

/// Why the target holds what the promotion would bring already, if it does: the source's head
/// is in the target's history, or (rebuilt) the target's release file is the source's. A forge
/// would refuse the pull request ("No commits between"), and a rebuild would push a commit that
/// changes nothing.
fn nothing_to_promote(workspace: &Workspace, promotion: &Promotion, rebuild: bool) -> Result<Option<String>, Error> {
    let Some(target) = &promotion.target_head else { return Ok(None) };
    let (repo, from, to) = (&workspace.repo, &promotion.from, &promotion.to);
    if repo.is_ancestor(&promotion.head, target)? {
        return Ok(Some(format!("{} holds {}'s head ({}) already", to.branch, from.branch, promotion.head.short())));
    }
    if rebuild {
        let file = |commit: &ObjectId| -> Result<Option<ObjectId>, Error> {
            let entries = repo.top_entries(commit)?;
            Ok(entries.into_iter().find(|e| e.name == FILE_NAME.as_bytes()).map(|e| e.id))
        };
        if file(&promotion.head)?.is_some_and(|ours| file(target).ok().flatten() == Some(ours)) {
            return Ok(Some(format!(
                "{}'s {FILE_NAME} is {}'s already: a rebuild would carry nothing",
                to.branch, from.branch
            )));
        }
    }
    Ok(None)
}

/// Refuses a promotion whose branches would conflict (someone changed the target's release file
/// by hand, say), before any pull request is opened.
fn refuse_conflicts(workspace: &Workspace, promotion: &Promotion) -> Result<(), Error> {
    let Some(target) = &promotion.target_head else { return Ok(()) };
    let conflicts = workspace.repo.merge_conflicts(target, &promotion.head)?;
    if conflicts.is_empty() {
        return Ok(());
    }
    let (from, to) = (&promotion.from, &promotion.to);
    Err(Error::new(Kind::Refused, format!("{} does not merge cleanly into {}", from.branch, to.branch))
        .cause(format!("conflicting: {}", conflicts.join(", ")))
        .hint(format!(
            "rerun with --rebuild to promote from {}: {}'s head with {}'s {FILE_NAME}, conflict-free",
            gate::rebuild_branch(&to.name),
            to.name,
            from.name
        )))
}

/// Makes the remote's `promote/<to>` the target's head plus one commit carrying the source's
/// release file, pushing only when it is not that already; returns the branch and its tip (none
/// yet on a dry run that would build it).
pub(super) fn rebuild(
    workspace: &Workspace,
    promotion: &Promotion,
    title: &str,
    dry_run: bool,
) -> Result<(String, Option<ObjectId>), Error> {
    let (from, to, repo) = (&promotion.from, &promotion.to, &workspace.repo);
    let branch = gate::rebuild_branch(&to.name);
    let Some(base) = &promotion.target_head else {
        return Err(Error::new(
            Kind::Refused,
            format!("{} does not exist here: there is nothing to rebuild on", to.branch),
        )
        .hint(format!("fetch it: git fetch {} {}", workspace.remote, to.branch)));
    };
    let name = FILE_NAME.as_bytes();
    let file = repo.top_entries(&promotion.head)?.into_iter().find(|e| e.name == name && e.is_file());
    let Some(file) = file else {
        return Err(Error::new(Kind::Refused, format!("{} has no {FILE_NAME} to carry", from.branch)));
    };
    let mut entries = repo.top_entries(base)?;
    entries.retain(|e| e.name != name);
    entries.push(file);
    // A dry run stores nothing: the tree's id is all it needs.
    let tree = if dry_run { repo.tree_id(&entries)? } else { repo.write_tree(&entries)? };
    let tracking = format!("refs/remotes/{}/{branch}", workspace.remote);
    let existing = repo.reference(&tracking)?;
    if let Some(existing) = &existing {
        let parent = repo.rev_parse_commit(&format!("{existing}^")).ok();
        if repo.commit_tree(existing)? == tree && parent.as_ref() == Some(base) {
            return Ok((branch, Some(existing.clone())));
        }
    }
    if dry_run {
        return Ok((branch, None));
    }
    let message = format!(
        "{title}\n\n{}'s head with {}'s {FILE_NAME}, built by git release promote --rebuild.\n",
        to.name, from.name
    );
    let commit = repo.write_commit(&tree, Some(base), &message)?;
    let lease = existing.map_or(Expect::Absent, Expect::At);
    let push = PushRef { source: commit.clone(), destination: format!("refs/heads/{branch}"), lease };
    match repo.push(&workspace.remote, &[push])? {
        PushOutcome::Pushed => Ok((branch, Some(commit))),
        PushOutcome::Rejected(refs, said) => {
            let mut error = Error::new(Kind::Refused, format!("{} refused {branch}", workspace.remote));
            for (name, why) in refs {
                error = error.cause(format!("{name}: {why}"));
            }
            let (causes, hints) = crate::git::refusal(&workspace.remote, &said);
            for cause in causes {
                error = error.cause(cause);
            }
            for hint in hints {
                error = error.hint(hint);
            }
            Err(error.hint(format!("fetch and run it again: git fetch {} {branch}", workspace.remote)))
        }
    }
}

/// Makes the forge hold exactly one open pull request for the draft's branches, with its title
/// and body: adopts the one that exists (also when a concurrent run opened it first), when it is
/// git-release's own.
fn keep_one(
    forge: &dyn Forge,
    owner: &Owner,
    draft: &Draft,
    dry_run: bool,
) -> Result<(&'static str, Option<PullRequest>), Error> {
    // A fork's pull request from a branch of the same name is someone else's: never adopted.
    let pull = match forge.find_open(&draft.source, &draft.target)?.filter(|p| !p.from_fork) {
        Some(pull) => own(owner, pull)?,
        None if dry_run => return Ok(("created", None)),
        None => match forge.create(draft)? {
            Opened::Created(pull) => return Ok(("created", Some(pull))),
            Opened::Exists => announced(forge, owner, draft)?,
        },
    };
    let (action, pull) = bring_in_line(forge, pull, draft, dry_run)?;
    Ok((action, Some(pull)))
}

/// `pull` when git-release may take it as its own; else the refusal that names who opened it.
fn own(owner: &Owner, pull: PullRequest) -> Result<PullRequest, Error> {
    if owner.owns(&pull)? { Ok(pull) } else { Err(owner.stranger(&pull)?.into()) }
}

/// The open pull request for the draft's branches, which the forge said exists when asked to
/// open one (a concurrent run opened it first, or someone else did: then a refusal).
pub(super) fn announced(forge: &dyn Forge, owner: &Owner, draft: &Draft) -> Result<PullRequest, Error> {
    let pull = forge.find_open(&draft.source, &draft.target)?.filter(|p| !p.from_fork).ok_or_else(|| {
        Error::new(
            Kind::Forge,
            format!(
                "{} says a pull request from {} into {} exists, but lists none",
                forge.location().kind.title(),
                draft.source,
                draft.target
            ),
        )
        .hint("run it again in a moment; the forge may still be indexing it")
    })?;
    own(owner, pull)
}

/// Gives an open pull request the draft's title and body, unless it has them: `unchanged` or
/// `updated` (on a dry run, what would be).
pub(super) fn bring_in_line(
    forge: &dyn Forge,
    pull: PullRequest,
    draft: &Draft,
    dry_run: bool,
) -> Result<(&'static str, PullRequest), Error> {
    if pull.title == draft.title && pull.body.trim_end() == draft.body.trim_end() {
        return Ok(("unchanged", pull));
    }
    if dry_run {
        return Ok(("updated", pull));
    }
    Ok(("updated", forge.update(&pull, &draft.title, &draft.body)?))
}

/// What a promotion carries, read from git.
pub(super) struct Promotion {
    pub from: Environment,
    pub to: Environment,
    pub version: String,
    pub head: ObjectId,
    pub target_head: Option<ObjectId>,
    /// The release file's unified diff from the target to the source; empty when they agree.
    pub diff: String,
    pub verdict: Verdict,
    /// The application commits the target would gain (at most [`COMMITS_SHOWN`] + 1), or why
    /// they cannot be told.
    pub commits: Result<Vec<(ObjectId, String)>, String>,
    /// The application commits the target runs now and would no longer run (a fix made on a
    /// release branch the new version lacks), as many, or why they cannot be told.
    pub lost: Result<Vec<(ObjectId, String)>, String>,
    /// Whether the application's history here is shallow, so that both lists may be short.
    pub shallow: bool,
    /// The source environment's latest deployment: what the promotion carries.
    pub carried: Option<Record>,
    /// The target environment's latest deployment.
    pub runs: Option<Record>,
    /// How Jira issue keys look.
    pub keys: Keys,
}

/// Application commits with their messages, newest first.
type Commits = Vec<(ObjectId, String)>;

/// The two branches of a promotion, read from git.
struct Sides {
    version: String,
    head: ObjectId,
    target_head: Option<ObjectId>,
    diff: String,
}

impl Sides {
    fn read(workspace: &Workspace, from: &Environment, to: &Environment) -> Result<Sides, Error> {
        let source = workspace.environment_state(from)?;
        let Some(head) = source.tip.id().cloned() else {
            return Err(Error::new(Kind::Refused, format!("{} does not exist here", from.branch))
                .hint(format!("fetch it: git fetch {} {}", workspace.remote, from.branch)));
        };
        let Some(version) = source.version.as_ref().map(ToString::to_string) else {
            return Err(Error::new(Kind::Refused, format!("{} has no {FILE_NAME}", from.branch))
                .hint(format!("set its version first: git release set {} <version>", from.name)));
        };
        let target = workspace.environment_state(to)?;
        let target_head = target.tip.id().cloned();
        let read = |commit: Option<&ObjectId>| -> Result<Option<Content>, Error> {
            let Some(commit) = commit else { return Ok(None) };
            Ok(workspace.repo.read_top_file(commit, FILE_NAME)?)
        };
        let (old, new) = (read(target_head.as_ref())?, read(Some(&head))?);
        // Most promotions carry the file unchanged: compared as bytes, decoded only to show a change.
        let text = |content: Option<Content>| match content {
            Some(Content::Bytes(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Some(Content::TooLarge(size)) => format!("({FILE_NAME} is {size} bytes, too large to show)\n"),
            None => String::new(),
        };
        let (old, new) = if old == new { (String::new(), String::new()) } else { (text(old), text(new)) };
        let diff = if old == new {
            String::new()
        } else {
            similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header(&format!("{}:{FILE_NAME}", to.branch), &format!("{}:{FILE_NAME}", from.branch))
                .to_string()
        };
        Ok(Sides { version, head, target_head, diff })
    }
}

/// What a shallow history does to the lists of commits, and what to do about it.
pub(super) fn shallow_warning() -> &'static str {
    "the application repository's history here is shallow, so these lists may be short: fetch it in full \
     ('git fetch --unshallow') for the whole story"
}

/// At most this many application commits are listed.
pub(super) const COMMITS_SHOWN: usize = 50;

impl Promotion {
    pub(super) fn read(workspace: &Workspace, from: &Environment, to: &Environment) -> Result<Promotion, Error> {
        let app = AppRepo::existing(workspace)?.map(|app| app.judged_by(workspace.judging_trust()));
        let mut all = Promotion::read_all(workspace, app.as_ref(), &[(from.clone(), to.clone())])?;
        all.remove(0)
    }

    /// Several promotions at once, with one pass over the deployment records for all; a
    /// promotion that cannot be read (a missing branch, say) is an error of its own.
    ///
    /// # Errors
    /// When the records cannot be read at all.
    pub(super) fn read_all(
        workspace: &Workspace,
        app: Option<&AppRepo>,
        pairs: &[(Environment, Environment)],
    ) -> Result<Vec<Result<Promotion, Error>>, Error> {
        let sides: Vec<Result<Sides, Error>> =
            pairs.iter().map(|(from, to)| Sides::read(workspace, from, to)).collect();
        // Each target's own settings judge what enters it, as the gate reads them.
        let settings: Vec<Option<(Workspace, Environment)>> =
            pairs.iter().map(|(_, to)| admission::settings_of(workspace, to, None)).collect();
        let requests: Vec<Request> = pairs
            .iter()
            .zip(&sides)
            .zip(&settings)
            .filter_map(|(((from, to), sides), settings)| {
                let head = sides.as_ref().ok()?.head.clone();
                let (settings, target) = match settings {
                    Some((workspace, environment)) => (Some(workspace), environment),
                    None => (None, to),
                };
                Some(Request { target: target.clone(), source: Some(from.branch.clone()), head, settings })
            })
            .collect();
        let mut names: Vec<&str> = Vec::new();
        for (from, to) in pairs {
            for name in [from.name.as_str(), to.name.as_str()] {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let evaluation = admission::evaluate_all(workspace, app, &requests, false, &names)?;
        let keys = Keys::of(workspace.file.jira.as_ref());
        let survey = evaluation.survey;
        let mut verdicts = evaluation.verdicts.into_iter();
        let mut between: HashMap<(Option<ObjectId>, ObjectId), Commits> = HashMap::new();
        let mut promotions = Vec::new();
        for ((from, to), sides) in pairs.iter().zip(sides) {
            let sides = match sides {
                Ok(sides) => sides,
                Err(error) => {
                    promotions.push(Err(error));
                    continue;
                }
            };
            let verdict = verdicts.next().expect("one verdict per request");
            let runs = survey.latest(&to.name).cloned();
            let ran = runs.as_ref().map(|r| r.deployment.commit.clone());
            let mut range = |from: Option<&ObjectId>, to: &ObjectId| -> Result<Commits, Error> {
                let key = (from.cloned(), to.clone());
                if let (Some(app), false) = (app, between.contains_key(&key)) {
                    let found = app.repo.commits_between(from, to, COMMITS_SHOWN + 1)?;
                    between.insert(key.clone(), found);
                }
                Ok(between.get(&key).cloned().unwrap_or_default())
            };
            let (commits, lost) = match (app, &verdict.deploys) {
                (Some(_), Some(would)) => {
                    let gained = range(ran.as_ref(), would)?;
                    let lost = match &ran {
                        Some(ran) => range(Some(would), ran)?,
                        None => Vec::new(),
                    };
                    (Ok(gained), Ok(lost))
                }
                (None, _) => {
                    let why = "the application repository has not been fetched here".to_owned();
                    (Err(why.clone()), Err(why))
                }
                (Some(_), None) => {
                    let why = "which application commit the version deploys cannot be told yet".to_owned();
                    (Err(why.clone()), Err(why))
                }
            };
            promotions.push(Ok(Promotion {
                from: from.clone(),
                to: to.clone(),
                version: sides.version,
                head: sides.head,
                target_head: sides.target_head,
                diff: sides.diff,
                verdict,
                commits,
                lost,
                shallow: app.is_some_and(|app| app.repo.is_shallow()),
                carried: survey.latest(&from.name).cloned(),
                runs,
                keys: keys.clone(),
            }));
        }
        Ok(promotions)
    }

    /// What the pull request says it carries: the source environment's latest deployment.
    /// `None` when the source's branch asks for a version it has not deployed.
    pub(super) fn marker(&self) -> Option<Marker> {
        let carried = &self.carried.as_ref()?.deployment;
        if carried.version != self.version {
            return None;
        }
        Some(Marker {
            from: self.from.name.clone(),
            to: self.to.name.clone(),
            version: carried.version.clone(),
            tag: carried.version_tag.clone(),
            commit: carried.commit.to_string(),
        })
    }

    /// The pull request's title: the deployment it carries, else the version it asks for.
    pub(super) fn title(&self) -> String {
        let what = self.marker().map_or_else(|| self.version.clone(), |marker| marker.to_string());
        format!("Promote {} → {}: {what}", self.from.name, self.to.name)
    }

    /// The pull request's body: its block, then [`Promotion::text`]. The block goes first, where
    /// a forge's length limit cannot cut it off.
    pub(super) fn body(&self) -> String {
        let text = self.text();
        match self.marker() {
            Some(marker) => with_block(&text, &marker.block(false)),
            None => text,
        }
    }

    /// What the promotion carries, in words for people.
    pub(super) fn text(&self) -> String {
        let gate = self
            .verdict
            .findings
            .iter()
            .map(|f| format!("- {} `{}`: {}", if f.ok { "✅" } else { "❌" }, f.check.as_str(), f.message))
            .collect::<Vec<_>>()
            .join("\n");
        let listed = |commits: &Commits| {
            let mut lines: Vec<String> = commits
                .iter()
                .take(COMMITS_SHOWN)
                .map(|(id, message)| format!("- `{}` {}", id.short(), message.lines().next().unwrap_or_default()))
                .collect();
            if commits.len() > COMMITS_SHOWN {
                lines.push(format!("- and more; the first {COMMITS_SHOWN} are shown"));
            }
            lines.join("\n")
        };
        let keys = |keys: Vec<String>| if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
        let (mut commits, mut jira) = match &self.commits {
            Ok(commits) if commits.is_empty() => {
                ("none: the target already runs them all".to_owned(), "none".to_owned())
            }
            Ok(commits) => (listed(commits), keys(self.jira_keys())),
            Err(why) => (format!("unknown: {why}"), "unknown".to_owned()),
        };
        if let Some(lost) = self.lost.as_ref().ok().filter(|lost| !lost.is_empty()) {
            commits.push_str(&format!(
                "\n\n**{} runs these now and would no longer:**\n\n{}",
                self.to.name,
                listed(lost)
            ));
            jira.push_str(&format!("; no longer in {}: {}", self.to.name, keys(self.lost_jira_keys())));
        }
        if self.shallow {
            commits.push_str(&format!("\n\n> {}", shallow_warning()));
        }
        let diff = if self.diff.is_empty() { "(no change)\n".to_owned() } else { self.diff.clone() };
        include_str!("../../templates/pull-request.md")
            .replace("{from}", &self.from.name)
            .replace("{to}", &self.to.name)
            .replace("{source}", &self.from.branch)
            .replace("{target}", &self.to.branch)
            .replace("{head}", self.head.short())
            .replace("{version}", &self.version)
            .replace("{gate}", &gate)
            .replace("{commits}", &commits)
            .replace("{jira}", &jira)
            .replace("{diff}", diff.trim_end())
    }

    /// The Jira issue keys the application commits name, each once.
    pub(super) fn jira_keys(&self) -> Vec<String> {
        self.keys_of(&self.commits)
    }

    /// The Jira issue keys the commits the target would lose name, each once.
    pub(super) fn lost_jira_keys(&self) -> Vec<String> {
        self.keys_of(&self.lost)
    }

    fn keys_of(&self, commits: &Result<Commits, String>) -> Vec<String> {
        let Ok(commits) = commits else { return Vec::new() };
        let mut found = Vec::new();
        for (_, message) in commits {
            self.keys.add(&mut found, message);
        }
        found
    }

    /// The promotion as `git request-pull` would put it, for a repository without a forge.
    fn summary(&self, title: &str, body: &str, source: &str, tip: Option<&ObjectId>) -> String {
        let target = self.target_head.as_ref().map_or("missing", ObjectId::short);
        let tip = tip.map_or("(to be built)", ObjectId::short);
        format!(
            "{title}\n\nThe changes in {} since {} ({target}) are available in the branch:\n\n  {} {}\n\nfor you to merge into {}.\n\n{body}",
            self.from.branch, self.to.branch, source, tip, self.to.branch,
        )
    }
}
