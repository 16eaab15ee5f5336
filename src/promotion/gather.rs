//! What a promotion carries, read from git: both branches, the gate's verdict on the source's
//! head, the application commits it brings and takes away, and the deployments on each side.

use std::collections::HashMap;

use super::Refusal;
use crate::app::AppRepo;
use crate::config::{Content, Environment, FILE_NAME};
use crate::error::Error;
use crate::gate;
use crate::gate_gather::{self, Request, Verdict};
use crate::jira::Keys;
use crate::object_id::ObjectId;
use crate::record::Record;
use crate::workspace::Workspace;

/// What a promotion carries, read from git.
pub struct Promotion {
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
pub(super) type Commits = Vec<(ObjectId, String)>;

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
            return Err(Refusal::SourceMissing { branch: from.branch.clone(), remote: workspace.remote.clone() }.into());
        };
        let Some(version) = source.version.as_ref().map(ToString::to_string) else {
            return Err(Refusal::NoReleaseFile { branch: from.branch.clone(), environment: from.name.clone() }.into());
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
#[must_use]
pub fn shallow_warning() -> &'static str {
    "the application repository's history here is shallow, so these lists may be short: fetch it in full \
     ('git fetch --unshallow') for the whole story"
}

/// At most this many application commits are listed.
pub const COMMITS_SHOWN: usize = 50;

impl Promotion {
    pub fn read(workspace: &Workspace, from: &Environment, to: &Environment) -> Result<Promotion, Error> {
        let app = AppRepo::existing(workspace)?.map(|app| app.judged_by(workspace.judging_trust()));
        let mut all = Promotion::read_all(workspace, app.as_ref(), &[(from.clone(), to.clone())])?;
        all.remove(0)
    }

    /// Several promotions at once, with one pass over the deployment records for all; a
    /// promotion that cannot be read (a missing branch, say) is an error of its own.
    ///
    /// # Errors
    /// When the records cannot be read at all.
    pub fn read_all(
        workspace: &Workspace,
        app: Option<&AppRepo>,
        pairs: &[(Environment, Environment)],
    ) -> Result<Vec<Result<Promotion, Error>>, Error> {
        let sides: Vec<Result<Sides, Error>> =
            pairs.iter().map(|(from, to)| Sides::read(workspace, from, to)).collect();
        // Each target's own settings judge what enters it, as the gate reads them.
        let settings: Vec<Option<(Workspace, Environment)>> =
            pairs.iter().map(|(_, to)| gate_gather::settings_of(workspace, to, None)).collect();
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
        let evaluation = gate_gather::evaluate_all(workspace, app, &requests, false, &names)?;
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
}

impl Promotion {
    /// Whether the target's branch holds the source's head already, with the same release file:
    /// its deployment is then pending, and no pull request is wanted.
    ///
    /// # Errors
    /// When the history cannot be walked.
    pub fn held(&self, workspace: &Workspace) -> Result<bool, Error> {
        let Some(target) = self.target_head.as_ref().filter(|_| self.diff.is_empty()) else { return Ok(false) };
        // A squash merge holds the source's files without its commits.
        Ok(workspace.repo.ancestors_of(target, &[&self.head])?[0]
            || workspace.repo.commit_tree(target)? == workspace.repo.commit_tree(&self.head)?)
    }

    /// Whether the source's head holds what the source environment deployed, every file but the
    /// release file the same (whose edits the gate names): the release repository commit its
    /// latest record names (in one repository, the commit it ran). Anything else pushed to the
    /// source's branch since, which it has not run, is no promotion a merge may carry unseen.
    ///
    /// # Errors
    /// When a commit cannot be read.
    pub fn source_ran_head(&self, workspace: &Workspace) -> Result<bool, Error> {
        let Some(carried) = &self.carried else { return Ok(false) };
        let deployment = &carried.deployment;
        let ran = deployment
            .release_commit
            .clone()
            .or_else(|| workspace.file.app.is_here().then(|| deployment.commit.clone()));
        let Some(ran) = ran.filter(|ran| workspace.repo.has_object(ran)) else { return Ok(false) };
        if ran == self.head {
            return Ok(true);
        }
        let (ran, head) = (workspace.repo.top_entries(&ran)?, workspace.repo.top_entries(&self.head)?);
        Ok(crate::plan::differing_names(&head, &ran, FILE_NAME).is_empty())
    }
}

/// Why the target holds what the promotion would bring already, if it does: the source's head
/// is in the target's history, or (rebuilt) the target's release file is the source's. A forge
/// would refuse the pull request ("No commits between"), and a rebuild would push a commit that
/// changes nothing.
pub fn nothing_to_promote(
    workspace: &Workspace,
    promotion: &Promotion,
    rebuild: bool,
) -> Result<Option<String>, Error> {
    let Some(target) = &promotion.target_head else { return Ok(None) };
    let (repo, from, to) = (&workspace.repo, &promotion.from, &promotion.to);
    if repo.is_ancestor(&promotion.head, target)? {
        return Ok(Some(format!("{} holds {}'s head ({}) already", to.branch, from.branch, promotion.head.short())));
    }
    // As a squash merge leaves it: the source's files, without its commits.
    if repo.commit_tree(&promotion.head)? == repo.commit_tree(target)? {
        return Ok(Some(format!("{} holds {}'s files ({}) already", to.branch, from.branch, promotion.head.short())));
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
pub fn refuse_conflicts(workspace: &Workspace, promotion: &Promotion) -> Result<(), Error> {
    let Some(target) = &promotion.target_head else { return Ok(()) };
    let conflicts = workspace.repo.merge_conflicts(target, &promotion.head)?;
    if conflicts.is_empty() {
        return Ok(());
    }
    let (from, to) = (&promotion.from, &promotion.to);
    Err(Refusal::Conflicts {
        from: from.name.clone(),
        to: to.name.clone(),
        from_branch: from.branch.clone(),
        to_branch: to.branch.clone(),
        files: conflicts,
        rebuilt: gate::rebuild_branch(&to.name),
    }
    .into())
}
