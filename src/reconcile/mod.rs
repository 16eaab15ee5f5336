//! `reconcile`: makes the forge hold exactly the auto-promotion pull requests that git says should
//! be open, and nothing else. It keeps no state: every round reads the branches, the deployment
//! records and the open pull requests anew, asks `promotion` what is wanted and how to get
//! there, and has `execute::forge` carry it out.

mod report;

use std::path::PathBuf;

use jiff::Timestamp;

use crate::app::AppRepo;
use crate::clock;
use crate::config::Environment;
use crate::context::Context;
use crate::error::{Error, Exit};
use crate::execute::forge::{Outcome, Shown, owned, run_plan};
use crate::forge::{self, Forge, Listing, Mergeable, Owner, PullRequest};
use crate::preview::{self, Expiry};
use crate::promotion::plan::{self as promotion, Action, Closed, Desired, Open, Plan, Situation};
use crate::promotion::{Block, Promotion, Refusal};
use crate::workspace::Workspace;

use report::{DesiredReport, EnvironmentReport, RoundReport};

/// What a round is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these environments (default: every auto-promoted one).
    pub environments: Vec<String>,
    /// Plan, say, and write nothing.
    pub dry_run: bool,
    /// A clone of the application repository to read instead of the cache.
    pub app_dir: Option<PathBuf>,
}

/// One reconcile: read, plan, act, report.
/// # Errors
/// When the round cannot read what it needs; an environment that fails is reported instead.
pub fn round(context: &Context, args: &Options) -> Result<Exit, Error> {
    let now = clock::now()?;
    let mut workspace = context.judging_workspace()?;
    if context.may_fetch(args.dry_run, true) && workspace.fetch_branches()? {
        // The branches may carry a newer release file than the one read before the fetch.
        workspace = context.judging_workspace()?;
    }
    workspace.remote_first = true;
    let targets = targets(&workspace, &args.environments)?;
    // Whatever the round cannot do is refused before any preview is deleted.
    let forge = if targets.is_empty() { None } else { Some(needed_forge(context, &workspace)?) };
    let expired = expire_previews(context, &workspace, now, args.dry_run)?;
    let Some(forge) = forge else {
        if expired.is_empty() {
            context.ui.message("no environment has auto-promote = true and an `after`: nothing to reconcile");
        }
        context.ui.report(&RoundReport { dry_run: args.dry_run, environments: Vec::new(), expired });
        return Ok(Exit::Success);
    };
    let app = AppRepo::open(&workspace, args.app_dir.as_deref())?.judged_by(workspace.judging_trust());
    if context.may_fetch(args.dry_run, !app.is_cache()) {
        crate::deploy::refresh(&workspace, &app, &targets.iter().collect::<Vec<_>>())?;
    }
    let pairs: Vec<(Environment, Environment)> = targets
        .iter()
        .map(|to| {
            // Where several environments come before, the promotion comes from the first listed:
            // the gate asks each of them to have run what it carries.
            let from = workspace.file.before(to).into_iter().next().expect("checked");
            (from.clone(), to.clone())
        })
        .collect();
    let promotions = Promotion::read_all(&workspace, Some(&app), &pairs)?;
    let limit = forge.body_limit();
    let mut jobs = Vec::new();
    for ((from, to), promotion) in pairs.iter().zip(&promotions) {
        let desired = match promotion {
            Ok(promotion) => promotion.held(&workspace).map(|held| promotion.desired(held, now, limit)),
            Err(error) => Err(error.clone()),
        };
        let forwards = match promotion {
            Ok(Promotion { head, target_head: Some(target), .. }) => workspace.repo.ancestors_of(head, &[target])?[0],
            _ => false,
        };
        // Merged only where the target's own settings ask, judged by this round's gate.
        let merge = match (promotion, &desired) {
            (Ok(promotion), Ok(Desired::Want(wanted))) if promotion.to.auto_merge => {
                Some(promotion.merge_ask(wanted, promotion.source_ran_head(&workspace)?))
            }
            _ => None,
        };
        jobs.push(Job { from: from.name.clone(), to: to.clone(), desired, forwards, merge });
    }
    let owner = Owner::new(forge.as_ref(), std::env::var(forge::ACCOUNT_VARIABLE).ok());
    // One paged listing of the repository's open pull requests serves every environment: its
    // cost does not grow with their number.
    let open = forge.list(None, Listing::Open).map_err(Error::from);
    let mut reports = in_parallel(forge.as_ref(), &owner, &jobs, &open, args.dry_run);
    // Rebuilding pushes a branch, which only this thread's repository may do.
    for ((job, report), promotion) in jobs.iter().zip(&mut reports).zip(&promotions) {
        let (Some(planned), Ok(promotion), Ok(Desired::Want(wanted))) =
            (report.deferred.take(), promotion, &job.desired)
        else {
            continue;
        };
        let rebuilt = crate::promotion::rebuild(&workspace, promotion, &wanted.title)
            .and_then(|rebuild| {
                report.steps = rebuild.plan.steps();
                crate::execute::forge::rebuilt(&workspace.repo, rebuild, args.dry_run)
            })
            .and_then(|(source, _)| {
                let mut wanted = (**wanted).clone();
                wanted.rebuilt = source;
                run_plan(
                    forge.as_ref(),
                    &owner,
                    &job.to.branch,
                    Some(&wanted),
                    &planned.listed,
                    &planned.planned,
                    args.dry_run,
                    &mut report.outcome,
                )
            });
        if let Err(error) = rebuilt {
            report.error = Some(error);
        }
    }
    let failed = reports.iter().filter_map(|r| r.error.as_ref()).map(Error::exit).max_by_key(|e| e.code());
    context.ui.report(&RoundReport { dry_run: args.dry_run, environments: reports, expired });
    Ok(failed.unwrap_or(Exit::Success))
}

/// The forge that auto-promotion needs; without one the round is a usage error.
fn needed_forge(context: &Context, workspace: &Workspace) -> Result<Box<dyn Forge>, Error> {
    context.forge(workspace)?.ok_or_else(|| Refusal::NoForge.into())
}

/// Deletes the previews whose branch is older than `[preview] ttl`; their records stay.
fn expire_previews(
    context: &Context,
    workspace: &Workspace,
    now: Timestamp,
    dry_run: bool,
) -> Result<Vec<(String, Expiry)>, Error> {
    let Some(ttl) = workspace.file.preview.ttl else { return Ok(Vec::new()) };
    let mut expired = Vec::new();
    // A branch under preview/ that `preview create` did not make (it pins nothing) is not ours.
    for listed in preview::list(workspace, context.may_fetch(dry_run, true))?
        .into_iter()
        .filter(|listed| !listed.components.is_empty())
    {
        let Some(why) = crate::preview::expiry(listed.created, ttl, now.as_second()) else { continue };
        let local = workspace.repo.reference(&format!("refs/heads/{}", listed.branch))?;
        preview::remove(context, workspace, &listed.name, Some(&listed.commit), local.as_ref(), dry_run)?;
        expired.push((listed.name, why));
    }
    Ok(expired)
}

/// The environments to reconcile: those named, else every auto-promoted one with an `after`.
fn targets(workspace: &Workspace, named: &[String]) -> Result<Vec<Environment>, Error> {
    let auto = |e: &Environment| e.auto_promote && !workspace.file.before(e).is_empty();
    if named.is_empty() {
        return Ok(workspace.file.environments.iter().filter(|e| auto(e)).cloned().collect());
    }
    let mut targets: Vec<Environment> = Vec::new();
    for name in named {
        let environment = workspace.find_environment(name)?;
        if !auto(&environment) {
            return Err(Refusal::NotAutoPromoted { environment: environment.name }.into());
        }
        if !targets.iter().any(|t| t.name == environment.name) {
            targets.push(environment);
        }
    }
    Ok(targets)
}

/// One environment's work for the forge.
struct Job {
    from: String,
    to: Environment,
    desired: Result<Desired, Error>,
    /// The source branch holds the target's head: a promotion from it merges as a fast-forward.
    forwards: bool,
    /// With `auto-merge`: the merge this round asks for.
    merge: Option<crate::promotion::MergeAsk>,
}

/// Runs the jobs on a few threads: forge calls for different environments overlap.
fn in_parallel(
    forge: &dyn Forge,
    owner: &Owner,
    jobs: &[Job],
    open: &Result<Vec<PullRequest>, Error>,
    dry_run: bool,
) -> Vec<EnvironmentReport> {
    crate::parallel::map(jobs, |job| reconcile_one(forge, owner, job, open, dry_run))
}

fn reconcile_one(
    forge: &dyn Forge,
    owner: &Owner,
    job: &Job,
    open: &Result<Vec<PullRequest>, Error>,
    dry_run: bool,
) -> EnvironmentReport {
    let mut report = EnvironmentReport {
        environment: job.to.name.clone(),
        from: job.from.clone(),
        desired: match &job.desired {
            Ok(desired) => DesiredReport::of(desired),
            Err(_) => DesiredReport::Unknown,
        },
        outcome: Outcome::default(),
        notes: Vec::new(),
        error: None,
        steps: Vec::new(),
        deferred: None,
    };
    let result = match (&job.desired, open) {
        (Ok(desired), Ok(open)) => {
            let into: Vec<PullRequest> = open.iter().filter(|p| p.target == job.to.branch).cloned().collect();
            attempt(forge, owner, job, desired, &into, dry_run, &mut report)
        }
        (Err(error), _) | (_, Err(error)) => Err(error.clone()),
    };
    if let Err(error) = result {
        report.error = Some(error);
    }
    report
}

fn attempt(
    forge: &dyn Forge,
    owner: &Owner,
    job: &Job,
    desired: &Desired,
    all: &[PullRequest],
    dry_run: bool,
    report: &mut EnvironmentReport,
) -> Result<(), Error> {
    // A merge the forge cannot make is said before anything is written.
    if let Some(ask) = &job.merge {
        crate::execute::forge::method_taken(forge, ask.method)?;
    }
    // Pull requests from forks, or opened by anyone but the token's account, are not promotions,
    // whatever their branch or body says.
    let listed = owned(owner, all.to_vec())?;
    let mut open = Vec::new();
    for pull in &listed {
        // The forge is asked whether it conflicts only for one that may be kept.
        let candidate = match desired {
            Desired::Want(wanted) => {
                pull.source == wanted.source
                    || pull.source == wanted.rebuilt
                    || matches!(Block::read(&pull.body), Block::Found { .. })
            }
            _ => false,
        };
        // One from the source branch into a target that branch holds merges as a fast-forward:
        // it cannot conflict, so a round with a thousand such promotions asks nothing of them.
        let forwards = job.forwards && matches!(desired, Desired::Want(wanted) if pull.source == wanted.source);
        let conflicts = candidate && !forwards && forge.mergeable(pull)? == Mergeable::Conflicts;
        let (title, body) = (pull.title.clone(), pull.body.clone());
        open.push(Open { number: pull.number, source: pull.source.clone(), title, body, conflicts });
    }
    let mut planned = promotion::plan(Situation { desired, open: &open, closed: None });
    if planned.actions.contains(&Action::ReadClosed) {
        let closed: Vec<Closed> = owned(owner, forge.list(Some(&job.to.branch), Listing::Closed)?)?
            .into_iter()
            .map(|p| Closed { number: p.number, body: p.body })
            .collect();
        planned = promotion::plan(Situation { desired, open: &open, closed: Some(&closed) });
    }
    // A stranger's pull request between the very branches a promotion would be opened from
    // stands in the way: said now, in a dry run too, rather than found when the forge refuses.
    if let Some(stranger) = occupying(owner, all, &planned)? {
        return Err(owner.stranger(stranger)?.into());
    }
    report.notes.clone_from(&planned.notes);
    report.outcome.open = listed.iter().find(|p| matches!(Block::read(&p.body), Block::Found { .. })).map(Shown::of);
    let Desired::Want(wanted) = desired else {
        report.outcome.open = None;
        return run_plan(forge, owner, &job.to.branch, None, &listed, &planned, dry_run, &mut report.outcome);
    };
    if planned.actions.iter().any(|a| matches!(a, Action::Rebuild { .. })) {
        report.deferred = Some(Deferred { planned, listed });
        return Ok(());
    }
    run_plan(forge, owner, &job.to.branch, Some(wanted), &listed, &planned, dry_run, &mut report.outcome)?;
    // The promotion that stays open merges once everything allows: one opened this round waits
    // for the next, whose listing has its head and whose forge has run its checks.
    let Some(ask) = &job.merge else { return Ok(()) };
    let kept = report.outcome.open.as_ref().map(|shown| shown.number);
    let Some(pull) = listed.iter().find(|p| Some(p.number) == kept && p.source == wanted.source) else {
        return Ok(());
    };
    crate::execute::forge::merge(forge, pull, ask, dry_run, &mut report.outcome, &mut report.notes)
}

/// An open pull request someone else opened from the branch the plan would open one from.
fn occupying<'p>(owner: &Owner, open: &'p [PullRequest], planned: &Plan) -> Result<Option<&'p PullRequest>, Error> {
    for action in &planned.actions {
        let Action::Create { source, .. } = action else { continue };
        for pull in open.iter().filter(|p| !p.from_fork && p.source == *source) {
            if !owner.owns(pull)? {
                return Ok(Some(pull));
            }
        }
    }
    Ok(None)
}

/// A plan whose rebuild must push first, with what it was planned from.
#[derive(Debug)]
pub(crate) struct Deferred {
    planned: Plan,
    listed: Vec<PullRequest>,
}
