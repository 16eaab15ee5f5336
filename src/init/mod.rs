//! `init`: the release file brought onto every environment branch, created or existing, without
//! rewriting any branch's history or touching HEAD's work; and, asked for, the CI pipeline.
//!
//! Where the branches live on the remote, each is pushed on its own; a branch that declines the
//! push (a protected one) gets its commit on a branch of its own with the pull request it needs.
//! Where they do not, they move here in one transaction.

use crate::config::pipeline;
use crate::config::{self, Content, FILE_NAME, Origin};
use crate::context::Context;
use crate::error::Error;
use crate::execute::{self, ExecuteError};
use crate::forge::{Draft, Opened};
use crate::git::{Expect, Repo};
use crate::object_id::ObjectId;
use crate::plan::{Plan, Push, WriteFile};
use crate::workspace::Workspace;

mod adopt;
mod found;
mod refusal;
mod report;

pub use refusal::Refusal;

use adopt::Adoption;
use report::{Done, InitReport, Proposal};

/// The version of the environments that cut version tags, unless `--version` says.
pub const DEFAULT_VERSION: &str = "0.1.0";

/// Where a branch that declines init's push gets its commit: `release-init/<branch>`.
pub const SIDE_PREFIX: &str = "release-init/";

/// What to set up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Each environment, in promotion order, with its branch when not `environment/<name>`;
    /// empty for the defaults.
    pub environments: Vec<(String, Option<String>)>,
    /// The application repository: a URL, a path, or `.` for this one.
    pub app: String,
    /// The version of the environments that cut version tags.
    pub version: String,
    pub ci: Option<pipeline::System>,
    /// A key to sign every tag with, trusted alone for every environment.
    pub sign: Option<String>,
    /// The forge's kind, written as `[forge] kind`, for a remote whose address does not say.
    pub forge: Option<String>,
    /// The forge's API, written as `[forge] api`.
    pub forge_api: Option<String>,
    pub dry_run: bool,
}

/// What `--sign` sets up: git's signing settings here, and the signer the release file trusts.
struct SignWith {
    config: Vec<(String, String)>,
    signer: String,
}

/// The signer a signing key stands for, as `[trust.signers]` lists it: `user.signingKey`'s value
/// (an ssh key file or an OpenPGP fingerprint).
#[must_use]
pub fn signer_of(key: &str) -> Option<config::Signer> {
    let signer = sign_with(key).ok()?.signer;
    config::read_signer(&signer).ok()
}

/// Reads `--sign`: an OpenPGP fingerprint, or an ssh key whose public half is beside it.
fn sign_with(key: &str) -> Result<SignWith, Error> {
    let refused = |why: String| Error::from(Refusal::BadSigningKey { key: key.to_owned(), why });
    if let Ok(config::Signer::Fingerprint(fingerprint)) = config::read_signer(key) {
        let config = vec![("gpg.format".into(), "openpgp".into()), ("user.signingKey".into(), fingerprint.clone())];
        return Ok(SignWith { config, signer: fingerprint });
    }
    let path = std::path::Path::new(key);
    let (private, public) = match key.strip_suffix(".pub") {
        Some(private) if std::path::Path::new(private).is_file() => (private.to_owned(), key.to_owned()),
        Some(_) => (key.to_owned(), key.to_owned()),
        None => (key.to_owned(), format!("{key}.pub")),
    };
    if !path.is_file() {
        return Err(refused("no such file".into()));
    }
    let text = std::fs::read_to_string(&public).map_err(|e| {
        refused(format!(
            "cannot read its public key {public} ({e}); make it with ssh-keygen -y -f {private} > {public}"
        ))
    })?;
    let Ok(config::Signer::Ssh(signer)) = config::read_signer(text.trim()) else {
        return Err(refused(format!("{public} holds no ssh public key")));
    };
    let absolute = std::path::absolute(&private).unwrap_or_else(|_| private.clone().into());
    let config = vec![("gpg.format".into(), "ssh".into()), ("user.signingKey".into(), absolute.display().to_string())];
    Ok(SignWith { config, signer })
}

/// Brings the release file onto every environment branch (and with `ci`, writes the pipeline),
/// or on a dry run shows what it would do.
///
/// # Errors
/// Arguments that make no valid release file, or that a release file found here overrules; a
/// branch whose release file disagrees; an application repository that does not answer; a
/// failed write.
pub fn init(context: &Context, args: &Options) -> Result<(), Error> {
    let repo = context.repo()?;
    let sign = args.sign.as_deref().map(sign_with).transpose()?;
    let settings = found::settings(&repo, &context.remote, args, sign.as_ref())?;
    if let Some(place) = settings.found.as_deref().filter(|place| place.starts_with("HEAD")) {
        let last = settings.environments.last().map_or("", |e| e.branch.as_str());
        context.ui.message(&format!(
            "note: the settings are {FILE_NAME} of {place}, not of {last}: whoever may push there wrote them; read them before they reach {last}"
        ));
    }
    let pipeline = match args.ci {
        Some(system) => {
            let (workdir, system) = ci_files(&repo, system)?;
            let branches: Vec<&str> = settings.environments.iter().map(|e| e.branch.as_str()).collect();
            Some((workdir, pipeline_files(system, &branches)?))
        }
        None => None,
    };
    if settings.found.is_none() && settings.app != "." && !context.offline {
        reachable_app(&repo, &settings.app)?;
    }
    let remote = repo.remote_url(&context.remote).map(|_| context.remote.clone());
    if let Some(remote) = &remote {
        if context.may_fetch(args.dry_run, true) {
            if let Err(error) = repo.fetch(remote, &[format!("+refs/heads/*:refs/remotes/{remote}/*")], false) {
                context.ui.warning(&Error::from(error).hint("init reads the branches as last fetched"));
            }
        }
    }
    let found = found::branches(&repo, remote.as_deref(), &settings)?;
    let head = if settings.app == "." { repo.head_commit()? } else { None };
    let mut adoption = adopt::build(&repo, &settings, &found, head.as_ref(), remote.as_deref())?;
    if let Some(sign) = &sign {
        adoption.plan.config.extend(sign.config.clone());
        adoption.plan.config.push(("tag.gpgSign".into(), "true".into()));
    }
    adoption.plan.config.retain(|(key, value)| repo.config_string(key).as_deref() != Some(value.as_str()));
    let done = if args.dry_run { None } else { Some(carry_out(context, &repo, &settings, &adoption)?) };
    let report = InitReport::new(&settings, &found, &adoption, done.as_deref(), remote.clone());
    context.ui.report(&report);
    if let Some(branch) = report.unborn_head() {
        context.ui.message(&format!(
            "note: HEAD's branch {branch} had no commits; its {FILE_NAME} is now in the index and the work tree, so the next commit keeps it"
        ));
    }
    match pipeline {
        Some((workdir, files)) => write_ci(context, &repo, &workdir, &files, args.dry_run),
        None => Ok(()),
    }
}

/// Carries the adoption out: in one transaction where nothing is pushed, else branch by branch,
/// each declined push turned into a proposal.
fn carry_out(
    context: &Context,
    repo: &Repo,
    settings: &found::Settings,
    adoption: &Adoption,
) -> Result<Vec<Done>, Error> {
    let plan = &adoption.plan;
    let Some(remote) = &adoption.remote else {
        let applied = execute::apply(repo, plan)?;
        return Ok(adoption
            .landings
            .iter()
            .map(|landing| match &landing.commit {
                Some(to) => Done::Written(applied.resolve(to)),
                None => Done::Kept,
            })
            .collect());
    };
    let written = execute::write_objects(repo, plan)?;
    let mut done = Vec::new();
    for (index, landing) in adoption.landings.iter().enumerate() {
        let (Some(to), Some(push)) = (&landing.commit, &landing.push) else {
            done.push(Done::Kept);
            continue;
        };
        let one = Plan {
            commits: plan.commits.clone(),
            pushes: vec![push.clone()],
            refs: landing.local.iter().cloned().collect(),
            worktree: plan.worktree.clone().filter(|_| landing.sync),
            reflog: plan.reflog.clone(),
            ..Plan::default()
        };
        let branch = &settings.environments[index].branch;
        let finished = |error: Error| finished_before(error, &done);
        match execute::publish(repo, &one, written.clone()) {
            Ok(applied) => done.push(Done::Written(applied.resolve(to))),
            Err(ExecuteError::PushRejected { refs, messages, .. }) if declined(&refs) => {
                let side = format!("{SIDE_PREFIX}{branch}");
                // What the branch's commit holds: its own version, or, for a branch that keeps
                // its file, that file.
                let text = match to {
                    crate::plan::ObjectRef::Planned(commit) => &plan.commits[*commit].content,
                    _ => &settings.files[index].1,
                };
                let commit = if let Some(commit) = waiting(repo, remote, &side, &push.lease, text).map_err(finished)? {
                    commit
                } else {
                    aside(repo, remote, plan, &written, &side, to).map_err(finished)?
                };
                let (pull, why) = propose(context, repo, settings, index, &side);
                done.push(Done::Proposed(Box::new(Proposal { commit, side, declined: messages, pull, why })));
            }
            Err(error) => return Err(finished(error.into())),
        }
    }
    let settle = Plan { commits: plan.commits.clone(), config: plan.config.clone(), ..Plan::default() };
    execute::publish(repo, &settle, written).map_err(|e| finished_before(e.into(), &done))?;
    Ok(done)
}

/// Pushes a declined branch's commit to `side`, a branch of its own.
fn aside(
    repo: &Repo,
    remote: &str,
    plan: &Plan,
    written: &execute::Written,
    side: &str,
    to: &crate::plan::ObjectRef,
) -> Result<ObjectId, Error> {
    let tracking = repo.reference(&format!("refs/remotes/{remote}/{side}"))?;
    let lease = tracking.map_or(Expect::Absent, Expect::At);
    let push = Push { remote: remote.to_owned(), destination: format!("refs/heads/{side}"), commit: to.clone(), lease };
    let aside = Plan { commits: plan.commits.clone(), pushes: vec![push], ..Plan::default() };
    Ok(execute::publish(repo, &aside, written.clone())?.resolve(to))
}

/// The commit an earlier run left on `side` for the same tip of the branch, when it is still
/// there and brings exactly what this run would (`text` as the release file, nothing else): a
/// second run proposes it again rather than moving the pull request's head. Anything else there,
/// someone else's commit included, is replaced.
fn waiting(repo: &Repo, remote: &str, side: &str, lease: &Expect, text: &str) -> Result<Option<ObjectId>, Error> {
    let (Some(waiting), Expect::At(tip)) = (repo.reference(&format!("refs/remotes/{remote}/{side}"))?, lease) else {
        return Ok(None);
    };
    let parent = repo.commit_parents(&waiting)?.into_iter().next();
    let Some(Content::Bytes(file)) = repo.read_top_file(&waiting, FILE_NAME)? else { return Ok(None) };
    let others =
        crate::plan::differing_names(&repo.top_entries(&waiting)?, &repo.top_entries(tip)?, FILE_NAME).is_empty();
    Ok((parent.as_ref() == Some(tip) && file == text.as_bytes() && others).then_some(waiting))
}

/// A push the remote itself declined (a hook, a protected branch), not one that lost a race.
fn declined(refs: &[(String, String)]) -> bool {
    !refs.is_empty() && refs.iter().all(|(_, reason)| reason.contains("remote rejected"))
}

/// An error after some branches took their commits: it says which, so that a second run is
/// understood to finish the work.
fn finished_before(mut error: Error, done: &[Done]) -> Error {
    if done.iter().any(|d| !matches!(d, Done::Kept)) {
        error.hints.push("the branches before it have their release file now: run init again to finish".into());
    }
    error
}

/// Opens the pull request that brings the release file into a branch that takes no pushes, or
/// finds the one open; else says why not.
fn propose(
    context: &Context,
    repo: &Repo,
    settings: &found::Settings,
    index: usize,
    side: &str,
) -> (Option<crate::forge::PullRequest>, Option<String>) {
    let branch = &settings.environments[index].branch;
    let text = settings.files[index].1.clone();
    let origin = Origin { place: format!("{branch} (proposed)"), branch: None };
    let forge = Workspace::from_content(repo.clone(), &context.remote, Content::Bytes(text.into_bytes()), origin)
        .and_then(|workspace| context.forge(&workspace));
    let forge = match forge {
        Ok(Some(forge)) => forge,
        Ok(None) => return (None, Some("no forge is known for this repository's remote".into())),
        Err(error) => return (None, Some(error.message)),
    };
    let draft = Draft {
        title: format!("Add {FILE_NAME} to {branch}"),
        body: format!(
            "`git release init` brings `{FILE_NAME}` onto every environment branch; {branch} takes changes \
             by pull request only.\n\nMerge it with a merge commit, not squashed: {branch} then shares the \
             commit that added the file with the other environment branches, and promotions between them \
             merge it without conflict."
        ),
        source: side.to_owned(),
        target: branch.clone(),
        draft: false,
    };
    // Only a pull request this token's account opened in this repository is taken as the one to
    // merge: someone else's, with its own title and body, is named instead (a fork's branch of
    // the same name is another branch altogether).
    let owner = crate::forge::Owner::new(forge.as_ref(), std::env::var(crate::forge::ACCOUNT_VARIABLE).ok());
    let ours = |open: Option<crate::forge::PullRequest>| {
        open.filter(|pull| !pull.from_fork && pull.source == side && &pull.target == branch)
    };
    let opened = forge.find_open(side, branch).map(ours).and_then(|open| match open {
        Some(pull) => Ok(Some(pull)),
        None => match forge.create(&draft)? {
            Opened::Created(pull) => Ok(Some(pull)),
            Opened::Exists => forge.find_open(side, branch).map(ours),
        },
    });
    let pull = match opened {
        Ok(Some(pull)) => pull,
        Ok(None) => {
            return (None, Some(format!("{} did not say which pull request is open", forge.location().kind.title())));
        }
        Err(error) => return (None, Some(Error::from(error).message)),
    };
    match owner.owns(&pull) {
        Ok(true) => (Some(pull), None),
        Ok(false) => {
            let stranger = owner.stranger(&pull).map_or_else(|e| Error::from(e).message, |s| Error::from(s).message);
            (
                None,
                Some(format!(
                    "{stranger}: read it, close it and run init again, or merge it if it is what init brings"
                )),
            )
        }
        Err(error) => (None, Some(Error::from(error).message)),
    }
}

/// The pipeline files of `system` for these branches, naming this build's own image.
fn pipeline_files(system: pipeline::System, branches: &[&str]) -> Result<Vec<(&'static str, String)>, Error> {
    pipeline::render(system, branches, &pipeline::Install::this_build())
        .map_err(|error| Refusal::PipelineUnwritable { ci: system.name(), why: error.to_string() }.into())
}

/// The work tree the pipeline of `system` goes into; refused when one of its files is there.
fn ci_files(repo: &Repo, system: pipeline::System) -> Result<(std::path::PathBuf, pipeline::System), Error> {
    let Some(workdir) = repo.workdir() else {
        return Err(Refusal::NoWorkTree.into());
    };
    for (relative, _) in system.files() {
        if workdir.join(relative).exists() {
            return Err(Refusal::PipelineExists { path: relative.to_string() }.into());
        }
    }
    Ok((workdir.to_path_buf(), system))
}

/// The deployment every pipeline calls between `prepare` and `record`, written beside the pipeline
/// when there is none: it says what to deploy, and fails until it deploys it.
const DEPLOY_SCRIPT: (&str, &str) = ("deploy.sh", include_str!("../../templates/ci/deploy.sh"));

fn write_ci(
    context: &Context,
    repo: &Repo,
    workdir: &std::path::Path,
    files: &[(&'static str, String)],
    dry_run: bool,
) -> Result<(), Error> {
    let (script, text) = DEPLOY_SCRIPT;
    let mut plan = Plan { reflog: "release: init --ci".into(), ..Plan::default() };
    let mut told = Vec::new();
    let path = workdir.join(script);
    if !path.exists() {
        told.push(format!("wrote {}: the pipeline runs it between prepare and record; make it deploy", path.display()));
        plan.files.push(WriteFile { path, content: text.to_owned(), executable: true });
    }
    for (relative, text) in files {
        let path = workdir.join(relative);
        told.push(format!("wrote {}; commit it to turn the pipeline on", path.display()));
        plan.files.push(WriteFile { path, content: text.clone(), executable: false });
    }
    if execute::carry_out(repo, &plan, dry_run)?.is_some() {
        for line in &told {
            context.ui.message(line);
        }
    } else {
        for file in &plan.files {
            context.ui.message(&format!("would write {}", file.path.display()));
        }
    }
    Ok(())
}

/// The application repository answers: a release file naming one that does not exist (a typo in
/// `--app`) would fail every deployment later instead of now.
fn reachable_app(repo: &Repo, app: &str) -> Result<(), Error> {
    repo.ls_remote_within(app, &["HEAD".to_owned()], 20).map(|_| ()).map_err(|error| {
        Refusal::AppUnreachable { app: crate::secret::redact(app), causes: Error::from(error).causes }.into()
    })
}
