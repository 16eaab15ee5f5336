//! Environments described for their pipelines: `variables` and shared `[variable-sets]`,
//! printed by `prepare` as `key=value` lines and in JSON.

use crate::deploy::path;
use crate::harness::World;

const FILE: &str = r#"version = "1.0.0"

[app]
repo = "."

[variable-sets.prod]
cluster = "prod-1"
api_url = "https://api.example.com/v1?a=1&b=$HOME"

[[environments]]
name = "prod-eu"
branch = "prod-eu"
variable-sets = ["prod"]
variables = { region = "eu-west-1" }

[[environments]]
name = "prod-us"
branch = "prod-us"
variable-sets = ["prod"]

[environments.variables]
region = "us-east-1"
cluster = "prod-2"
"#;

/// Every line a `$GITHUB_OUTPUT` or dotenv file receives: `name=value`, each name once.
fn output_lines(stdout: &str) -> Vec<(&str, &str)> {
    let lines: Vec<(&str, &str)> =
        stdout.lines().map(|line| line.split_once('=').unwrap_or_else(|| panic!("not key=value: {line}"))).collect();
    for (name, _) in &lines {
        let identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        assert!(identifier, "{name} is no identifier in:\n{stdout}");
        assert_eq!(lines.iter().filter(|(other, _)| other == name).count(), 1, "{name} twice in:\n{stdout}");
    }
    lines
}

#[test]
fn prepare_prints_the_variables_of_the_environments_own_branch_with_the_sets_it_shares() {
    let world = World::new();
    let remote = world.empty_repo("infra.git", true);
    let repo = world.repo("infra");
    world.git(&repo, &["remote", "add", "origin", path(&remote)]);
    world.commit_release_file(&repo, "prod-eu", FILE.as_bytes());
    world.git(&repo, &["branch", "prod-us"]);
    // Only prod-us's branch moves its region: that branch is what its pipeline deploys.
    world.git(&repo, &["checkout", "-q", "prod-us"]);
    std::fs::write(repo.join("release.toml"), FILE.replace("us-east-1", "us-west-2")).expect("writes");
    world.git(&repo, &["commit", "-q", "-am", "Move prod-us to us-west-2"]);
    world.git(&repo, &["checkout", "-q", "prod-eu"]);
    world.git(&repo, &["push", "-q", "origin", "prod-eu", "prod-us"]);

    let eu = world.release(&repo, &["prepare", "prod-eu"]);
    eu.expect_status(0);
    let lines = output_lines(&eu.stdout);
    assert!(lines.contains(&("region", "eu-west-1")), "{eu}");
    assert!(lines.contains(&("cluster", "prod-1")), "{eu}");
    assert!(lines.contains(&("api_url", "https://api.example.com/v1?a=1&b=$HOME")), "{eu}");
    assert!(lines.contains(&("environment", "prod-eu")), "{eu}");

    // Run from prod-eu's checkout, prod-us still reads its own branch; its own value beats the set's.
    let us = world.release(&repo, &["prepare", "prod-us", "--json"]);
    us.expect_status(0);
    let variables = &us.json()["variables"];
    assert_eq!(variables["region"], "us-west-2", "{us}");
    assert_eq!(variables["cluster"], "prod-2", "{us}");
    assert_eq!(variables["api_url"], "https://api.example.com/v1?a=1&b=$HOME", "{us}");
    assert_eq!(variables.as_object().map(serde_json::Map::len), Some(3), "{us}");
}

#[test]
fn prepare_without_variables_prints_an_empty_map() {
    let world = World::new();
    let (repo, _) = crate::deploy::one_repo(&world);
    let prepared = world.release(&repo, &["prepare", "dev", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["variables"], serde_json::json!({}), "{prepared}");
}

#[test]
fn unsafe_variable_names_and_values_and_unknown_sets_are_refused_each_with_its_line() {
    let world = World::new();
    let repo = world.repo("infra");
    let file = r#"version = "1.0.0"

[app]
repo = "."

[variable-sets."Prod EU"]
ok = "fine"

[[environments]]
name = "qa"
branch = "qa"
variable-sets = ["prod"]
variables = { "api-url" = "x", version = "2", commit_api = "x", note = "one\ntwo", tab = "a\tb" }
"#;
    world.commit_release_file(&repo, "qa", file.as_bytes());
    let before = world.state(&repo);
    let refused = world.release(&repo, &["prepare", "qa"]);
    refused.expect_status(2);
    for (line, needle) in [
        (6, "variable set name `Prod EU` is not allowed"),
        (12, "variable-sets names `prod`, which is no set; defined are: Prod EU"),
        (13, "variable name `api-url` is not allowed; use letters, digits and '_'"),
        (13, "variable name `version` is one of the keys prepare prints itself"),
        (13, "variable name `commit_api` is one of the keys prepare prints itself"),
        (13, "variable `note` holds a line break; a value must be one line"),
        (13, "variable `tab` holds the control character \\u{9}"),
    ] {
        refused.expect_stderr(&format!("line {line}, column")).expect_stderr(needle);
    }
    assert_eq!(world.state(&repo), before, "a refused file changes nothing");

    // A number is not a value a key=value line can promise to hold as written.
    world.commit_release_file(&repo, "qa", file.replace(r#"ok = "fine""#, "ok = 8080").as_bytes());
    world.release(&repo, &["prepare", "qa"]).expect_status(2).expect_stderr("line 7, column 6").expect_stderr("string");
}
