//! `init`: the release file written once for each environment branch, the branches created
//! without touching HEAD, the index or the work tree, and, asked for, the CI pipeline; all as one
//! plan that `execute` carries out.

use serde::Serialize;

use crate::config::pipeline;
use crate::config::template::{self, DEFAULT_ENVIRONMENTS, NewEnvironment};
use crate::config::{self, Content, FILE_NAME, Origin};
use crate::context::Context;
use crate::error::Error;
use crate::execute;
use crate::git::{Expect, Repo};
use crate::object_id::ObjectId;
use crate::plan::{self, MoveRef, NewCommit, ObjectRef, Plan, Step, WriteFile};
use crate::ui::{Paint, Report};
use crate::version::{Cut, WIP};

mod refusal;

pub use refusal::Refusal;

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
    pub dry_run: bool,
}

/// What `--sign` sets up: git's signing settings here, and the signer the release file trusts.
struct SignWith {
    config: Vec<(String, String)>,
    signer: String,
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

/// Writes the release file and creates the environment branches (and with `ci`, the pipeline),
/// or on a dry run shows what it would write.
///
/// # Errors
/// Branches or a release file that exist already, arguments that make no valid release file, an
/// application repository that does not answer, a failed write.
pub fn init(context: &Context, args: &Options) -> Result<(), Error> {
    let repo = context.repo()?;
    let named = if args.environments.is_empty() {
        DEFAULT_ENVIRONMENTS.iter().map(|n| ((*n).to_owned(), None)).collect()
    } else {
        args.environments.clone()
    };
    let environments = template::layout(&named);
    let sign = args.sign.as_deref().map(sign_with).transpose()?;
    let files = files(&environments, args, sign.as_ref())?;
    let ci = args.ci.map(|system| ci_files(&repo, system)).transpose()?;
    let existing = refuse_existing(&repo, &environments, &context.remote);
    if let (Some((workdir, system)), true) = (&ci, existing.is_err() || set_up(&repo)?) {
        // The environments exist already: `--ci` adds the pipeline alone, for the branches the
        // release file names.
        if !args.environments.is_empty() {
            return Err(Refusal::EnvironmentsExist { ci: system.name() }.into());
        }
        let workspace = context.judging_workspace()?;
        let branches: Vec<&str> = workspace.file.environments.iter().map(|e| e.branch.as_str()).collect();
        return write_ci(context, &repo, workdir, &pipeline_files(*system, &branches)?, args.dry_run);
    }
    existing?;
    let pipeline = match &ci {
        Some((workdir, system)) => {
            let branches: Vec<&str> = environments.iter().map(|e| e.branch.as_str()).collect();
            Some((workdir, pipeline_files(*system, &branches)?))
        }
        None => None,
    };
    let base = base_commit(&repo, &args.app)?;
    if args.app != "." && !context.offline {
        reachable_app(&repo, &args.app)?;
    }
    // HEAD names a branch init is about to create (a repository without commits).
    let unborn_head = match repo.head_branch()? {
        Some(branch) if base.is_none() && repo.head_commit()?.is_none() => {
            environments.iter().any(|e| e.branch == branch).then_some(branch)
        }
        _ => None,
    };
    let mut plan = build_plan(&environments, &files, base.as_ref());
    if let Some(sign) = sign {
        plan.config.extend(sign.config);
        plan.config.push(("tag.gpgSign".into(), "true".into()));
    }
    // Its index is empty: the next commit there would delete the release file.
    let head_ref = unborn_head.as_ref().map(|branch| format!("refs/heads/{branch}"));
    let synced = plan.refs.iter().find(|r| Some(&r.name) == head_ref.as_ref()).map(|r| r.to.clone());
    if let (Some(ObjectRef::Planned(commit)), Some(_)) = (synced, repo.workdir()) {
        plan.worktree = Some(plan::SyncWorktree { commit, keep_work_tree_file: true });
    }
    let applied = execute::carry_out(&repo, &plan, args.dry_run)?;
    let remote = repo.config_string(&format!("remote.{}.url", context.remote)).map(|_| context.remote.clone());
    context.ui.report(&InitReport::new(&environments, &files, &plan, applied.as_ref(), remote));
    if let (Some(branch), Some(_), Some(_)) = (unborn_head, &applied, &plan.worktree) {
        context.ui.message(&format!(
            "note: HEAD's branch {branch} had no commits; its {FILE_NAME} is now in the index and the work tree, so the next commit keeps it"
        ));
    }
    match pipeline {
        Some((workdir, files)) => write_ci(context, &repo, workdir, &files, args.dry_run),
        None => Ok(()),
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

/// The release file each environment branch gets, checked as that branch would read it.
fn files(
    environments: &[NewEnvironment],
    args: &Options,
    sign: Option<&SignWith>,
) -> Result<Vec<(String, String)>, Error> {
    let mut files = Vec::new();
    for env in environments {
        let version = if env.cut == Cut::None { WIP } else { args.version.as_str() };
        let mut text = template::render(version, &args.app, environments);
        if let Some(sign) = sign {
            text.push_str(&template::trust(&sign.signer, environments));
        }
        let origin = Origin { place: format!("{} (to be created)", env.branch), branch: Some(env.branch.clone()) };
        config::parse(&Content::Bytes(text.clone().into_bytes()), &origin).map_err(|error| {
            let mut error = Error::from(error);
            error.message = format!("the arguments make an invalid {FILE_NAME} for {}", env.branch);
            error.hints = vec!["check the values of --env, --app and --version".into()];
            error
        })?;
        files.push((version.to_owned(), text));
    }
    Ok(files)
}

fn refuse_existing(repo: &Repo, environments: &[NewEnvironment], remote: &str) -> Result<(), Error> {
    let mut existing = Vec::new();
    for env in environments {
        if let Some(id) = repo.branch_tip(&env.branch, remote)?.id() {
            existing.push(format!("{} ({})", env.branch, repo.short_id(id)));
        }
    }
    if existing.is_empty() {
        return Ok(());
    }
    Err(Refusal::BranchesExist { branches: existing }.into())
}

/// Whether this repository has its environments already: `release.configRef` is set, or HEAD
/// holds a release file.
fn set_up(repo: &Repo) -> Result<bool, Error> {
    if repo.config_string("release.configRef").is_some() {
        return Ok(true);
    }
    let Some(head) = repo.head_commit()? else { return Ok(false) };
    Ok(repo.read_top_file(&head, FILE_NAME)?.is_some())
}

/// The application repository answers: a release file naming one that does not exist (a typo in
/// `--app`) would fail every deployment later instead of now.
fn reachable_app(repo: &Repo, app: &str) -> Result<(), Error> {
    repo.ls_remote(app, &["HEAD".to_owned()]).map(|_| ()).map_err(|error| {
        Refusal::AppUnreachable { app: crate::secret::redact(app), causes: Error::from(error).causes }.into()
    })
}

/// The commit the environment branches start from: HEAD when the application lives here.
fn base_commit(repo: &Repo, app: &str) -> Result<Option<ObjectId>, Error> {
    if app != "." {
        return Ok(None);
    }
    let Some(head) = repo.head_commit()? else { return Ok(None) };
    if repo.read_top_file(&head, FILE_NAME)?.is_some() {
        return Err(Refusal::HeadHasReleaseFile.into());
    }
    Ok(Some(head))
}

/// One commit with the release file for the version most environments share, then one commit
/// on top of it for each other version, so that every environment branch shares history.
fn build_plan(environments: &[NewEnvironment], files: &[(String, String)], base: Option<&ObjectId>) -> Plan {
    let shared = files.last().expect("layout yields at least one environment");
    let names = environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut plan = Plan { reflog: "release: init".into(), ..Plan::default() };
    plan.commits.push(NewCommit {
        parent: base.cloned().map(ObjectRef::Existing),
        base: base.cloned(),
        path: FILE_NAME.into(),
        content: shared.1.clone(),
        copied: None,
        message: format!("Add {FILE_NAME} for environments {names}"),
    });
    for (env, (version, text)) in environments.iter().zip(files) {
        let to = if text == &shared.1 {
            ObjectRef::Planned(0)
        } else {
            plan.commits.push(NewCommit {
                parent: Some(ObjectRef::Planned(0)),
                base: base.cloned(),
                path: FILE_NAME.into(),
                content: text.clone(),
                copied: None,
                message: format!("Set {} version to {version}", env.name),
            });
            ObjectRef::Planned(plan.commits.len() - 1)
        };
        plan.refs.push(MoveRef { name: format!("refs/heads/{}", env.branch), to, old: Expect::Absent });
    }
    // The last environment changes least and is guarded most: what a hook guards is read there.
    let last = environments.last().expect("a release file lists at least one environment");
    plan.config.push(("release.configRef".into(), format!("refs/heads/{}", last.branch)));
    plan
}

#[derive(Debug, Serialize)]
struct InitReport {
    dry_run: bool,
    environments: Vec<InitRow>,
    config_ref: String,
    steps: Vec<Step>,
    #[serde(skip)]
    diff: String,
    /// The remote to publish to, when one is configured.
    #[serde(skip)]
    remote: Option<String>,
}

#[derive(Debug, Serialize)]
struct InitRow {
    name: String,
    branch: String,
    version: String,
    cut: Cut,
    commit: Option<ObjectId>,
}

impl InitReport {
    fn new(
        environments: &[NewEnvironment],
        files: &[(String, String)],
        plan: &Plan,
        applied: Option<&execute::Applied>,
        remote: Option<String>,
    ) -> InitReport {
        let rows = environments
            .iter()
            .zip(files)
            .zip(&plan.refs)
            .map(|((env, (version, _)), update)| InitRow {
                name: env.name.clone(),
                branch: env.branch.clone(),
                version: version.clone(),
                cut: env.cut,
                commit: applied.map(|a| a.resolve(&update.to)),
            })
            .collect();
        InitReport {
            dry_run: applied.is_none(),
            environments: rows,
            config_ref: plan.config[0].1.clone(),
            steps: plan.steps(),
            diff: plan::unified_diff(FILE_NAME, None, &plan.commits[0].content),
            remote,
        }
    }
}

impl Report for InitReport {
    fn human(&self, paint: Paint) -> String {
        let mut out = String::new();
        if self.dry_run {
            out.push_str(&self.diff);
            out.push_str(&paint.bold("Would run:\n"));
            for step in &self.steps {
                out.push_str(&format!("  {step}\n"));
            }
            return out;
        }
        out.push_str(&format!("Created {} environment branches with {FILE_NAME}:\n", self.environments.len()));
        let width = self.environments.iter().map(|r| r.branch.len()).max().unwrap_or(0);
        for row in &self.environments {
            let commit = row.commit.as_ref().map_or("-", ObjectId::short);
            out.push_str(&format!(
                "  {}  {commit}  {}\n",
                paint.green(&format!("{:<width$}", row.branch)),
                row.version
            ));
        }
        out.push_str(&format!("release.configRef = {}\n", self.config_ref));
        out
    }

    fn hints(&self) -> Vec<String> {
        if self.dry_run {
            return vec!["run it again without --dry-run to create them".into()];
        }
        let branches = self.environments.iter().map(|r| r.branch.as_str()).collect::<Vec<_>>().join(" ");
        let publish = match &self.remote {
            Some(remote) => format!("publish them with 'git push {remote} {branches}'"),
            None => format!("add a remote and publish them: git remote add origin <url> && git push origin {branches}"),
        };
        vec![publish, "see them with 'git release status'".into()]
    }
}
