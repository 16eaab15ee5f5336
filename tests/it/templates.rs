//! The CI templates: each parses, each `git release` invocation in it names a real command with
//! real flags, and `init --ci` writes it where its system reads it.

use std::path::Path;

use crate::harness::World;

const TEMPLATES: [(&str, &str, &str); 6] = [
    ("github", "github.yml", ".github/workflows/release.yml"),
    ("gitlab", "gitlab.yml", ".gitlab-ci.yml"),
    ("azure", "azure.yml", "azure-pipelines.yml"),
    ("bitbucket", "bitbucket.yml", "bitbucket-pipelines.yml"),
    ("jenkins", "Jenkinsfile", "Jenkinsfile"),
    ("tekton", "tekton.yaml", ".tekton/release.yaml"),
];

fn template(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/ci").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
    for (system, file, _) in TEMPLATES {
        let text = template(file);
        if file == "Jenkinsfile" {
            assert_eq!(text.matches('{').count(), text.matches('}').count(), "{file}: braces balance");
        } else {
            let documents = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!documents.is_empty(), "{file} holds YAML");
        }
        let calls = invocations(&text);
        let commands: Vec<&str> = calls.iter().filter_map(|c| c.first().map(String::as_str)).collect();
        assert_eq!(
            commands,
            ["gate", "prepare", "record"],
            "{system}: gate on pull requests, prepare and record on pushes"
        );
        for call in &calls {
            let argv = std::iter::once("git-release".to_owned()).chain(call.iter().cloned());
            if let Err(error) = git_release::cli::command().try_get_matches_from(argv) {
                panic!("{file}: `git release {}` is not a valid command line:\n{error}", call.join(" "));
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
    for (system, file, path) in TEMPLATES {
        let world = World::new();
        let repo = world.repo("shop");
        world.release(&repo, &["init", "--ci", system]).expect_status(0).expect_stderr("wrote ");
        assert_eq!(std::fs::read_to_string(repo.join(path)).expect("written"), template(file), "{system}");
        let again = world.release(&repo, &["init", "--ci", system]);
        again.expect_status(1).expect_stderr(&format!("{path} exists already; it was left as it is"));
        assert_eq!(std::fs::read_to_string(repo.join(path)).expect("kept"), template(file));
    }
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
    assert_eq!(inputs["issue"], "{{issue.key}}");

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
