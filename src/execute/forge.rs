//! The only place that writes to a forge: opens, updates and closes promotion pull requests as a
//! plan says, or on a dry run says what it would do and writes nothing.

use serde::Serialize;

use crate::error::{Error, Kind};
use crate::forge::{CommitStatus, Draft, Forge, Listing, Mergeable, Opened, Owner, PullRequest};
use crate::object_id::ObjectId;
use crate::promotion::plan::{Action, Plan, Wanted, Why};
use crate::promotion::{Block, MergeAsk, Rebuild, with_block};

/// A pull request, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub number: u64,
    pub url: String,
}

impl Shown {
    #[must_use]
    pub fn of(pull: &PullRequest) -> Shown {
        Shown { number: pull.number, url: pull.url.clone() }
    }
}

/// What was done (or, on a dry run, would be).
#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Done {
    Create {
        source: String,
        #[serde(flatten)]
        pull: Option<Shown>,
        /// How it came to be open: a run racing this one may have opened it first.
        #[serde(skip)]
        how: Opening,
    },
    Rebuild {
        replaces: u64,
        source: String,
        #[serde(flatten)]
        pull: Option<Shown>,
    },
    Update {
        #[serde(flatten)]
        pull: Shown,
    },
    Close {
        number: u64,
        url: String,
        #[serde(flatten)]
        why: Why,
    },
    Merge {
        #[serde(flatten)]
        pull: Shown,
        method: &'static str,
        /// The head merged, as the gate judged it.
        head: String,
    },
}

impl Done {
    /// The number of the pull request closed, for a close.
    #[must_use]
    pub fn closed(&self) -> Option<u64> {
        match self {
            Done::Close { number, .. } => Some(*number),
            _ => None,
        }
    }
}

/// How a pull request a plan opens came to be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Opening {
    /// This run opened it (on a dry run, would).
    #[default]
    Created,
    /// A concurrent run opened it first; this run took it, and gave it its title and body when
    /// it lacked them (`updated`).
    Adopted { updated: bool },
}

/// What carrying out a plan did to one environment's pull requests.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub actions: Vec<Done>,
    /// The promotion open once the plan is carried out.
    pub open: Option<Shown>,
}

/// Carries out a plan: opens first (closes may name what was opened), then updates, then closes;
/// after opening, looks again so that a concurrent run's promotion and this one's never both stay.
#[expect(clippy::too_many_arguments, reason = "the plan, what it was planned from, and where it goes")]
pub fn run_plan(
    forge: &dyn Forge,
    owner: &Owner,
    target: &str,
    wanted: Option<&Wanted>,
    listed: &[PullRequest],
    planned: &Plan,
    dry_run: bool,
    report: &mut Outcome,
) -> Result<(), Error> {
    let find = |number: u64| listed.iter().find(|p| p.number == number);
    let mut opened: Option<PullRequest> = None;
    for action in &planned.actions {
        let (source, replaces, title, body, draft) = match (action, wanted) {
            (Action::Create { source, title, body, draft }, _) => (source.clone(), None, title, body, *draft),
            (Action::Rebuild { replaces, title, body }, Some(wanted)) => {
                (wanted.rebuilt.clone(), Some(*replaces), title, body, false)
            }
            _ => continue,
        };
        let (pull, how) = if dry_run {
            (None, Opening::Created)
        } else {
            let draft = Draft {
                title: title.clone(),
                body: body.clone(),
                source: source.clone(),
                target: target.to_owned(),
                draft,
            };
            let (pull, how) = open_or_adopt(forge, owner, &draft)?;
            (Some(pull), how)
        };
        let shown = pull.as_ref().map(Shown::of);
        report.actions.push(match replaces {
            None => Done::Create { source, pull: shown.clone(), how },
            Some(replaces) => Done::Rebuild { replaces, source, pull: shown.clone() },
        });
        report.open = shown;
        if let (Some(replaces), Some(old)) = (replaces, replaces.and_then(find)) {
            let why = Why::Superseded { by: pull.as_ref().map(|p| p.number) };
            close(forge, old, &why, wanted, dry_run)?;
            report.actions.push(Done::Close { number: replaces, url: old.url.clone(), why });
        }
        opened = pull;
    }
    for action in &planned.actions {
        let Action::Update { number, title, body } = action else { continue };
        let Some(pull) = find(*number) else { continue };
        let updated = if dry_run { pull.clone() } else { forge.update(pull, title, body)? };
        report.open = Some(Shown::of(&updated));
        report.actions.push(Done::Update { pull: Shown::of(&updated) });
    }
    for action in &planned.actions {
        let Action::Close { number, why } = action else { continue };
        let Some(pull) = find(*number) else { continue };
        let why = match why {
            Why::Superseded { by: None } => Why::Superseded { by: opened.as_ref().map(|p| p.number) },
            other => other.clone(),
        };
        close(forge, pull, &why, wanted, dry_run)?;
        report.actions.push(Done::Close { number: *number, url: pull.url.clone(), why });
    }
    // A pull request from the environment's own branch cannot be doubled: every forge refuses a
    // second one for the same branches, and `open_or_adopt` adopts it. One from the rebuilt
    // branch can race one from the source, so after a rebuild the forge is asked again.
    let rebuilt = planned.actions.iter().any(|a| matches!(a, Action::Rebuild { .. }));
    if let (Some(opened), Some(wanted), true) = (&opened, wanted, rebuilt) {
        settle(forge, owner, opened, wanted, report)?;
    }
    Ok(())
}

/// Opens a pull request, or adopts the one a concurrent run opened for the same branches.
fn open_or_adopt(forge: &dyn Forge, owner: &Owner, draft: &Draft) -> Result<(PullRequest, Opening), Error> {
    match forge.create(draft)? {
        Opened::Created(pull) => Ok((pull, Opening::Created)),
        Opened::Exists => {
            let pull = announced(forge, owner, draft)?;
            if pull.title == draft.title && pull.body.trim_end() == draft.body.trim_end() {
                return Ok((pull, Opening::Adopted { updated: false }));
            }
            let pull = forge.update(&pull, &draft.title, &draft.body)?;
            Ok((pull, Opening::Adopted { updated: true }))
        }
    }
}

/// After a rebuild: when two runs opened promotions from different branches at once, both see
/// both now and keep the same one, the oldest.
fn settle(
    forge: &dyn Forge,
    owner: &Owner,
    opened: &PullRequest,
    wanted: &Wanted,
    report: &mut Outcome,
) -> Result<(), Error> {
    let mut ours = owned(owner, forge.list(Some(&opened.target), Listing::Open)?)?;
    ours.retain(|p| matches!(Block::read(&p.body), Block::Found { .. }));
    ours.sort_by_key(|p| p.number);
    let Some((kept, others)) = ours.split_first() else { return Ok(()) };
    for other in others {
        let why = Why::Superseded { by: Some(kept.number) };
        close(forge, other, &why, Some(wanted), false)?;
        report.actions.push(Done::Close { number: other.number, url: other.url.clone(), why });
    }
    report.open = Some(Shown::of(kept));
    Ok(())
}

/// Closes a pull request with a comment that says why; one of ours is first marked as closed by
/// git-release, so that it does not hold its version back.
fn close(
    forge: &dyn Forge,
    pull: &PullRequest,
    why: &Why,
    wanted: Option<&Wanted>,
    dry_run: bool,
) -> Result<(), Error> {
    if dry_run {
        return Ok(());
    }
    let pull = match Block::read(&pull.body) {
        Block::Found { marker, retired: false } => {
            forge.update(pull, &pull.title, &with_block(&pull.body, &marker.block(true)))?
        }
        _ => pull.clone(),
    };
    forge.close(&pull, &comment(why, wanted))?;
    Ok(())
}

fn comment(why: &Why, wanted: Option<&Wanted>) -> String {
    let reason = match why {
        Why::Superseded { by } => {
            let carries =
                wanted.map(|w| format!(", which promotes {}'s {}", w.marker.from, w.marker)).unwrap_or_default();
            match by {
                Some(number) => format!("Superseded by #{number}{carries}."),
                None => format!("Superseded by a newer promotion{carries}."),
            }
        }
        Why::Obsolete { reason } => format!("No promotion is wanted now: {reason}."),
        Why::Unreadable { reason } => {
            format!(
                "Its git-release block cannot be read ({reason}); a fresh promotion replaces it when one is wanted."
            )
        }
        Why::OlderFormat { format } => format!(
            "It was written by an older git-release (block format {format}); a fresh promotion replaces it when one is wanted."
        ),
    };
    // promote and reconcile both close promotions: the comment names neither.
    format!("{reason}\n\nClosed by `git release`.")
}

/// The pull requests of `pulls` that are git-release's own.
pub fn owned(owner: &Owner, pulls: Vec<PullRequest>) -> Result<Vec<PullRequest>, Error> {
    let mut kept = Vec::new();
    for pull in pulls {
        if owner.owns(&pull)? {
            kept.push(pull);
        }
    }
    Ok(kept)
}

/// `pull` when git-release may take it as its own; else the refusal that names who opened it.
pub fn own(owner: &Owner, pull: PullRequest) -> Result<PullRequest, Error> {
    if owner.owns(&pull)? { Ok(pull) } else { Err(owner.stranger(&pull)?.into()) }
}

/// The open pull request for the draft's branches, which the forge said exists when asked to
/// open one (a concurrent run opened it first, or someone else did: then a refusal).
pub fn announced(forge: &dyn Forge, owner: &Owner, draft: &Draft) -> Result<PullRequest, Error> {
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

/// Carries out a rebuild's plan (on a dry run, nothing); returns the branch and its tip, none yet
/// on a dry run that would build it.
///
/// # Errors
/// When the push is refused, or the commit cannot be written.
pub fn rebuilt(repo: &crate::git::Repo, rebuild: Rebuild, dry_run: bool) -> Result<(String, Option<ObjectId>), Error> {
    let applied = super::carry_out(repo, &rebuild.plan, dry_run)?;
    let tip = rebuild.tip.or_else(|| applied.and_then(|applied| applied.commits.into_iter().next()));
    Ok((rebuild.branch, tip))
}

/// Posts a commit status: the gate's verdict on `head`, as the forge shows it on the change.
///
/// # Errors
/// When the forge refuses or cannot be reached.
pub fn post_status(forge: &dyn Forge, head: &ObjectId, status: &CommitStatus) -> Result<(), Error> {
    forge.post_status(&head.to_string(), status)?;
    Ok(())
}

/// Merges the promotion `pull` as `ask` says, when at this moment the gate allows it (as read
/// this round), the forge says it can merge (its required checks passed), and its head is still
/// the commit the gate judged; the forge is given that head to hold the merge to. Anything that
/// stands in the way is a note, not an error: the next round looks again. On a dry run, says
/// that it would merge.
///
/// # Errors
/// A merge method the forge does not take, a forge that fails, or one that merged a head the
/// gate did not judge.
pub fn merge(
    forge: &dyn Forge,
    pull: &PullRequest,
    ask: &MergeAsk,
    dry_run: bool,
    report: &mut Outcome,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    let number = pull.number;
    if let Some(refused) = &ask.refused {
        notes.push(format!("not merging #{number}: the gate refuses it now ({refused})"));
        return Ok(());
    }
    method_taken(forge, ask.method)?;
    let head = ask.head.as_str();
    if !pull.head_is(head) {
        let is = pull.head.as_deref().unwrap_or("unknown");
        notes.push(format!(
            "not merging #{number}: its head is {is}, not {}, which the gate judged; the next round judges it",
            ask.head.short()
        ));
        return Ok(());
    }
    match forge.mergeable(pull)? {
        Mergeable::Yes => {}
        Mergeable::Unknown if !forge.computes_mergeability() => {}
        Mergeable::Unknown => {
            notes.push(format!("not merging #{number} yet: the forge has not worked out whether it can merge"));
            return Ok(());
        }
        Mergeable::Conflicts => {
            notes.push(format!("not merging #{number}: it conflicts with its target"));
            return Ok(());
        }
        Mergeable::Blocked(why) => {
            notes.push(format!("not merging #{number} yet: the forge says it is {why}"));
            return Ok(());
        }
    }
    let shown = Done::Merge { pull: Shown::of(pull), method: ask.method.as_str(), head: head.to_owned() };
    if dry_run {
        report.actions.push(shown);
        return Ok(());
    }
    let asked = crate::forge::Merge { head, method: ask.method, message: &ask.message };
    match forge.merge(pull, &asked)? {
        crate::forge::Merged::Done { head: Some(merged) } if !ask.head.as_str().starts_with(&merged.to_ascii_lowercase()) => {
            Err(Error::new(Kind::Refused, format!("#{number} was merged with head {merged}, which the gate did not judge"))
                .cause(format!("its head was {} when the gate allowed it; the forge takes no head to hold a merge to, and a push came between", ask.head.short()))
                .hint("check what the target's branch holds now: git release gate --target <environment> --source <its branch>"))
        }
        crate::forge::Merged::Done { .. } => {
            report.actions.push(shown);
            report.open = None;
            Ok(())
        }
        crate::forge::Merged::HeadMoved(why) => {
            notes.push(format!("nothing merged: #{number}'s head moved since the gate judged it ({why}); the next round judges the new head"));
            Ok(())
        }
        crate::forge::Merged::NotReady(why) => {
            notes.push(format!("not merging #{number} yet: {why}"));
            Ok(())
        }
    }
}

/// A merge method the forge takes, or a configuration error that names the ones it does.
///
/// # Errors
/// When the forge does not take `method`.
pub fn method_taken(forge: &dyn Forge, method: crate::config::MergeMethod) -> Result<(), Error> {
    if forge.merge_methods().contains(&method) {
        return Ok(());
    }
    let taken: Vec<&str> = forge.merge_methods().iter().map(|m| m.as_str()).collect();
    Err(Error::new(
        Kind::Config,
        format!("{} does not take merge-method = \"{}\"", forge.location().kind.title(), method.as_str()),
    )
    .hint(format!("set merge-method to one of: {}", taken.join(", "))))
}
