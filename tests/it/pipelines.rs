//! The CI templates run as each CI runs them, against real repositories: a pull request into
//! prod that qa has not deployed is refused and allowed once qa has, a push deploys and records
//! the commit `prepare` printed though another lands meanwhile, a failed deployment records
//! nothing, and a branch named like a command runs nothing.
//!
//! GitLab's pipeline runs under gitlab-ci-local (see `Gitlab`). For the other systems no runner
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
    Push {
        branch: String,
        commit: String,
    },
    PullRequest {
        target: String,
        source: String,
        head: String,
    },
    /// A run asked for by a request with inputs: GitHub's `workflow_dispatch` of a branch's
    /// workflow, GitLab's pipeline trigger with variables.
    Dispatch {
        branch: String,
        commit: String,
        inputs: Vec<(String, String)>,
    },
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
    /// When the job runs, in the system's terms, judged once the jobs before it ended.
    condition: Option<String>,
}

/// The place a pipeline runs against: the release repository's remote, a stand-in deployment,
/// and the image git-release runs in.
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

    /// PATH for a job: `extra` first, then git and the shell tools, and not this build of
    /// git-release (a job finds it where its image has it).
    fn base_path(extra: &[&Path]) -> String {
        let inherited = std::env::var_os("PATH").expect("PATH is set");
        let binary_dir = Path::new(env!("CARGO_BIN_EXE_git-release")).parent().expect("a folder").to_owned();
        let dirs =
            extra.iter().map(|p| p.to_path_buf()).chain(std::env::split_paths(&inherited).filter(|d| *d != binary_dir));
        std::env::join_paths(dirs).expect("PATH joins").into_string().expect("UTF-8 PATH")
    }

    /// A job's environment, as a runner's: nothing of this process's but PATH (with `extra` first)
    /// and libfaketime's variables (the suite's run with the clock moved), this HOME and global
    /// git configuration, and the fixed clock every test states.
    fn seal(command: &mut std::process::Command, extra: &[&Path], home: &Path, gitconfig: &Path) {
        command
            .env_clear()
            .env("PATH", Ci::base_path(extra))
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", gitconfig)
            .env("GIT_COMMITTER_DATE", DATE)
            .env("GIT_AUTHOR_DATE", DATE)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1");
        for (key, value) in std::env::vars() {
            if key == "LD_PRELOAD" || key.starts_with("FAKETIME") {
                command.env(key, value);
            }
        }
    }

    /// git-release where the image the templates run in has it, as `<root>/bin/git-release`.
    fn image_at(root: &Path) {
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).expect("the image's bin");
        std::fs::copy(env!("CARGO_BIN_EXE_git-release"), bin.join("git-release")).expect("binary copies");
    }

    /// A clone of the remote as the CI checks it out: the pushed commit, or the pull request's
    /// head merged into its target (`merge` false: the head itself).
    fn checkout(&self, dir: &Path, event: &Event, merge: bool) {
        let git = |args: &[&str]| self.world.git(dir, args);
        self.world
            .git(dir.parent().expect("a parent"), &["clone", "-q", "--no-checkout", path(&self.remote), path(dir)]);
        match event {
            Event::Push { commit, .. } | Event::Dispatch { commit, .. } => {
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
        let image = system.image_path(dir.parent().expect("a run dir"));
        let mut state = State { failed: false, outputs: BTreeMap::new(), path_prepend: image.into_iter().collect() };
        for step in &job.steps {
            let Step::Script { name, shell, script, env, condition } = step else { continue };
            if dir.join(".git").exists() && !dir.join("deploy.sh").exists() {
                // A pipeline that clones in a step of its own gets the stand-in once it has.
                self.stand_in(dir);
            }
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
            command.args(&shell[1..]).arg(&file).current_dir(dir);
            Ci::seal(&mut command, &extra, home, &home.join(".gitconfig"));
            command
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", dir.parent().expect("parent").join("summary.md"))
                .env("GITHUB_PATH", &path_file);
            command.envs(vars);
            for (key, value) in job.env.iter().chain(env) {
                command.env(key, system.expand(value, &state, vars));
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
    fn run(&self, system: &dyn System, texts: &[String], event: &Event) -> Run {
        let mut log = String::new();
        let mut jobs = Vec::new();
        for job in texts.iter().flat_map(|text| system.jobs(text, event)) {
            let run = self.fresh(&job.name);
            let home = run.join("home");
            std::fs::create_dir_all(&home).expect("home");
            std::fs::write(home.join(".gitconfig"), "[protocol \"file\"]\n\tallow = always\n").expect("gitconfig");
            let workspace = run.join("workspace");
            let vars = system.variables(event, &workspace, &home, &run);
            if !system.job_runs(job.condition.as_deref(), &vars, &jobs) {
                log.push_str(&format!("--- {}: skipped\n", job.name));
                continue;
            }
            if job.steps.iter().any(|s| matches!(s, Step::Checkout)) {
                self.checkout(&workspace, event, system.merges_pull_requests());
            } else {
                std::fs::create_dir_all(&workspace).expect("workspace");
            }
            system.provision(&workspace, &home, &run);
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

/// The image every template runs git-release in.
fn image() -> String {
    git_release::config::pipeline::Install::this_build().image
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("script written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("script made executable");
}

/// A CI system that runs a pipeline for an event: step by step here ([`System`]), or by a real
/// runner of its own (GitLab's, under gitlab-ci-local).
trait Pipeline {
    fn run(&self, ci: &Ci, texts: &[String], event: &Event) -> Run;
}

impl<T: System> Pipeline for T {
    fn run(&self, ci: &Ci, texts: &[String], event: &Event) -> Run {
        ci.run(self, texts, event)
    }
}

/// What one CI system does with its pipeline file.
trait System {
    /// The jobs the event starts, in order.
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job>;
    /// The variables the system sets for every step.
    fn variables(&self, event: &Event, workspace: &Path, home: &Path, run: &Path) -> BTreeMap<String, String>;
    /// Puts git-release where the job's image has it, and anything else the system mounts.
    fn provision(&self, _workspace: &Path, _home: &Path, run: &Path) {
        Ci::image_at(&run.join("image"));
    }
    /// Whether a pull request's pipeline runs on its merge into the target.
    fn merges_pull_requests(&self) -> bool {
        true
    }
    /// Whether a step runs, given its condition (`None`: the system's default, which is to run
    /// while no step before it failed; a system without conditions has no other).
    fn condition(&self, condition: Option<&str>, state: &State) -> bool {
        assert!(condition.is_none(), "this system has no step conditions: {condition:?}");
        !state.failed
    }
    /// Whether a job runs, given its condition and the jobs that ended before it.
    fn job_runs(&self, condition: Option<&str>, _vars: &BTreeMap<String, String>, done: &[(String, bool)]) -> bool {
        match condition {
            None => true,
            Some("the steps before succeeded") => done.iter().all(|(_, ok)| *ok),
            Some(other) => panic!("the runner here does not understand the job condition `{other}`"),
        }
    }
    /// A variable's value with the system's expressions in it evaluated (none, by default).
    fn expand(&self, value: &str, _state: &State, _vars: &BTreeMap<String, String>) -> String {
        value.to_owned()
    }
    fn step_id(&self, _step: &Step) -> Option<String> {
        None
    }
    /// Where the job's image has git-release on PATH: every template runs in the image
    /// git-release's repository publishes.
    fn image_path(&self, run: &Path) -> Option<PathBuf> {
        Some(run.join("image").join("bin"))
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
            Event::Dispatch { .. } => "workflow_dispatch",
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
            // The job's token: nothing here is a GitHub that would take it.
            "github.token" => "ghs_the-jobs-own-token".into(),
            input if input.starts_with("inputs.") => {
                vars.get(&format!("INPUT_{}", input["inputs.".len()..].to_uppercase())).cloned().unwrap_or_default()
            }
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
            Event::Push { branch, .. } => Some(branch),
            Event::PullRequest { target, .. } => Some(target),
            Event::Dispatch { .. } => None,
        };
        let trigger = &doc["on"][name];
        if trigger.is_badvalue() || branch.is_some_and(|b| !strings(&trigger["branches"]).contains(b)) {
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
            assert_eq!(
                job["container"]["image"].as_str(),
                Some(image().as_str()),
                "the job runs in git-release's image"
            );
            let mut steps = Vec::new();
            for step in job["steps"].as_vec().expect("steps") {
                if let Some(uses) = step["uses"].as_str() {
                    if uses.starts_with("actions/checkout@") {
                        steps.push(Step::Checkout);
                    } else {
                        panic!("an action the runner here does not know: {uses}");
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
            jobs.push(Job { name: job_name.as_str().expect("a job name").to_owned(), env, steps, condition: None });
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
            Event::Dispatch { branch, commit, inputs } => {
                vars.insert("GITHUB_REF".into(), format!("refs/heads/{branch}"));
                vars.insert("GITHUB_REF_NAME".into(), branch.clone());
                vars.insert("GITHUB_SHA".into(), commit.clone());
                for (name, value) in inputs {
                    vars.insert(format!("INPUT_{}", name.to_uppercase()), value.clone());
                }
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

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn script_step(name: &str, shell: &[&str], script: &str, env: Vec<(String, String)>, condition: Option<&str>) -> Step {
    Step::Script {
        name: name.to_owned(),
        shell: shell.iter().map(|s| (*s).to_owned()).collect(),
        script: script.to_owned(),
        env,
        condition: condition.map(str::to_owned),
    }
}

/// Azure Pipelines: `trigger` and `pr` filters, job and step `condition`s, `bash` steps run as
/// `bash --noprofile --norc <file>` (no -e, no pipefail), variables as upper-case environment
/// variables, and `##vso[task.prependpath]`.
struct Azure;

impl Azure {
    /// Evaluates the condition functions the templates use.
    fn truth(expr: &str, vars: &BTreeMap<String, String>, failed: bool, done: &[(String, bool)]) -> bool {
        let expr = expr.trim();
        let (name, args) = expr
            .strip_suffix(')')
            .and_then(|e| e.split_once('('))
            .unwrap_or_else(|| panic!("the Azure runner here does not understand `{expr}`"));
        let args = split_arguments(args);
        match (name.trim(), args.as_slice()) {
            ("succeeded", []) => !failed,
            ("succeeded", [job]) => {
                let job = Azure::value(job, vars);
                done.iter().any(|(name, ok)| *name == job && *ok)
            }
            ("and", all) => all.iter().all(|a| Azure::truth(a, vars, failed, done)),
            ("or", any) => any.iter().any(|a| Azure::truth(a, vars, failed, done)),
            ("in", [needle, haystack @ ..]) => {
                let needle = Azure::value(needle, vars);
                haystack.iter().any(|h| Azure::value(h, vars).eq_ignore_ascii_case(&needle))
            }
            ("eq" | "ne", [left, right]) => {
                let equal = Azure::value(left, vars).eq_ignore_ascii_case(&Azure::value(right, vars));
                equal == (name.trim() == "eq")
            }
            (other, _) => panic!("the Azure runner here does not understand `{other}`"),
        }
    }

    fn value(expr: &str, vars: &BTreeMap<String, String>) -> String {
        let expr = expr.trim();
        if let Some(name) = expr.strip_prefix("variables['").and_then(|e| e.strip_suffix("']")) {
            return vars.get(&name.to_uppercase().replace('.', "_")).cloned().unwrap_or_default();
        }
        expr.strip_prefix('\'')
            .and_then(|e| e.strip_suffix('\''))
            .unwrap_or_else(|| panic!("not understood: {expr}"))
            .to_owned()
    }
}

/// The arguments of a call, split at the commas outside parentheses and brackets.
fn split_arguments(text: &str) -> Vec<String> {
    let (mut out, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

impl System for Azure {
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job> {
        let doc = &yaml(text)[0];
        let (filter, branch) = match event {
            Event::Push { branch, .. } => ("trigger", branch),
            Event::PullRequest { target, .. } => ("pr", target),
            Event::Dispatch { .. } => return Vec::new(),
        };
        if !strings(&doc[filter]["branches"]["include"]).contains(branch) {
            return Vec::new();
        }
        let env: Vec<(String, String)> = map_strings(&doc["variables"]);
        let mut jobs = Vec::new();
        for job in doc["jobs"].as_vec().expect("jobs") {
            assert_eq!(job["container"].as_str(), Some("${{ variables.GIT_RELEASE_IMAGE }}"));
            assert_eq!(doc["variables"]["GIT_RELEASE_IMAGE"].as_str(), Some(image().as_str()));
            // A deployment job's steps are its strategy's.
            let listed = if job["deployment"].is_badvalue() {
                &job["steps"]
            } else {
                &job["strategy"]["runOnce"]["deploy"]["steps"]
            };
            let mut steps = Vec::new();
            for step in listed.as_vec().expect("steps") {
                if step["checkout"].as_str() == Some("self") {
                    steps.push(Step::Checkout);
                } else {
                    let script = step["bash"].as_str().expect("a bash step");
                    let macros = regex_lite::Regex::new(r"\$\([A-Za-z0-9_.]+\)").expect("a pattern");
                    assert!(!macros.is_match(script), "no macro is pasted into a script:\n{script}");
                    let name = step["displayName"].as_str().unwrap_or("bash");
                    let shell = ["bash", "--noprofile", "--norc"];
                    let own = map_strings(&step["env"]);
                    steps.push(script_step(name, &shell, script, own, step["condition"].as_str()));
                }
            }
            let name = job["job"].as_str().or(job["deployment"].as_str()).expect("a job name").to_owned();
            let condition = job["condition"].as_str().map(str::to_owned);
            jobs.push(Job { name, env: env.clone(), steps, condition });
        }
        jobs
    }

    fn variables(&self, event: &Event, _workspace: &Path, _home: &Path, run: &Path) -> BTreeMap<String, String> {
        let mut vars = owned(&[
            ("TF_BUILD", "True"),
            ("AGENT_OS", "Linux"),
            ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/shop/"),
            ("SYSTEM_TEAMPROJECT", "Web Shop"),
            ("BUILD_BUILDID", "9"),
            ("BUILD_REQUESTEDFOR", "Octo Deployer"),
        ]);
        vars.insert("PIPELINE_WORKSPACE".into(), path(run).into());
        match event {
            Event::Push { branch, commit } => {
                vars.insert("BUILD_REASON".into(), "IndividualCI".into());
                vars.insert("BUILD_SOURCEBRANCH".into(), format!("refs/heads/{branch}"));
                vars.insert("BUILD_SOURCEVERSION".into(), commit.clone());
            }
            Event::PullRequest { target, source, head } => {
                vars.insert("BUILD_REASON".into(), "PullRequest".into());
                vars.insert("BUILD_SOURCEBRANCH".into(), "refs/pull/7/merge".into());
                vars.insert("SYSTEM_PULLREQUEST_TARGETBRANCH".into(), format!("refs/heads/{target}"));
                vars.insert("SYSTEM_PULLREQUEST_SOURCEBRANCH".into(), format!("refs/heads/{source}"));
                vars.insert("SYSTEM_PULLREQUEST_SOURCECOMMITID".into(), head.clone());
                vars.insert("SYSTEM_PULLREQUEST_ISFORK".into(), "False".into());
            }
            Event::Dispatch { .. } => unreachable!("Azure starts no job for a dispatch here"),
        }
        vars
    }

    fn condition(&self, condition: Option<&str>, state: &State) -> bool {
        Azure::truth(condition.unwrap_or("succeeded()"), &BTreeMap::new(), state.failed, &[])
    }

    fn prepended_path(&self, stdout: &str, _vars: &BTreeMap<String, String>) -> Option<PathBuf> {
        stdout.lines().find_map(|l| l.strip_prefix("##vso[task.prependpath]")).map(PathBuf::from)
    }

    fn job_runs(&self, condition: Option<&str>, vars: &BTreeMap<String, String>, done: &[(String, bool)]) -> bool {
        Azure::truth(condition.unwrap_or("succeeded()"), vars, done.iter().any(|(_, ok)| !ok), done)
    }

    fn expand(&self, value: &str, _state: &State, _vars: &BTreeMap<String, String>) -> String {
        // The pipeline's own token, as Azure puts it in a step's variables.
        value.replace("$(System.AccessToken)", "azure-system-access-token")
    }
}

/// Bitbucket Pipelines: `pull-requests` by source branch glob, `branches` by name, each step's
/// `script` lines run one after another in one shell, the step failing at the first that fails.
struct Bitbucket;

impl System for Bitbucket {
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job> {
        let doc = &yaml(text)[0];
        let steps = match event {
            Event::Push { branch, .. } => &doc["pipelines"]["branches"][branch.as_str()],
            Event::PullRequest { .. } => &doc["pipelines"]["pull-requests"]["**"],
            Event::Dispatch { .. } => return Vec::new(),
        };
        let Some(steps) = steps.as_vec() else { return Vec::new() };
        steps
            .iter()
            .map(|step| {
                let step = &step["step"];
                assert_eq!(doc["image"].as_str(), Some(image().as_str()), "the steps run in git-release's image");
                let mut script = String::new();
                for line in step["script"].as_vec().expect("script lines") {
                    let line = line.as_str().expect("a command");
                    script.push_str(&format!("{line}\n__status=$?; [ \"$__status\" -eq 0 ] || exit \"$__status\"\n"));
                }
                let name = step["name"].as_str().expect("a step name").to_owned();
                // The steps of a pipeline run one after another; a failed one ends it.
                Job {
                    name: name.replace(' ', "-"),
                    env: Vec::new(),
                    steps: vec![Step::Checkout, script_step(&name, &["bash"], &script, Vec::new(), None)],
                    condition: Some("the steps before succeeded".into()),
                }
            })
            .collect()
    }

    fn variables(&self, event: &Event, workspace: &Path, _home: &Path, _run: &Path) -> BTreeMap<String, String> {
        let mut vars = owned(&[
            ("CI", "true"),
            ("BITBUCKET_BUILD_NUMBER", "12"),
            ("BITBUCKET_GIT_HTTP_ORIGIN", "http://bitbucket.org/shop/release"),
            ("BITBUCKET_REPO_FULL_NAME", "shop/release"),
            ("BITBUCKET_STEP_TRIGGERER_UUID", "{0d0b6c1e-6d3f-4e8f-9d5b-1c2a3b4c5d6e}"),
        ]);
        vars.insert("BITBUCKET_CLONE_DIR".into(), path(workspace).into());
        match event {
            Event::Push { branch, commit } => {
                vars.insert("BITBUCKET_BRANCH".into(), branch.clone());
                vars.insert("BITBUCKET_COMMIT".into(), commit.clone());
            }
            Event::PullRequest { target, source, head } => {
                vars.insert("BITBUCKET_BRANCH".into(), source.clone());
                vars.insert("BITBUCKET_COMMIT".into(), head.clone());
                vars.insert("BITBUCKET_PR_ID".into(), "7".into());
                vars.insert("BITBUCKET_PR_DESTINATION_BRANCH".into(), target.clone());
            }
            Event::Dispatch { .. } => unreachable!("Bitbucket starts no job for a dispatch here"),
        }
        vars
    }
}

/// A Jenkins multibranch pipeline: stages in order, `when` with `changeRequest` and `branch`
/// patterns, `sh` steps (a script starting with `#!` runs with that interpreter, others with
/// `sh -xe`), stages after a failed one skipped. Read from the declarative file's text.
struct Jenkins;

impl Jenkins {
    /// The single-quoted Groovy strings `sh '''...'''` of a block, in order.
    fn sh_steps(block: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = block;
        while let Some(at) = rest.find("sh '''") {
            let body = &rest[at + 6..];
            let end = body.find("'''").expect("a closed sh string");
            assert!(!body[..end].contains('\\'), "no Groovy escape in a script");
            out.push(body[..end].to_owned());
            rest = &body[end + 3..];
        }
        out
    }

    /// The body of the block that opens at `open` (the index of its `{`).
    fn block(text: &str, open: usize) -> &str {
        let mut depth = 0;
        let mut in_string = false;
        let bytes = text.as_bytes();
        let mut i = open;
        while i < bytes.len() {
            if text[i..].starts_with("'''") {
                in_string = !in_string;
                i += 3;
                continue;
            }
            if !in_string {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return &text[open + 1..i];
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        panic!("an unclosed block")
    }

    /// The leaf stages (with `steps`) in order, with the `when` of each and of its parents.
    fn stages(text: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
        let mut out = Vec::new();
        let mut rest = 0;
        while let Some(at) = text[rest..].find("stage('") {
            let start = rest + at + 7;
            let name_end = start + text[start..].find('\'').expect("a stage name");
            let open = name_end + text[name_end..].find('{').expect("a stage body");
            let body = Jenkins::block(text, open);
            let when = body.find("when {").map(|w| Jenkins::block(body, w + 5).to_owned());
            if body.contains("stages {") {
                // A parent: its `when` applies to every stage inside.
                for (name, mut whens, steps) in Jenkins::stages(body) {
                    whens.extend(when.clone());
                    out.push((name, whens, steps));
                }
            } else {
                out.push((text[start..name_end].to_owned(), when.into_iter().collect(), Jenkins::sh_steps(body)));
            }
            rest = open + body.len() + 2;
        }
        out
    }

    fn allows(when: &str, vars: &BTreeMap<String, String>) -> bool {
        let pattern = |key: &str| {
            let at = when.find(key)? + key.len();
            let end = when[at..].find('\'')?;
            Some(regex_lite::Regex::new(&format!("^(?:{})$", &when[at..at + end])).expect("a pattern"))
        };
        let pr = vars.contains_key("CHANGE_ID");
        // The events here are pushes and change requests, never the timer.
        let compact =
            when.split_whitespace().collect::<Vec<_>>().join(" ").replace(" not { triggeredBy 'TimerTrigger' }", "");
        if compact.starts_with("changeRequest target: '") && compact.ends_with("comparator: 'REGEXP'") {
            let target = pattern("target: '").expect("a target pattern");
            return pr && target.is_match(&vars["CHANGE_TARGET"]);
        }
        if let Some(inner) =
            compact.strip_prefix("anyOf { triggeredBy 'TimerTrigger' ").and_then(|c| c.strip_suffix(" }"))
        {
            return Jenkins::allows(inner, vars);
        }
        if compact.starts_with("allOf { not { changeRequest() } branch pattern: '")
            && compact.ends_with("comparator: 'REGEXP' }")
        {
            let branch = pattern("pattern: '").expect("a branch pattern");
            return !pr && branch.is_match(&vars["BRANCH_NAME"]);
        }
        panic!("the Jenkins runner here does not understand `when {{{when}}}`")
    }
}

impl System for Jenkins {
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job> {
        if matches!(event, Event::Dispatch { .. }) {
            return Vec::new();
        }
        let vars = self.variables(event, Path::new("/nowhere"), Path::new("/nowhere"), Path::new("/nowhere"));
        let agent = format!("agent {{\n    docker {{ image '{}' }}\n  }}", image());
        assert!(text.contains(&agent), "the stages run in git-release's image");
        let env = Vec::new();
        let mut steps = vec![Step::Checkout];
        for (name, whens, scripts) in Jenkins::stages(text) {
            if !whens.iter().all(|w| Jenkins::allows(w, &vars)) {
                continue;
            }
            for script in scripts {
                let shell: &[&str] = if script.starts_with("#!/bin/bash") { &["bash"] } else { &["sh", "-xe"] };
                steps.push(script_step(&name, shell, &script, Vec::new(), None));
            }
        }
        vec![Job { name: "build".into(), env, steps, condition: None }]
    }

    fn variables(&self, event: &Event, workspace: &Path, _home: &Path, _run: &Path) -> BTreeMap<String, String> {
        let mut vars = owned(&[
            ("JENKINS_URL", "https://ci.example.com/"),
            ("BUILD_URL", "https://ci.example.com/job/release/3/"),
            ("BUILD_NUMBER", "3"),
        ]);
        vars.insert("WORKSPACE".into(), path(workspace).into());
        match event {
            Event::Push { branch, commit } => {
                vars.insert("BRANCH_NAME".into(), branch.clone());
                vars.insert("GIT_BRANCH".into(), branch.clone());
                vars.insert("GIT_COMMIT".into(), commit.clone());
            }
            Event::PullRequest { target, source, head } => {
                vars.insert("BRANCH_NAME".into(), "PR-7".into());
                vars.insert("GIT_BRANCH".into(), "PR-7".into());
                vars.insert("CHANGE_ID".into(), "7".into());
                vars.insert("CHANGE_TARGET".into(), target.clone());
                vars.insert("CHANGE_BRANCH".into(), source.clone());
                vars.insert("GIT_COMMIT".into(), head.clone());
            }
            Event::Dispatch { .. } => unreachable!("Jenkins starts no job for a dispatch here"),
        }
        vars
    }
}

/// Tekton Pipelines-as-Code: the `PipelineRun` whose `on-event` and `on-target-branch` match,
/// its `{{ }}` parameters replaced in the file's text (as Pipelines-as-Code does before Tekton
/// reads it), `$(params.…)` and `$(workspaces.…)` resolved in the step variables, the
/// `stepTemplate` under each step, scripts run by their `#!` line, and the steps after a failed
/// one skipped. The steps clone for themselves.
struct Tekton {
    remote: PathBuf,
}

impl Tekton {
    fn pac(text: &str, event: &Event, remote: &Path) -> String {
        let (revision, source, target) = match event {
            Event::Push { branch, commit } | Event::Dispatch { branch, commit, .. } => (commit, branch, branch),
            Event::PullRequest { target, source, head } => (head, source, target),
        };
        text.replace("{{ repo_url }}", path(remote))
            .replace("{{ revision }}", revision)
            .replace("{{ source_branch }}", &source.replace('"', "\\\""))
            .replace("{{ target_branch }}", target)
            .replace("{{ git_auth_secret }}", "pac-git-basic-auth-shop-release")
    }
}

impl System for Tekton {
    fn jobs(&self, text: &str, event: &Event) -> Vec<Job> {
        let (kind, branch) = match event {
            Event::Push { branch, .. } => ("[push]", branch),
            Event::PullRequest { target, .. } => ("[pull_request]", target),
            Event::Dispatch { .. } => return Vec::new(),
        };
        let mut jobs = Vec::new();
        for doc in yaml(&Tekton::pac(text, event, &self.remote)) {
            if doc["kind"].as_str() != Some("PipelineRun") {
                // The reconciler's StatefulSet, which Kubernetes runs, not Pipelines-as-Code.
                continue;
            }
            let annotations = &doc["metadata"]["annotations"];
            let targets = annotations["pipelinesascode.tekton.dev/on-target-branch"].as_str().expect("targets");
            let targets: Vec<&str> = targets.trim_matches(['[', ']']).split(',').map(str::trim).collect();
            if annotations["pipelinesascode.tekton.dev/on-event"].as_str() != Some(kind)
                || !targets.contains(&branch.as_str())
            {
                continue;
            }
            let run_params: BTreeMap<String, String> = doc["spec"]["params"]
                .as_vec()
                .expect("params")
                .iter()
                .map(|p| (scalar(&p["name"]), scalar(&p["value"])))
                .collect();
            assert_eq!(run_params["image"], image(), "the steps run in git-release's image");
            for task in doc["spec"]["pipelineSpec"]["tasks"].as_vec().expect("tasks") {
                let resolve = |value: &str| {
                    let mut value = value.to_owned();
                    for (name, given) in &run_params {
                        value = value.replace(&format!("$(params.{name})"), given);
                    }
                    value
                        .replace("$(workspaces.basic-auth.path)", "/tekton-auth")
                        .replace("$(workspaces.source.path)", ".")
                };
                let spec = &task["taskSpec"];
                let template_env: Vec<(String, String)> = spec["stepTemplate"]["env"]
                    .as_vec()
                    .map(|env| env.iter().map(|e| (scalar(&e["name"]), resolve(&scalar(&e["value"])))).collect())
                    .unwrap_or_default();
                let mut steps = Vec::new();
                for step in spec["steps"].as_vec().expect("steps") {
                    let script = step["script"].as_str().expect("a script");
                    assert!(script.starts_with("#!/usr/bin/env bash\n"), "a step says its shell");
                    assert!(!script.contains("$(params.") && !script.contains("{{"), "nothing is pasted into a script");
                    let mut env = template_env.clone();
                    if let Some(own) = step["env"].as_vec() {
                        env.extend(own.iter().map(|e| (scalar(&e["name"]), resolve(&scalar(&e["value"])))));
                    }
                    steps.push(script_step(&scalar(&step["name"]), &["bash"], script, env, None));
                }
                jobs.push(Job { name: scalar(&task["name"]), env: Vec::new(), steps, condition: None });
            }
        }
        jobs
    }

    fn variables(&self, _event: &Event, _workspace: &Path, _home: &Path, run: &Path) -> BTreeMap<String, String> {
        [
            ("TEKTON_AUTH".to_owned(), path(&run.join("tekton-auth")).to_owned()),
            ("TEKTON_HOME".to_owned(), path(&run.join("home")).to_owned()),
        ]
        .into()
    }

    fn provision(&self, _workspace: &Path, _home: &Path, run: &Path) {
        // The git-auth secret Pipelines-as-Code mounts: a store helper and its credentials.
        let auth = run.join("tekton-auth");
        std::fs::create_dir_all(&auth).expect("auth dir");
        std::fs::write(
            auth.join(".gitconfig"),
            "[credential]\n\thelper = store\n[protocol \"file\"]\n\tallow = always\n",
        )
        .expect("gitconfig");
        std::fs::write(auth.join(".git-credentials"), "https://git:pac-token@git.example.com\n").expect("credentials");
        Ci::image_at(&run.join("image"));
    }

    fn merges_pull_requests(&self) -> bool {
        false
    }

    fn expand(&self, value: &str, _state: &State, vars: &BTreeMap<String, String>) -> String {
        value
            .replace("/tekton-auth", vars.get("TEKTON_AUTH").map_or("/tekton-auth", String::as_str))
            .replace("/tekton/home", vars.get("TEKTON_HOME").map_or("/tekton/home", String::as_str))
    }
}

/// GitLab CI, run by gitlab-ci-local (npm, pinned in tests/ci-tools) with its shell executor:
/// GitLab's own rules, stages, `before_script`, variables and job scripts, in a clone checked
/// out as GitLab's runner checks it out. The project is served over HTTP (git http-backend
/// behind lighttpd, Basic authentication) at the address the template points `origin` at, so the
/// template's credential helper is what lets git in: the job token as `gitlab-ci-token` in every
/// pipeline, and `RELEASE_TOKEN` (a protected variable) as `oauth2` in push pipelines only.
struct Gitlab {
    server: crate::http_push::Lighttpd,
}

const JOB_TOKEN: &str = "glcbt-job-token-0123";
const RELEASE_TOKEN: &str = "glpat-release-token-4567";

impl Gitlab {
    /// Serves the stage's remote as `shop/release` on GitLab's address for it.
    fn serving(stage: &Stage) -> Gitlab {
        let root = stage.world.path("gitlab");
        let server = crate::http_push::Lighttpd::start_for(
            stage.world,
            &root,
            &[("gitlab-ci-token", JOB_TOKEN), ("oauth2", RELEASE_TOKEN)],
        );
        std::fs::create_dir_all(root.join("repos/shop")).expect("a group folder");
        std::os::unix::fs::symlink(&stage.remote, root.join("repos/shop/release.git")).expect("the project is served");
        stage.world.git(&stage.remote, &["config", "http.receivepack", "true"]);
        Gitlab { server }
    }
}

impl Pipeline for Gitlab {
    fn run(&self, ci: &Ci, texts: &[String], event: &Event) -> Run {
        let world = ci.world;
        let run = ci.fresh("gitlab");
        let home = run.join("home");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join(".gitconfig"), "").expect("gitconfig");
        let workspace = run.join("workspace");
        world.git(&run, &["clone", "-q", "--no-checkout", path(&ci.remote), path(&workspace)]);
        let git = |args: &[&str]| world.git(&workspace, args);
        let server = self.server.url("").trim_end_matches('/').to_owned();
        let mut args: Vec<String> = vec!["--no-json-schema-validation".into()];
        let mut set = |key: &str, value: &str| args.extend(["--variable".to_owned(), format!("{key}={value}")]);
        set("CI_SERVER_URL", &server);
        set("CI_PROJECT_PATH", "shop/release");
        set("CI_JOB_TOKEN", JOB_TOKEN);
        match event {
            Event::Push { branch, commit } => {
                git(&["checkout", "-q", "-B", branch, commit]);
                set("CI_PIPELINE_SOURCE", "push");
                set("CI_COMMIT_BRANCH", branch);
                set("CI_COMMIT_REF_NAME", branch);
                set("RELEASE_TOKEN", RELEASE_TOKEN);
            }
            Event::Dispatch { branch, commit, inputs } => {
                git(&["checkout", "-q", "-B", branch, commit]);
                set("CI_PIPELINE_SOURCE", "trigger");
                set("CI_COMMIT_BRANCH", branch);
                set("RELEASE_TOKEN", RELEASE_TOKEN);
                for (name, value) in inputs {
                    set(name, value);
                }
            }
            Event::PullRequest { target, source, head } => {
                git(&["fetch", "-q", "origin", head]);
                git(&["checkout", "-q", "--detach", head]);
                set("CI_PIPELINE_SOURCE", "merge_request_event");
                set("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", target);
                set("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", source);
                set("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", head);
                set("CI_MERGE_REQUEST_PROJECT_PATH", "shop/release");
                set("CI_MERGE_REQUEST_IID", "7");
                set("CI_COMMIT_REF_NAME", source);
                args.extend(["--unset-variable".to_owned(), "CI_COMMIT_BRANCH".to_owned()]);
            }
        }
        std::fs::write(workspace.join(".gitlab-ci.yml"), &texts[0]).expect("the pipeline");
        // The shell executor instead of the image, which holds git-release: here, PATH does.
        std::fs::write(workspace.join(".gitlab-ci-local.yml"), ".git-release:\n  image: null\n").expect("override");
        ci.stand_in(&workspace);
        Ci::image_at(&run.join("image"));
        let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ci-tools/node_modules/.bin/gitlab-ci-local");
        assert!(tool.exists(), "{} is missing: run ./test.sh once", tool.display());
        let mut command = std::process::Command::new(tool);
        command.args(&args).current_dir(&workspace);
        Ci::seal(&mut command, &[&run.join("image").join("bin")], &home, &home.join(".gitconfig"));
        let output = command.output().expect("gitlab-ci-local runs");
        let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        let jobs = ["gate", "deploy", "reconcile", "preview"]
            .into_iter()
            .filter(|job| log.lines().any(|l| l.starts_with(&format!("{job} ")) && l.contains("starting")))
            .map(|job| (job.to_owned(), output.status.success()))
            .collect();
        assert!(!log.contains(JOB_TOKEN) && !log.contains(RELEASE_TOKEN), "a token showed:\n{log}");
        Run { jobs, log }
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
    fn two_repositories(world: &'w World, system: &str) -> (Stage<'w>, Vec<String>) {
        let repos = crate::deploy::TwoRepos::new(world);
        world.release(&repos.release, &["init", "--ci", system]).expect_status(0);
        let text = pipeline_files(&repos.release, system);
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
    fn one_repository(world: &'w World, system: &str) -> (Stage<'w>, Vec<String>) {
        let remote = world.empty_repo("shop.git", true);
        let work = world.empty_repo("shop", false);
        world.git(&work, &["remote", "add", "origin", path(&remote)]);
        world
            .release(&work, &["init", "--app", ".", "--env", "qa=qa", "--env", "stage=stage", "--env", "prod=main"])
            .expect_status(0);
        world.git(&work, &["push", "-q", "origin", "qa", "stage", "main"]);
        world.release(&work, &["init", "--ci", system]).expect_status(0);
        let text = pipeline_files(&work, system);
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

/// The files `init --ci` wrote for `system` into `work`, as the system reads them.
fn pipeline_files(work: &Path, system: &str) -> Vec<String> {
    let system = <git_release::config::pipeline::System as clap::ValueEnum>::from_str(system, true).expect("a system");
    system
        .files()
        .iter()
        .map(|(path, _)| std::fs::read_to_string(work.join(path)).expect("init --ci wrote it"))
        .collect()
}

/// The four cases of the issue for one system and layout: refused, allowed, deployed and
/// recorded as prepared, and a failed deployment recorded nowhere; then a branch named like a
/// command, which runs nothing.
fn the_flow_holds(system: &dyn Pipeline, stage: &Stage, text: &[String]) {
    let world = stage.world;
    let ci = Ci::new(world, &stage.remote);
    let [middle, last] = [&stage.branches[1], &stage.branches[2]];
    let qa_env = if stage.app.is_some() { "qa" } else { "stage" };

    // The middle environment runs a version the last has not: a promotion it never deployed.
    stage.set(qa_env, "1.1.0");
    let promotion = Event::PullRequest { target: last.clone(), source: middle.clone(), head: stage.tip(middle) };
    let refused = system.run(&ci, text, &promotion);
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
    let deployed = system.run(&ci, text, &push);
    assert!(deployed.succeeded(), "{middle}'s push pipeline deploys:\n{}", deployed.log);
    write_script(&ci.meanwhile, "#!/bin/sh\n");
    let records = stage.records(&format!(".{qa_env}"));
    assert_eq!(records.len(), 1, "one record of {qa_env}: {records:?}\n{}", deployed.log);
    assert_eq!(ci.deployments(), [records[0].1.clone()], "the record names the commit deployed");

    // Now the gate lets the promotion in (in one repository, of the commit deployed, as the
    // pull request stood before the commit that landed meanwhile).
    let head = if stage.app.is_some() { stage.tip(middle) } else { records[0].1.clone() };
    let promotion = Event::PullRequest { target: last.clone(), source: middle.clone(), head };
    let allowed = system.run(&ci, text, &promotion);
    assert!(allowed.succeeded(), "the gate allows what {middle} deployed:\n{}", allowed.log);

    // Merged, the last environment's push pipeline releases it and records that.
    stage.merge(middle, last);
    let released = system.run(&ci, text, &Event::Push { branch: last.clone(), commit: stage.tip(last) });
    assert!(released.succeeded(), "{last}'s push pipeline deploys:\n{}", released.log);
    assert_eq!(stage.records(".prod").len(), 1, "one record of prod:\n{}", released.log);

    // A deployment that fails records nothing.
    std::fs::write(&ci.fail_switch, "").expect("switch");
    stage.set(qa_env, "1.2.0");
    let failing = system.run(&ci, text, &Event::Push { branch: middle.clone(), commit: stage.tip(middle) });
    assert!(failing.failed(), "the pipeline fails with its deployment:\n{}", failing.log);
    assert_eq!(stage.records(&format!(".{qa_env}")).len(), 1, "no record of a failed deployment:\n{}", failing.log);
    std::fs::remove_file(&ci.fail_switch).expect("switch");

    // Branches named like commands, in a pull request and pushed: nothing runs them. (git
    // takes no space in a branch name; a CI variable may hold one all the same.)
    let evil = "environment/x$(touch${IFS}pwned)";
    world.git(&stage.remote, &["branch", "-f", evil, &stage.tip(last)]);
    for source in [evil, "environment/x$(touch pwned)", "environment/x`touch pwned`"] {
        let into_last = Event::PullRequest { target: last.clone(), source: source.into(), head: stage.tip(last) };
        let gate = system.run(&ci, text, &into_last);
        assert!(!gate.jobs.is_empty(), "a pull request into {last} runs the gate");
    }
    system.run(&ci, text, &Event::Push { branch: evil.into(), commit: stage.tip(last) });
    let found =
        std::process::Command::new("find").args([path(&world.path("")), "-name", "pwned"]).output().expect("find runs");
    assert!(found.stdout.is_empty(), "a branch name ran a command: {}", String::from_utf8_lossy(&found.stdout));
}

/// The flow in the release-management layout, then in one repository whose qa, stage and main
/// are the environments, each with the pipeline `init --ci` wrote for it.
fn in_both_layouts(name: &str, system: impl Fn(&Stage) -> Box<dyn Pipeline>, names_branches: &str) {
    let world = World::new();
    let (stage, text) = Stage::two_repositories(&world, name);
    the_flow_holds(system(&stage).as_ref(), &stage, &text);
    let world = World::new();
    let (stage, text) = Stage::one_repository(&world, name);
    assert!(text.concat().contains(names_branches), "the triggers name qa, stage and main:\n{text:?}");
    the_flow_holds(system(&stage).as_ref(), &stage, &text);
}

#[test]
fn github_actions_runs_the_flow_in_both_layouts() {
    in_both_layouts("github", |_| Box::new(Github), "branches: [\"qa\", \"stage\", \"main\"]");
}

#[test]
fn azure_pipelines_runs_the_flow_in_both_layouts() {
    in_both_layouts("azure", |_| Box::new(Azure), "include: [\"qa\", \"stage\", \"main\"]");
}

#[test]
fn bitbucket_pipelines_runs_the_flow_in_both_layouts() {
    in_both_layouts("bitbucket", |_| Box::new(Bitbucket), "    \"main\":\n      - step: *deploy");
}

#[test]
fn jenkins_runs_the_flow_in_both_layouts() {
    in_both_layouts("jenkins", |_| Box::new(Jenkins), "target: '^(qa|stage|main)$'");
}

#[test]
fn gitlab_ci_runs_the_flow_in_both_layouts_under_gitlab_ci_local() {
    in_both_layouts(
        "gitlab",
        |stage| Box::new(Gitlab::serving(stage)),
        "$CI_COMMIT_BRANCH == \"qa\" || $CI_COMMIT_BRANCH == \"stage\" || $CI_COMMIT_BRANCH == \"main\"",
    );
}

#[test]
fn tekton_runs_the_flow_in_both_layouts() {
    in_both_layouts(
        "tekton",
        |stage| Box::new(Tekton { remote: stage.remote.clone() }),
        "on-target-branch: \"[qa, stage, main]\"",
    );
}

fn preview_template(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/preview").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the step of the Tekton Triggers template's `TriggerTemplate` as Tekton would for an HTTP
/// request with `body`: the binding's `$(body)` as the `request` parameter, every
/// `$(tt.params.…)` and the workspace resolved in the step's variables, its script by its `#!`.
fn tekton_trigger(ci: &Ci, stage: &Stage, body: &str) -> Run {
    let docs = yaml(&preview_template("tekton-triggers.yaml"));
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().expect("a kind")).collect();
    assert_eq!(kinds, ["EventListener", "TriggerBinding", "TriggerTemplate"]);
    let trigger = &docs[0]["spec"]["triggers"][0];
    assert_eq!(trigger["bindings"][0]["ref"].as_str(), docs[1]["metadata"]["name"].as_str());
    assert_eq!(trigger["template"]["ref"].as_str(), docs[2]["metadata"]["name"].as_str());
    assert_eq!(docs[1]["spec"]["params"][0]["name"].as_str(), Some("request"));
    assert_eq!(docs[1]["spec"]["params"][0]["value"].as_str(), Some("$(body)"));
    let template = &docs[2]["spec"];
    let mut params: BTreeMap<String, String> = template["params"]
        .as_vec()
        .expect("params")
        .iter()
        .map(|p| (scalar(&p["name"]), p["default"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(params["image"], image(), "the step runs in git-release's image");
    params.insert("request".into(), body.into());
    params.insert("repo_url".into(), path(&stage.remote).into());
    let step = &template["resourcetemplates"][0]["spec"]["taskSpec"]["steps"][0];
    let script = step["script"].as_str().expect("a script");
    assert!(!script.contains("$(") || !script.contains("$(tt."), "nothing is pasted into the script");
    let env = step["env"]
        .as_vec()
        .expect("env")
        .iter()
        .map(|e| {
            let mut value = scalar(&e["value"]);
            for (name, given) in &params {
                value = value.replace(&format!("$(tt.params.{name})"), given);
            }
            (scalar(&e["name"]), value.replace("$(workspaces.basic-auth.path)", "/tekton-auth"))
        })
        .collect();
    let job = Job {
        name: "preview".into(),
        env,
        steps: vec![script_step("preview", &["bash"], script, Vec::new(), None)],
        condition: None,
    };
    let tekton = Tekton { remote: stage.remote.clone() };
    let run = ci.fresh("tekton-trigger");
    let home = run.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let workspace = run.join("workspace");
    std::fs::create_dir_all(&workspace).expect("workspace");
    let event = Event::Dispatch { branch: String::new(), commit: String::new(), inputs: Vec::new() };
    let vars = tekton.variables(&event, &workspace, &home, &run);
    tekton.provision(&workspace, &home, &run);
    let mut log = String::new();
    let ok = ci.run_job(&tekton, &job, &workspace, &home, &vars, &mut log);
    Run { jobs: vec![("preview".into(), ok)], log }
}

/// A preview from a webhook's JSON, on each system's way in: GitHub's `workflow_dispatch`,
/// GitLab's pipeline trigger (under gitlab-ci-local) and Tekton Triggers. Each creates or finds
/// the same preview and names it; a request whose name is a command runs nothing.
#[test]
fn previews_start_from_a_webhook_on_github_gitlab_and_tekton() {
    let world = World::new();
    let repos = crate::deploy::TwoRepos::new(&world);
    crate::preview::git_url(&world, &repos.release);
    let pinned = crate::preview::pull_request(&world, &repos);
    crate::preview::app_as_owner_repo(&world, &repos);
    let stage = Stage {
        world: &world,
        work: repos.release.clone(),
        remote: repos.release_remote.clone(),
        branches: ["environment/dev", "environment/qa", "environment/prod"].map(str::to_owned),
        app: Some(repos),
    };
    let ci = Ci::new(&world, &stage.remote);
    let body = r#"{"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}"#;
    let dev = stage.tip("environment/dev");
    let dispatch = |name: &str, request: &str| Event::Dispatch {
        branch: "environment/dev".into(),
        commit: dev.clone(),
        inputs: vec![(name.to_owned(), request.to_owned())],
    };

    let github = Github.run(&ci, &[preview_template("github-workflow.yml")], &dispatch("request", body));
    assert!(github.succeeded(), "{}", github.log);
    let previews =
        world.git(&stage.remote, &["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/preview/"]);
    let (branch, _) = previews.trim().split_once(' ').expect("one preview branch");
    let name = branch.strip_prefix("preview/").expect("a preview").to_owned();
    assert!(name.starts_with("test-my-thing-") && name.len() == "test-my-thing-".len() + 6, "{name}");
    assert!(github.log.contains(&format!("\"name\": \"{name}\"")), "the log names it:\n{}", github.log);
    let file = world.git(&stage.remote, &["show", &format!("{branch}:release.toml")]);
    assert!(file.contains(&format!("commit = \"{pinned}\"")), "{file}");

    let gitlab = Gitlab::serving(&stage);
    let (_, pipeline) = git_release::config::pipeline::render(
        git_release::config::pipeline::System::Gitlab,
        &["environment/dev", "environment/qa", "environment/prod"],
        &git_release::config::pipeline::Install::this_build(),
    )
    .expect("safe")
    .remove(0);
    let merged = format!("{pipeline}\n{}", preview_template("gitlab-ci.yml"));
    let triggered = gitlab.run(&ci, std::slice::from_ref(&merged), &dispatch("PREVIEW_REQUEST", body));
    assert!(triggered.succeeded() && triggered.jobs.iter().any(|(j, _)| j == "preview"), "{}", triggered.log);
    assert!(triggered.log.contains(&format!("\"name\": \"{name}\"")) && triggered.log.contains("\"created\": false"));

    let tekton = tekton_trigger(&ci, &stage, body);
    assert!(tekton.succeeded(), "{}", tekton.log);
    assert!(tekton.log.contains(&format!("\"name\": \"{name}\"")), "{}", tekton.log);

    // A request that holds commands: refused, run nowhere.
    let evil =
        r#"{"name": "x$(touch pwned)`touch pwned`", "components": {"owner/repo": "owner/repo#42'$(touch pwned)'"}}"#;
    assert!(Github.run(&ci, &[preview_template("github-workflow.yml")], &dispatch("request", evil)).failed());
    assert!(gitlab.run(&ci, &[merged], &dispatch("PREVIEW_REQUEST", evil)).failed());
    assert!(!tekton_trigger(&ci, &stage, evil).succeeded());
    let found =
        std::process::Command::new("find").args([path(&world.path("")), "-name", "pwned"]).output().expect("find");
    assert!(found.stdout.is_empty(), "a request ran a command: {}", String::from_utf8_lossy(&found.stdout));
    let after =
        world.git(&stage.remote, &["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/preview/"]);
    assert_eq!(after, previews, "one preview, made once");
}

/// The reconciler beside Tekton: a `StatefulSet` of one replica (at most one pod at a time), in
/// git-release's image, running its container's command as the container would (its mounts at folders of the
/// test, a time limit standing in for the pod's life): a round runs, and another waits its turn.
/// Without `REPO_URL` it refuses to start, saying what to set.
#[test]
fn tekton_reconcile_statefulset_runs_rounds_and_never_two_at_once() {
    let world = World::new();
    let (stage, texts) = Stage::two_repositories(&world, "tekton");
    let docs = yaml(&texts[1]);
    let deployment = &docs[0];
    assert_eq!(deployment["kind"].as_str(), Some("StatefulSet"), "at most one pod of it at a time");
    assert_eq!(deployment["spec"]["replicas"].as_i64(), Some(1));
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"].as_str(), Some(image().as_str()));
    let command = strings(&container["command"]);
    assert_eq!(command[..2], ["bash", "-c"]);
    let mounts = world.path("pod");
    let (auth, work) = (mounts.join("auth"), mounts.join("work"));
    std::fs::create_dir_all(&auth).expect("auth");
    std::fs::create_dir_all(&work).expect("work");
    std::fs::write(auth.join(".git-credentials"), "https://git:token@git.example.com\n").expect("credentials");
    let script = command[2].replace("/auth/", &format!("{}/", auth.display())).replace("/work", path(&work));
    let image_bin = mounts.join("image");
    Ci::image_at(&image_bin);
    let run = |repo_url: &str| {
        let mut command = std::process::Command::new("timeout");
        command.args(["10", "bash", "-c", &script]);
        Ci::seal(&mut command, &[&image_bin.join("bin")], &work.join("home"), &work.join("gitconfig"));
        command.env("REPO_URL", repo_url).env("GITHUB_TOKEN", "forge-token");
        command.output().expect("the container's command runs")
    };
    let unset = run("");
    assert_eq!(unset.status.code(), Some(1), "{unset:?}");
    assert!(String::from_utf8_lossy(&unset.stderr).contains("set REPO_URL to the address of the release repository"));
    let watching = run(path(&stage.remote));
    let said = format!("{}{}", String::from_utf8_lossy(&watching.stdout), String::from_utf8_lossy(&watching.stderr));
    assert_eq!(watching.status.code(), Some(124), "it keeps watching until stopped:\n{said}");
    assert!(said.contains("nothing to reconcile"), "a round ran:\n{said}");
}
