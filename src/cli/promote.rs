//! `git release promote <from> <to>`: keeps exactly one open pull request from one environment's
//! branch into the next one's, its title and body in line with what it would carry.

use serde::Serialize;

use crate::app::AppRepo;
use crate::config::FILE_NAME;
use crate::error::{Error, Kind};
use crate::forge::{self, Draft, Forge, Opened, Owner, PullRequest};
use crate::gate;
use crate::git::{Expect, PushOutcome, PushRef};
use crate::jira::{Note, Piece, Update};
use crate::object_id::ObjectId;
use crate::promotion::{Promotion, nothing_to_promote, refuse_conflicts};
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
