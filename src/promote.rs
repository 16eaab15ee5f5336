//! `promote`: keeps exactly one open pull request from one environment's branch into the next
//! one's, its title and body in line with what it would carry. Reads the promotion
//! (`promotion`), and has `execute` rebuild the branch and keep the pull request.

use serde::Serialize;

use crate::app::AppRepo;
use crate::context::Context;
use crate::error::Error;
use crate::execute::forge::{Done, Opening, Outcome, Shown, run_plan};
use crate::forge::{self, Forge, Owner, PullRequest};
use crate::gate;
use crate::jira::{self, JiraReport, Note, Piece, Update};
use crate::plan::Step;
use crate::promotion::plan::{self, Open, Wanted};
use crate::promotion::{Promotion, Refusal, nothing_to_promote, refuse_conflicts};
use crate::ui::{Paint, Report, key_values};

/// What to promote, and how.
#[derive(Debug, Clone, Default)]
#[expect(clippy::struct_excessive_bools, reason = "each bool is a flag of its own")]
pub struct Options {
    pub from: String,
    pub to: String,
    pub dry_run: bool,
    /// The title, instead of the one the promotion gives itself.
    pub title: Option<String>,
    pub draft: bool,
    /// Promote from `promote/<to>`, rebuilt on the target's head.
    pub rebuild: bool,
    /// Merge the pull request kept open, once everything allows.
    pub merge: bool,
    pub jira: jira::Asked,
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
    /// What rebuilding the branch runs (`--rebuild`): a commit and a push, or nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<Step>,
    /// The promotions from the other branch closed (or, on a dry run, to be closed) as superseded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    closed: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jira: Option<JiraReport>,
    #[serde(skip)]
    text: String,
    /// The branch the pull request comes from when it is not the source environment's own:
    /// `promote/<to>`, rebuilt.
    #[serde(skip)]
    rebuilt: Option<String>,
    /// With `--merge`: whether it merged (on a dry run, would), and what stood in the way.
    #[serde(skip_serializing_if = "Option::is_none")]
    merged: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl Report for PromoteReport {
    fn human(&self, paint: Paint) -> String {
        let jira = self.jira.as_ref().map(|jira| jira.human(paint)).unwrap_or_default();
        if self.action == "printed" || self.action == "nothing" {
            return format!("{}{jira}", self.text);
        }
        let pull = match (self.number, &self.url) {
            (Some(number), Some(url)) => format!("pull request #{number}: {url}"),
            _ => match &self.rebuilt {
                Some(branch) => format!("a pull request from {branch} (rebuilt from {}) into {}", self.from, self.to),
                None => format!("a pull request from {} into {}", self.from, self.to),
            },
        };
        if self.dry_run {
            let verb = match self.action {
                "created" => "would open",
                "updated" => "would update",
                _ => "would leave unchanged",
            };
            let steps = if self.steps.is_empty() { String::new() } else { key_values(paint, Some(&self.steps), &[]) };
            let merged = if self.merged == Some(true) { format!("would merge {pull}\n") } else { String::new() };
            let notes = self.note_lines();
            return format!("{steps}{verb} {pull}\n{}{merged}{notes}{jira}", self.closed_lines("would close"));
        }
        let merged = match self.merged {
            Some(true) => format!("merged {pull}\n"),
            _ => String::new(),
        };
        let notes = self.note_lines();
        format!("{} {pull}\n{}{merged}{notes}{jira}", self.action, self.closed_lines("closed"))
    }
}

impl PromoteReport {
    fn note_lines(&self) -> String {
        self.notes.iter().fold(String::new(), |mut lines, note| {
            lines.push_str(note);
            lines.push('\n');
            lines
        })
    }

    fn closed_lines(&self, verb: &str) -> String {
        let mut lines = String::new();
        for number in &self.closed {
            lines.push_str(&format!("{verb} #{number}: superseded\n"));
        }
        lines
    }
}

/// Opens or updates the one pull request of a promotion, or prints it without a forge; on a dry
/// run, says what it would do.
///
/// # Errors
/// Environments that are not a promotion, branches that conflict (without `rebuild`), a pull
/// request someone else opened, a forge or push that fails.
pub fn promote(context: &Context, args: &Options) -> Result<(), Error> {
    let mut workspace = context.judging_workspace()?;
    // The pull request is between the remote's branches: a local branch left behind is no base.
    workspace.remote_first = true;
    let from = workspace.find_environment(&args.from)?;
    let to = workspace.find_environment(&args.to)?;
    if from.name == to.name {
        let environments = workspace.file.environment_names();
        return Err(Refusal::IntoItself { environment: from.name, environments }.into());
    }
    if !to.comes_after(&from.name) {
        return Err(Refusal::NotNext { from: from.name, to: to.name, after: to.after }.into());
    }
    let given = args.jira.check(context, &workspace)?;
    if !context.offline && !args.dry_run {
        // Both branches as the remote has them now: a promotion merged since (by the forge, by
        // an earlier --merge) is no promotion to open again.
        workspace.fetch_branch(&from.branch)?;
        workspace.fetch_branch(&to.branch)?;
    }
    if context.may_fetch(args.dry_run, workspace.file.app.is_here()) {
        // A fresh clone holds no copy of the application repository yet, and an old copy misses
        // the latest deployments: the gate and the commit list need the records as they are now.
        crate::deploy::refresh(&workspace, &AppRepo::open(&workspace, None)?, &[&to])?;
    }
    let promotion = Promotion::read(&workspace, &from, &to)?;
    let title = args.title.clone().unwrap_or_else(|| promotion.title());
    let body = promotion.body();
    let report = |action: &'static str, pull: Option<&Shown>, text: String| PromoteReport {
        from: from.name.clone(),
        to: to.name.clone(),
        version: promotion.version.clone(),
        action,
        number: pull.map(|p| p.number),
        url: pull.map(|p| p.url.clone()),
        dry_run: args.dry_run,
        steps: Vec::new(),
        closed: Vec::new(),
        jira: None,
        text,
        rebuilt: None,
        merged: None,
        notes: Vec::new(),
    };
    if let Some(why) = nothing_to_promote(&workspace, &promotion, args.rebuild)? {
        context.ui.report(&report("nothing", None, format!("nothing to promote: {why}\n")));
        return Ok(());
    }
    let forge = context.forge(&workspace)?;
    let owner = forge.as_deref().map(|forge| Owner::new(forge, std::env::var(forge::ACCOUNT_VARIABLE).ok()));
    let mut steps = Vec::new();
    let (source, tip) = if args.rebuild {
        // A stranger's pull request from the rebuilt branch would carry what is pushed there.
        if let (Some(forge), Some(owner)) = (forge.as_deref(), &owner) {
            let rebuilt = gate::rebuild_branch(&to.name);
            if let Some(pull) = forge.find_open(&rebuilt, &to.branch)?.filter(|p| !p.from_fork) {
                crate::execute::forge::own(owner, pull)?;
            }
        }
        let rebuild = crate::promotion::rebuild(&workspace, &promotion, &title)?;
        steps = rebuild.plan.steps();
        crate::execute::forge::rebuilt(&workspace.repo, rebuild, args.dry_run)?
    } else {
        refuse_conflicts(&workspace, &promotion)?;
        (from.branch.clone(), Some(promotion.head.clone()))
    };
    let (Some(forge), Some(owner)) = (forge.as_deref(), owner) else {
        // The block is for the forge's copy; people reading the printed one do not need it.
        let text = promotion.text();
        let mut printed = report("printed", None, promotion.summary(&title, &text, &source, tip.as_ref()));
        if !given.is_empty() {
            let problem = Refusal::NoPullRequestForJira.into();
            printed.jira = Some(crate::jira::failed(context, &args.jira, problem, "the promotion was printed")?);
        }
        context.ui.report(&printed);
        return Ok(());
    };
    let body = forge::fit(&body, forge.body_limit());
    let merge = if args.merge { Some(merge_asked(&workspace, &promotion, forge)?) } else { None };
    let kept = keep(forge, &owner, &promotion, &Asked { source: &source, title: &title, body: &body }, args, merge)?;
    let pull = kept.pull;
    let mut done = report(kept.action, pull.as_ref(), String::new());
    done.steps = steps;
    done.closed = kept.closed;
    done.rebuilt = args.rebuild.then(|| source.clone());
    if args.merge {
        done.merged = Some(kept.merged);
        done.notes = kept.notes;
    }
    done.jira = match &pull {
        _ if given.is_empty() => None,
        Some(pull) => {
            let note =
                Note { paragraphs: vec![vec![Piece::Text(format!("{title}: ")), Piece::Link(pull.url.clone())]] };
            let update = Update { note, marker: pull.url.clone(), transition: None };
            let what = format!("pull request #{} is {}", pull.number, kept.action);
            crate::jira::tell_all(context, &workspace, &args.jira, &given, &update, args.dry_run, &what)?
        }
        None => Some(JiraReport::skipped("the pull request is not open yet (dry run)")),
    };
    context.ui.report(&done);
    Ok(())
}

/// What `--merge` asks: what reconcile asks, the promotion wanted now (no freeze, soak, block or
/// hold), then the merge's own conditions; or why it does not merge.
fn merge_asked(
    workspace: &crate::workspace::Workspace,
    promotion: &Promotion,
    forge: &dyn Forge,
) -> Result<Result<crate::promotion::MergeAsk, String>, Error> {
    let held = promotion.held(workspace)?;
    Ok(match promotion.desired(held, crate::clock::now()?, forge.body_limit()) {
        plan::Desired::Want(wanted) => Ok(promotion.merge_ask(&wanted, promotion.source_ran_head(workspace)?)),
        plan::Desired::Nothing(why) | plan::Desired::Wait(why) => Err(format!("not merging: {why}")),
    })
}

/// The pull request a promotion should be, as `promote` gives it to the forge.
struct Asked<'a> {
    source: &'a str,
    title: &'a str,
    body: &'a str,
}

/// What keeping the promotion's one pull request did (on a dry run, would do).
struct Kept {
    /// `created`, `updated` or `unchanged`.
    action: &'static str,
    pull: Option<Shown>,
    /// The promotions from the other branch closed as superseded.
    closed: Vec<u64>,
    /// With `--merge`: whether it merged, and what stood in the way.
    merged: bool,
    notes: Vec<String>,
}

/// Has `execute` keep the one pull request of the promotion, as the planner says: the one open
/// from the source (refused when someone else opened it) opened or brought in line, and
/// git-release's own from the other branch closed.
fn keep(
    forge: &dyn Forge,
    owner: &Owner,
    promotion: &Promotion,
    asked: &Asked<'_>,
    args: &Options,
    merge: Option<Result<crate::promotion::MergeAsk, String>>,
) -> Result<Kept, Error> {
    let (from, to) = (&promotion.from, &promotion.to);
    // The promotion open from the source (refused when someone else opened it), and the one from
    // the other branch, which is closed when it is git-release's.
    let existing = forge.find_open(asked.source, &to.branch)?.filter(|p| !p.from_fork);
    let existing = existing.map(|pull| crate::execute::forge::own(owner, pull)).transpose()?;
    let other = if args.rebuild { from.branch.clone() } else { gate::rebuild_branch(&to.name) };
    let other = match forge.find_open(&other, &to.branch)?.filter(|p| !p.from_fork) {
        Some(pull) if owner.owns(&pull)? => Some(pull),
        _ => None,
    };
    let planned = plan::promote(
        asked.source,
        asked.title,
        asked.body,
        args.draft,
        existing.as_ref().map(open_of).as_ref(),
        other.as_ref().map(open_of).as_ref(),
    );
    let wanted = promotion.marker().map(|marker| Wanted {
        marker,
        title: asked.title.to_owned(),
        body: asked.body.to_owned(),
        source: from.branch.clone(),
        rebuilt: gate::rebuild_branch(&to.name),
    });
    let listed: Vec<PullRequest> = existing.iter().chain(&other).cloned().collect();
    let mut outcome = Outcome::default();
    run_plan(forge, owner, &to.branch, wanted.as_ref(), &listed, &planned, args.dry_run, &mut outcome)?;
    let action = match outcome.actions.first() {
        Some(Done::Create { how: Opening::Created, .. }) => "created",
        Some(Done::Update { .. } | Done::Create { how: Opening::Adopted { updated: true }, .. }) => "updated",
        _ => "unchanged",
    };
    let pull = outcome.open.clone().or_else(|| existing.as_ref().map(Shown::of));
    let closed = outcome.actions.iter().filter_map(Done::closed).collect();
    // Only the pull request read before this run can merge: its head is the forge's, and its
    // checks have had their run. One opened just now merges on a later run.
    let mut notes = Vec::new();
    let mut merged = false;
    match (merge, &existing) {
        (Some(Err(why)), _) => notes.push(why),
        (Some(Ok(ask)), Some(open)) => {
            let mut merging = Outcome::default();
            crate::execute::forge::merge(forge, open, &ask, args.dry_run, &mut merging, &mut notes)?;
            merged = merging.actions.iter().any(|done| matches!(done, Done::Merge { .. }));
        }
        (Some(Ok(_)), None) => notes.push(
            "not merging: the pull request was opened just now; its checks run first, then run promote --merge again"
                .to_owned(),
        ),
        _ => {}
    }
    Ok(Kept { action, pull, closed, merged, notes })
}

/// A pull request as the planner sees it.
fn open_of(pull: &PullRequest) -> Open {
    Open {
        number: pull.number,
        source: pull.source.clone(),
        title: pull.title.clone(),
        body: pull.body.clone(),
        conflicts: false,
    }
}
