//! The CI templates run as each CI runs them, against real repositories: a pull request into
//! prod that qa has not deployed is refused and allowed once qa has, a push deploys and records
//! the commit `prepare` printed though another lands meanwhile, a failed deployment records
//! nothing, and a branch named like a command runs nothing.
//!
//! GitLab's pipeline runs under gitlab-ci-local (see `gitlab`). For the other systems no runner
//! installs here, so `Runner` does what each does with its file: picks the jobs its triggers and
//! conditions start, checks out as it checks out, sets the variables it sets, runs each script
//! with its shell and options, and skips what follows a failed step. It understands only the
//! expressions the templates use and fails the test on any other, so a template that grows one
//! is never run half-understood.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use crate::deploy::path;
use crate::harness::{DATE, World};

/// What started a pipeline.
#[derive(Debug, Clone)]
enum Event {
    Push { branch: String, commit: String },
    PullRequest { target: String, source: String, head: String },
}

/// How a job ended, and everything it printed.
#[derive(Debug)]
struct Run {
    pub jobs: Vec<(String, bool)>,
    pub log: String,
}

impl Run {
    fn succeeded(&self) -> bool {
        !self.jobs.is_empty() && self.jobs.iter().all(|(_, ok)| *ok)
    }
    fn failed(&self) -> bool {
        self.jobs.iter().any(|(_, ok)| !*ok)
    }
}

/// A step of a job, as the runner will run it.
enum Step {
    Checkout,
    /// A script, the interpreter and options its CI runs it with, and its own variables
    /// (unevaluated: they may read earlier steps' outputs).
    Script {
        name: String,
        shell: Vec<String>,
        script: String,
        env: Vec<(String, String)>,
        condition: Option<String>,
    },
}

struct Job {
    name: String,
    env: Vec<(String, String)>,
    steps: Vec<Step>,
}

/// The place a pipeline runs against: the release repository's remote, a stand-in deployment,
/// and where each system's cache keeps git-release.
struct Ci<'w> {
    pub world: &'w World,
    pub remote: PathBuf,
    /// Lines the stand-in deployment appends: `deployed <commit>`.
    pub deployed: PathBuf,
    /// When this file exists the stand-in deployment fails.
    pub fail_switch: PathBuf,
    /// A script the stand-in deployment runs first (a commit landing meanwhile, say).
    pub meanwhile: PathBuf,
    runs: std::cell::Cell<u32>,
}

impl<'w> Ci<'w> {
    fn new(world: &'w World, remote: &Path) -> Ci<'w> {
        let tools = world.path("ci-tools");
        std::fs::create_dir_all(&tools).expect("tools dir");
        // A network install must never happen here: the cache is always warm.
        write_script(
            &tools.join("cargo"),
            "#!/bin/sh\necho 'cargo was run: the cached git-release was not used' >&2\nexit 97\n",
        );
        let ci = Ci {
            world,
            remote: remote.to_owned(),
            deployed: world.path("deployed.log"),
            fail_switch: world.path("deployment-fails"),
            meanwhile: world.path("meanwhile.sh"),
            runs: std::cell::Cell::new(0),
        };
        write_script(&ci.meanwhile, "#!/bin/sh\n");
        ci
    }

    fn fresh(&self, what: &str) -> PathBuf {
        self.runs.set(self.runs.get() + 1);
        let dir = self.world.path(&format!("run-{}-{what}", self.runs.get()));
        std::fs::create_dir_all(&dir).expect("run dir");
        dir
    }

    /// The stand-in deployment, put where the templates call it: `./deploy.sh` in the checkout.
    fn stand_in(&self, dir: &Path) {
        write_script(
            &dir.join("deploy.sh"),
            &format!(
                "#!/bin/bash\nset -euo pipefail\n'{meanwhile}'\ncommit=$(sed -n 's/^commit=//p' prepare.env)\n\
                 [ -n \"$commit\" ] || {{ echo 'prepare.env names no commit' >&2; exit 1; }}\n\
                 if [ -e '{fail}' ]; then echo 'the deployment failed' >&2; exit 1; fi\n\
                 echo \"deployed $commit\" >> '{log}'\n",
                meanwhile = self.meanwhile.display(),
                fail = self.fail_switch.display(),
                log = self.deployed.display()
            ),
        );
    }

    /// The commits the stand-in deployment deployed, in order.
    fn deployments(&self) -> Vec<String> {
        std::fs::read_to_string(&self.deployed)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("deployed ").map(str::to_owned))
            .collect()
    }

    /// PATH for a job: git and the shell tools, the failing `cargo`, and not this build of
    /// git-release (a job finds it where its cache put it).
    fn base_path(&self, extra: &[&Path]) -> String {
        let inherited = std::env::var_os("PATH").expect("PATH is set");
        let binary_dir = Path::new(env!("CARGO_BIN_EXE_git-release")).parent().expect("a folder").to_owned();
        let dirs = extra
            .iter()
            .map(|p| p.to_path_buf())
            .chain(std::iter::once(self.world.path("ci-tools")))
            .chain(std::env::split_paths(&inherited).filter(|d| *d != binary_dir));
        std::env::join_paths(dirs).expect("PATH joins").into_string().expect("UTF-8 PATH")
    }

    /// A cache holding git-release as a warm cache would: `<root>/bin/git-release`.
    fn warm_cache(root: &Path) {
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).expect("cache dir");
        std::fs::copy(env!("CARGO_BIN_EXE_git-release"), bin.join("git-release")).expect("binary copies");
    }

    /// A clone of the remote as the CI checks it out: the pushed commit, or the pull request's
    /// head merged into its target (`merge` false: the head itself).
    fn checkout(&self, dir: &Path, event: &Event, merge: bool) {
        let git = |args: &[&str]| self.world.git(dir, args);
        self.world
            .git(dir.parent().expect("a parent"), &["clone", "-q", "--no-checkout", path(&self.remote), path(dir)]);
        match event {
            Event::Push { commit, .. } => {
                git(&["checkout", "-q", "--detach", commit]);
            }
            Event::PullRequest { target, head, .. } => {
                git(&["fetch", "-q", "origin", head]);
                if merge {
                    git(&["checkout", "-q", "--detach", &format!("origin/{target}")]);
                    git(&["merge", "-q", "--no-ff", "--no-edit", "-m", "Merge pull request", head]);
                } else {
                    git(&["checkout", "-q", "--detach", head]);
                }
            }
        }
        self.stand_in(dir);
    }

    /// Runs a job's steps in `dir` with these variables; later steps are skipped after a failed
    /// one unless their condition says otherwise. `eval` reads the system's expressions.
    fn run_job(
        &self,
        system: &dyn System,
        job: &Job,
        dir: &Path,
        home: &Path,
        vars: &BTreeMap<String, String>,
        log: &mut String,
    ) -> bool {
        let mut state = State { failed: false, outputs: BTreeMap::new(), path_prepend: Vec::new() };
        for step in &job.steps {
            let Step::Script { name, shell, script, env, condition } = step else { continue };
            if !system.condition(condition.as_deref(), &state) {
                log.push_str(&format!("--- {}: {name}: skipped\n", job.name));
                continue;
            }
            let mut command = std::process::Command::new(&shell[0]);
            let file = dir.parent().expect("parent").join(format!("{}-step.sh", job.name));
            std::fs::write(&file, script).expect("script written");
            let output_file = dir.parent().expect("parent").join(format!("{}-output", job.name));
            let path_file = dir.parent().expect("parent").join(format!("{}-path", job.name));
            std::fs::write(&output_file, "").expect("output file");
            std::fs::write(&path_file, "").expect("path file");
            let extra: Vec<&Path> = state.path_prepend.iter().map(PathBuf::as_path).collect();
            command.args(&shell[1..]).arg(&file).current_dir(dir).env_clear();
            command
                .env("PATH", self.base_path(&extra))
                .env("HOME", home)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
                .env("GIT_COMMITTER_DATE", DATE)
                .env("GIT_AUTHOR_DATE", DATE)
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("LC_ALL", "C")
                .env("TZ", "UTC")
                .env("NO_COLOR", "1")
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &path_file);
            command.envs(vars);
            for (key, value) in job.env.iter().chain(env) {
                command.env(key, system.expand(value, &state, vars));
            }
            for (key, value) in std::env::vars() {
                if key == "LD_PRELOAD" || key.starts_with("FAKETIME") {
                    command.env(key, value);
                }
            }
            let output = command.output().expect("the step's shell runs");
            log.push_str(&format!(
                "--- {}: {name}: exit {}\n{}{}",
                job.name,
                output.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
            for line in std::fs::read_to_string(&output_file).expect("outputs").lines() {
                if let (Some(id), Some((key, value))) = (system.step_id(step), line.split_once('=')) {
                    state.outputs.insert(format!("{id}.{key}"), value.to_owned());
                }
            }
            for line in std::fs::read_to_string(&path_file).expect("path").lines() {
                state.path_prepend.insert(0, PathBuf::from(line));
            }
            if let Some(dir) = system.prepended_path(&String::from_utf8_lossy(&output.stdout), vars) {
                state.path_prepend.insert(0, dir);
            }
            if !output.status.success() {
                state.failed = true;
            }
        }
        !state.failed
    }

    /// Runs the pipeline `text` of `system` for `event`, every job it starts.
    fn run(&self, system: &dyn System, text: &str, event: &Event) -> Run {
        let mut log = String::new();
        let mut jobs = Vec::new();
        for job in system.jobs(text, event) {
            let run = self.fresh(&job.name);
            let home = run.join("home");
            std::fs::create_dir_all(&home).expect("home");
            std::fs::write(home.join(".gitconfig"), "[protocol \"file\"]\n\tallow = always\n").expect("gitconfig");
            let workspace = run.join("workspace");
            let vars = system.variables(event, &workspace, &home, &run);
            if job.steps.iter().any(|s| matches!(s, Step::Checkout)) {
                self.checkout(&workspace, event, system.merges_pull_requests());
            } else {
                std::fs::create_dir_all(&workspace).expect("workspace");
            }
            system.warm_cache(&workspace, &home, &run);
            let ok = self.run_job(system, &job, &workspace, &home, &vars, &mut log);
            jobs.push((job.name.clone(), ok));
        }
        Run { jobs, log }
    }
}

struct State {
    failed: bool,
    outputs: BTreeMap<String, String>,
    path_prepend: Vec<PathBuf>,
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("script written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("script made executable");
}

/// What one CI system does with its pipeline file.
trait System {
    /// The jobs the event starts, in order.
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job>;
    /// The variables the system sets for every step.
    fn variables(&self, event: &Event, workspace: &Path, home: &Path, run: &Path) -> BTreeMap<String, String>;
    /// Where a warm cache holds git-release for a job.
    fn warm_cache(&self, workspace: &Path, home: &Path, run: &Path);
    /// Whether a pull request's pipeline runs on its merge into the target.
    fn merges_pull_requests(&self) -> bool;
    /// Whether a step runs, given its condition (`None`: the system's default).
    fn condition(&self, condition: Option<&str>, state: &State) -> bool;
    /// A variable's value with the system's expressions in it evaluated.
    fn expand(&self, value: &str, state: &State, vars: &BTreeMap<String, String>) -> String;
    fn step_id(&self, _step: &Step) -> Option<String> {
        None
    }
    /// A directory a step's output asks to put on PATH (Azure's `##vso[task.prependpath]`).
    fn prepended_path(&self, _stdout: &str, _vars: &BTreeMap<String, String>) -> Option<PathBuf> {
        None
    }
}

fn yaml(text: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("the template is YAML: {e}"))
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec()
        .unwrap_or_else(|| panic!("a list, not {node:?}"))
        .iter()
        .map(|v| v.as_str().expect("strings").to_owned())
        .collect()
}

fn map_strings(node: &Yaml) -> Vec<(String, String)> {
    let Some(hash) = node.as_hash() else { return Vec::new() };
    hash.iter().map(|(k, v)| (k.as_str().expect("a key").to_owned(), scalar(v))).collect()
}

fn scalar(node: &Yaml) -> String {
    match node {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("a scalar, not {other:?}"),
    }
}

/// Splits `a == 'b'` / `a != 'b'` (one comparison), as GitHub and Azure write them.
fn comparison(expr: &str) -> Option<(&str, bool, &str)> {
    let (left, equal, right) = if let Some((l, r)) = expr.split_once("!=") {
        (l, false, r)
    } else {
        let (l, r) = expr.split_once("==")?;
        (l, true, r)
    };
    Some((left.trim(), equal, right.trim().strip_prefix('\'')?.strip_suffix('\'')?))
}

/// GitHub Actions: `on` filters, job and step `if`, `${{ }}` in `env`, `shell: bash` as
/// `bash --noprofile --norc -eo pipefail`, `$GITHUB_OUTPUT` and `$GITHUB_PATH`.
struct Github;

impl Github {
    fn event_name(event: &Event) -> &'static str {
        match event {
            Event::Push { .. } => "push",
            Event::PullRequest { .. } => "pull_request",
        }
    }

    fn value(expr: &str, state: &State, vars: &BTreeMap<String, String>) -> String {
        let expr = expr.trim();
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, key) = rest.split_once(".outputs.").unwrap_or_else(|| panic!("not understood: {expr}"));
            return state.outputs.get(&format!("{id}.{key}")).cloned().unwrap_or_default();
        }
        match expr {
            "github.event_name" => vars["GITHUB_EVENT_NAME"].clone(),
            "github.ref" => vars["GITHUB_REF"].clone(),
            "runner.os" => "Linux".into(),
            "env.INSTALL_GIT_RELEASE_REV" => vars.get("INSTALL_GIT_RELEASE_REV").cloned().unwrap_or_default(),
            other => panic!("the GitHub runner here does not understand `{other}`"),
        }
    }

    fn truth(expr: &str, state: &State, vars: &BTreeMap<String, String>) -> bool {
        let (left, equal, right) = comparison(expr).unwrap_or_else(|| panic!("not understood: {expr}"));
        (Github::value(left, state, vars) == right) == equal
    }
}

impl System for Github {
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job> {
        let doc = &yaml(text)[0];
        let name = Github::event_name(event);
        let branch = match event {
            Event::Push { branch, .. } => branch,
            Event::PullRequest { target, .. } => target,
        };
        if !strings(&doc["on"][name]["branches"]).contains(branch) {
            return Vec::new();
        }
        let workflow_env = map_strings(&doc["env"]);
        let vars: BTreeMap<String, String> = [("GITHUB_EVENT_NAME".to_owned(), name.to_owned())].into();
        let idle = State { failed: false, outputs: BTreeMap::new(), path_prepend: Vec::new() };
        let mut jobs = Vec::new();
        for (job_name, job) in doc["jobs"].as_hash().expect("jobs") {
            if let Some(condition) = job["if"].as_str()
                && !Github::truth(condition, &idle, &vars)
            {
                continue;
            }
            let mut steps = Vec::new();
            for step in job["steps"].as_vec().expect("steps") {
                if let Some(uses) = step["uses"].as_str() {
                    if uses.starts_with("actions/checkout@") {
                        steps.push(Step::Checkout);
                    } else {
                        assert!(uses.starts_with("actions/cache@"), "an action the runner here does not know: {uses}");
                        assert_eq!(step["with"]["path"].as_str(), Some("~/.git-release"), "the cache holds the build");
                    }
                    continue;
                }
                let shell = match step["shell"].as_str() {
                    Some("bash") => vec!["bash", "--noprofile", "--norc", "-eo", "pipefail"],
                    None => vec!["bash", "-e"],
                    Some(other) => panic!("shell {other}"),
                };
                steps.push(Step::Script {
                    name: step["name"].as_str().or(step["id"].as_str()).unwrap_or("run").to_owned(),
                    shell: shell.into_iter().map(str::to_owned).collect(),
                    script: step["run"].as_str().expect("a run step").to_owned(),
                    env: [("GITHUB_STEP_ID".to_owned(), step["id"].as_str().unwrap_or("").to_owned())]
                        .into_iter()
                        .chain(map_strings(&step["env"]))
                        .collect(),
                    condition: step["if"].as_str().map(str::to_owned),
                });
            }
            let mut env = workflow_env.clone();
            env.extend(map_strings(&job["env"]));
            jobs.push(Job { name: job_name.as_str().expect("a job name").to_owned(), env, steps });
        }
        jobs
    }

    fn variables(&self, event: &Event, workspace: &Path, _home: &Path, run: &Path) -> BTreeMap<String, String> {
        let mut vars: BTreeMap<String, String> = [
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "shop/release"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_ACTOR", "octo-deployer"),
            ("RUNNER_OS", "Linux"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.insert("GITHUB_WORKSPACE".into(), path(workspace).into());
        vars.insert("GITHUB_EVENT_NAME".into(), Github::event_name(event).into());
        match event {
            Event::Push { branch, commit } => {
                vars.insert("GITHUB_REF".into(), format!("refs/heads/{branch}"));
                vars.insert("GITHUB_REF_NAME".into(), branch.clone());
                vars.insert("GITHUB_SHA".into(), commit.clone());
                let event = run.join("event.json");
                std::fs::write(
                    &event,
                    serde_json::json!({"ref": format!("refs/heads/{branch}"), "after": commit}).to_string(),
                )
                .expect("event");
                vars.insert("GITHUB_EVENT_PATH".into(), path(&event).into());
            }
            Event::PullRequest { target, source, head } => {
                vars.insert("GITHUB_REF".into(), "refs/pull/7/merge".into());
                vars.insert("GITHUB_REF_NAME".into(), "7/merge".into());
                vars.insert("GITHUB_BASE_REF".into(), target.clone());
                vars.insert("GITHUB_HEAD_REF".into(), source.clone());
                let event = run.join("event.json");
                let body = serde_json::json!({"number": 7, "pull_request": {
                    "number": 7,
                    "head": {"sha": head, "ref": source, "repo": {"full_name": "shop/release", "fork": false}},
                    "base": {"ref": target, "repo": {"full_name": "shop/release"}}}});
                std::fs::write(&event, body.to_string()).expect("event");
                vars.insert("GITHUB_EVENT_PATH".into(), path(&event).into());
            }
        }
        vars
    }

    fn warm_cache(&self, _workspace: &Path, home: &Path, _run: &Path) {
        Ci::warm_cache(&home.join(".git-release"));
    }

    fn merges_pull_requests(&self) -> bool {
        true
    }

    fn condition(&self, condition: Option<&str>, state: &State) -> bool {
        // A step's `if` without a status function means `success() && ...`.
        !state.failed && condition.is_none_or(|c| Github::truth(c, state, &BTreeMap::new()))
    }

    fn expand(&self, value: &str, state: &State, vars: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("a closed expression") + start;
            out.push_str(&Github::value(&rest[start + 3..end], state, vars));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn step_id(&self, step: &Step) -> Option<String> {
        let Step::Script { env, .. } = step else { return None };
        env.iter().find(|(k, _)| k == "GITHUB_STEP_ID").map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
    }
}

/// The world every system's pipeline runs against: a release repository laid out by `init`,
/// and what the pipeline file is.
struct Stage<'w> {
    pub world: &'w World,
    pub work: PathBuf,
    pub remote: PathBuf,
    pub app: Option<crate::deploy::TwoRepos>,
    pub branches: [String; 3],
}

impl<'w> Stage<'w> {
    /// The release-management layout: `init` in a release repository beside the application's,
    /// dev, qa and prod on environment/<name>, with the pipeline `init --ci` writes.
    fn two_repositories(world: &'w World, system: &str) -> (Stage<'w>, String) {
        let repos = crate::deploy::TwoRepos::new(world);
        world.release(&repos.release, &["init", "--ci", system]).expect_status(0);
        let text = std::fs::read_to_string(repos.release.join(pipeline_path(system))).expect("init wrote it");
        let stage = Stage {
            world,
            work: repos.release.clone(),
            remote: repos.release_remote.clone(),
            branches: ["environment/dev", "environment/qa", "environment/prod"].map(str::to_owned),
            app: Some(repos),
        };
        (stage, text)
    }

    /// The one-repository layout: qa, stage and main are the environments of the code.
    fn one_repository(world: &'w World, system: &str) -> (Stage<'w>, String) {
        let remote = world.empty_repo("shop.git", true);
        let work = world.empty_repo("shop", false);
        world.git(&work, &["remote", "add", "origin", path(&remote)]);
        world
            .release(&work, &["init", "--app", ".", "--env", "qa=qa", "--env", "stage=stage", "--env", "prod=main"])
            .expect_status(0);
        world.git(&work, &["push", "-q", "origin", "qa", "stage", "main"]);
        world.release(&work, &["init", "--ci", system]).expect_status(0);
        let text = std::fs::read_to_string(work.join(pipeline_path(system))).expect("init --ci wrote it");
        let stage = Stage { world, work, remote, app: None, branches: ["qa", "stage", "main"].map(str::to_owned) };
        (stage, text)
    }

    fn tip(&self, branch: &str) -> String {
        self.world.git(&self.remote, &["rev-parse", branch]).trim().to_owned()
    }

    /// The records of an environment on the remote whose tags deploy.
    fn records(&self, env: &str) -> Vec<(String, String)> {
        let remote = self.app.as_ref().map_or(&self.remote, |a| &a.app_remote);
        let list =
            self.world.git(remote, &["tag", "-l", &format!("*{env}*"), "--format=%(refname:short) %(*objectname)"]);
        list.lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(name, _)| !name.starts_with('v'))
            .map(|(n, c)| (n.to_owned(), c.to_owned()))
            .collect()
    }

    /// Sets an environment's version and publishes it, as a person would.
    fn set(&self, env: &str, version: &str) {
        self.world.git(&self.work, &["fetch", "-q", "--update-head-ok", "origin", "+refs/heads/*:refs/heads/*"]);
        self.world.release(&self.work, &["set", env, version, "--push"]).expect_status(0);
    }

    /// Merges `from` into `into` on the remote, as a forge's merge button does (fast-forward).
    fn merge(&self, from: &str, into: &str) {
        let tip = self.tip(from);
        self.world.git(&self.remote, &["update-ref", &format!("refs/heads/{into}"), &tip]);
    }
}

fn pipeline_path(system: &str) -> &'static str {
    match system {
        "github" => ".github/workflows/release.yml",
        "gitlab" => ".gitlab-ci.yml",
        "azure" => "azure-pipelines.yml",
        "bitbucket" => "bitbucket-pipelines.yml",
        "jenkins" => "Jenkinsfile",
        "tekton" => ".tekton/release.yaml",
        other => panic!("no system {other}"),
    }
}

/// The four cases of the issue for one system and layout: refused, allowed, deployed and
/// recorded as prepared, and a failed deployment recorded nowhere; then a branch named like a
/// command, which runs nothing.
fn the_flow_holds(system: &dyn System, stage: &Stage, text: &str) {
    let world = stage.world;
    let ci = Ci::new(world, &stage.remote);
    let [middle, last] = [&stage.branches[1], &stage.branches[2]];
    let qa_env = if stage.app.is_some() { "qa" } else { "stage" };

    // The middle environment runs a version the last has not: a promotion it never deployed.
    stage.set(qa_env, "1.1.0");
    let promotion = Event::PullRequest { target: last.clone(), source: middle.clone(), head: stage.tip(middle) };
    let refused = ci.run(system, text, &promotion);
    assert!(refused.failed(), "the gate refuses what {middle} never deployed:\n{}", refused.log);
    assert!(refused.log.contains("refused"), "it says why:\n{}", refused.log);

    // Its push pipeline deploys it; a commit lands on the deployed branch meanwhile.
    let someone = "export GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
                   GIT_COMMITTER_EMAIL=dev@example.com\n";
    let landing = match &stage.app {
        Some(app) => format!(
            "#!/bin/sh\n{someone}cd '{}' && git commit -q --allow-empty -m 'Landed meanwhile' && git push -q origin main\n",
            app.app.display()
        ),
        None => format!(
            "#!/bin/sh\nset -e\n{someone}d=$(mktemp -d)\ngit clone -q '{remote}' \"$d\" && cd \"$d\" && git checkout -q {middle} && \
             git commit -q --allow-empty -m 'Landed meanwhile' && git push -q origin {middle}\n",
            remote = stage.remote.display()
        ),
    };
    write_script(&ci.meanwhile, &landing);
    let push = Event::Push { branch: middle.clone(), commit: stage.tip(middle) };
    let deployed = ci.run(system, text, &push);
    assert!(deployed.succeeded(), "{middle}'s push pipeline deploys:\n{}", deployed.log);
    write_script(&ci.meanwhile, "#!/bin/sh\n");
    let records = stage.records(&format!(".{qa_env}"));
    assert_eq!(records.len(), 1, "one record of {qa_env}: {records:?}\n{}", deployed.log);
    assert_eq!(ci.deployments(), [records[0].1.clone()], "the record names the commit deployed");

    // Now the gate lets the promotion in (in one repository, of the commit deployed, as the
    // pull request stood before the commit that landed meanwhile).
    let head = if stage.app.is_some() { stage.tip(middle) } else { records[0].1.clone() };
    let promotion = Event::PullRequest { target: last.clone(), source: middle.clone(), head };
    let allowed = ci.run(system, text, &promotion);
    assert!(allowed.succeeded(), "the gate allows what {middle} deployed:\n{}", allowed.log);

    // Merged, the last environment's push pipeline releases it and records that.
    stage.merge(middle, last);
    let released = ci.run(system, text, &Event::Push { branch: last.clone(), commit: stage.tip(last) });
    assert!(released.succeeded(), "{last}'s push pipeline deploys:\n{}", released.log);
    assert_eq!(stage.records(".prod").len(), 1, "one record of prod:\n{}", released.log);

    // A deployment that fails records nothing.
    std::fs::write(&ci.fail_switch, "").expect("switch");
    stage.set(qa_env, "1.2.0");
    let failing = ci.run(system, text, &Event::Push { branch: middle.clone(), commit: stage.tip(middle) });
    assert!(failing.failed(), "the pipeline fails with its deployment:\n{}", failing.log);
    assert_eq!(stage.records(&format!(".{qa_env}")).len(), 1, "no record of a failed deployment:\n{}", failing.log);
    std::fs::remove_file(&ci.fail_switch).expect("switch");

    // Branches named like commands, in a pull request and pushed: nothing runs them. (git
    // takes no space in a branch name; a CI variable may hold one all the same.)
    let evil = "environment/x$(touch${IFS}pwned)";
    world.git(&stage.remote, &["branch", "-f", evil, &stage.tip(last)]);
    for source in [evil, "environment/x$(touch pwned)", "environment/x`touch pwned`"] {
        let into_last = Event::PullRequest { target: last.clone(), source: source.into(), head: stage.tip(last) };
        let gate = ci.run(system, text, &into_last);
        assert!(!gate.jobs.is_empty(), "a pull request into {last} runs the gate");
    }
    ci.run(system, text, &Event::Push { branch: evil.into(), commit: stage.tip(last) });
    let found =
        std::process::Command::new("find").args([path(&world.path("")), "-name", "pwned"]).output().expect("find runs");
    assert!(found.stdout.is_empty(), "a branch name ran a command: {}", String::from_utf8_lossy(&found.stdout));
}

#[test]
fn github_actions_runs_the_flow_in_both_layouts() {
    let world = World::new();
    let (stage, text) = Stage::two_repositories(&world, "github");
    the_flow_holds(&Github, &stage, &text);
    let world = World::new();
    let (stage, text) = Stage::one_repository(&world, "github");
    assert!(text.contains("branches: [\"qa\", \"stage\", \"main\"]"), "{text}");
    the_flow_holds(&Github, &stage, &text);
}
