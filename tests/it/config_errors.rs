//! Every release file the tool must refuse: exit 2, an `error:` naming the file and branch, the
//! problem with its line and column where known, and not one reference changed.

use crate::harness::World;

const VALID: &str = r#"version = "1.4.0"

[[environments]]
name = "dev"
branch = "environment/dev"

[[environments]]
name = "qa"
branch = "environment/qa"
cut = "rc"

[[environments]]
name = "prod"
branch = "environment/prod"
cut = "final"
after = "qa"
restricted = true
"#;

/// Commits `text` as the release file on `branch`, runs `status` and checks the refusal.
fn refused_on(branch: &str, text: &[u8], expected: &[&str]) -> crate::harness::Transcript {
    let world = World::new();
    let repo = world.repo("app");
    world.commit_release_file(&repo, branch, text);
    let before = world.state(&repo);
    let transcript = world.release(&repo, &["status"]);
    transcript.expect_status(2).expect_stderr(&format!("error: release.toml on {branch} "));
    transcript.expect_stderr(&format!("hint: fix release.toml on {branch} and commit it there"));
    for needle in expected {
        transcript.expect_stderr(needle);
    }
    assert!(transcript.stdout.is_empty(), "no data on a refusal:\n{transcript}");
    assert_eq!(world.state(&repo), before, "a refusal changes nothing");
    transcript
}

fn refused(text: &str, expected: &[&str]) -> crate::harness::Transcript {
    refused_on("main", text.as_bytes(), expected)
}

#[test]
fn valid_file_is_accepted() {
    let world = World::new();
    let repo = world.repo("app");
    world.commit_release_file(&repo, "main", VALID.as_bytes());
    world.release(&repo, &["status"]).expect_status(0);
}

#[test]
fn unknown_top_level_key() {
    let transcript = refused(
        &VALID.replace("version = \"1.4.0\"", "version = \"1.4.0\"\ncolour = \"red\""),
        &[
            "caused by: line 2, column 1: unknown field `colour`, expected one of `version`, `app`, `tags`, `environments`, `forge`, `jira`",
        ],
    );
    insta::assert_snapshot!(transcript.to_string());
}

#[test]
fn unknown_environment_key() {
    refused(&VALID.replace("restricted = true", "restrict = true"), &["line 17, column 1: unknown field `restrict`"]);
}

#[test]
fn unknown_cut() {
    refused(
        &VALID.replace("cut = \"rc\"", "cut = \"beta\""),
        &["line 10, column 7: unknown variant `beta`, expected one of `none`, `rc`, `final`"],
    );
}

#[test]
fn missing_version() {
    refused(
        &VALID.replace("version = \"1.4.0\"\n", ""),
        &["caused by: missing `version`; add a top-level line such as version = \"1.4.0\""],
    );
}

#[test]
fn no_environments() {
    refused("version = \"1.4.0\"\n", &["caused by: no environments are defined; add [[environments]] tables"]);
}

#[test]
fn duplicate_environment_names() {
    refused(
        &VALID.replace("name = \"qa\"", "name = \"dev\"").replace("after = \"qa\"", "after = \"dev\""),
        &["line 8, column 8: environment `dev` is defined twice; names must be unique"],
    );
}

#[test]
fn duplicate_branches() {
    refused(
        &VALID.replace("branch = \"environment/qa\"", "branch = \"environment/dev\""),
        &[
            "line 9, column 10: branch `environment/dev` is already the branch of environment dev; each environment needs its own",
        ],
    );
}

#[test]
fn after_naming_an_unknown_environment() {
    refused(
        &VALID.replace("after = \"qa\"", "after = \"stage\""),
        &["line 16, column 9: after = \"stage\" names no environment; defined are: dev, qa, prod"],
    );
}

#[test]
fn after_forming_a_cycle() {
    refused(
        &VALID.replace("cut = \"rc\"", "cut = \"rc\"\nafter = \"prod\""),
        &[
            "line 11, column 9: `after` forms a cycle: qa -> prod -> qa",
            "line 17, column 9: `after` forms a cycle: prod -> qa -> prod",
        ],
    );
}

#[test]
fn after_naming_itself() {
    refused(
        &VALID.replace("after = \"qa\"", "after = \"prod\""),
        &["line 16, column 9: after names prod itself; an environment cannot come after itself"],
    );
}

#[test]
fn auto_merge_without_auto_promote() {
    refused(
        &VALID.replace("restricted = true\n", "restricted = true\nauto-merge = true\n"),
        &["environment prod has auto-merge = true without auto-promote = true"],
    );
}

#[test]
fn after_list_naming_itself() {
    refused(
        &VALID.replace("after = \"qa\"", "after = [\"qa\", \"prod\"]"),
        &["line 16, column 9: after names prod itself; an environment cannot come after itself"],
    );
}

#[test]
fn after_that_is_neither_a_name_nor_a_list_of_names() {
    refused(&VALID.replace("after = \"qa\"", "after = 3"), &["an environment's name, or a list of names"]);
    let nested =
        refused(&VALID.replace("after = \"qa\"", "after = [\"qa\", 3]"), &["an `after` list holds names only"]);
    assert!(!nested.stderr.contains("untagged"), "{nested}");
}

#[test]
fn after_list_naming_an_unknown_environment() {
    refused(
        &VALID.replace("after = \"qa\"", "after = [\"qa\", \"stage\"]"),
        &["line 16, column 9: after lists \"stage\", which names no environment; defined are: dev, qa, prod"],
    );
}

#[test]
fn after_list_forming_a_cycle_through_a_list() {
    // prod comes after dev and qa; qa after prod: the cycle goes through the list's second name.
    refused(
        &VALID
            .replace("after = \"qa\"", "after = [\"dev\", \"qa\"]")
            .replace("cut = \"rc\"", "cut = \"rc\"\nafter = \"prod\""),
        &[
            "line 11, column 9: `after` forms a cycle: qa -> prod -> qa",
            "line 17, column 9: `after` forms a cycle: prod -> qa -> prod",
        ],
    );
}

#[test]
fn after_list_naming_one_twice_or_none() {
    refused(&VALID.replace("after = \"qa\"", "after = [\"qa\", \"qa\"]"), &["after lists \"qa\" twice"]);
    refused(&VALID.replace("after = \"qa\"", "after = []"), &["after = [] lists no environment"]);
}

#[test]
fn environment_names_outside_the_allowed_set() {
    for name in ["QA", "-qa", "q_a", "qa!", ""] {
        refused(
            &VALID.replace("name = \"qa\"", &format!("name = \"{name}\"")).replace("after = \"qa\"", ""),
            &[&format!(
                "line 8, column 8: environment name `{name}` is not allowed; use lower-case letters, digits and '-'"
            )],
        );
    }
}

#[test]
fn branch_names_git_refuses() {
    let cases = [
        ("environment//qa", "it contains '//'"),
        ("env qa", "it contains a space"),
        ("qa.lock", "a part between slashes ends with '.lock'"),
        ("-qa", "it starts with '-'"),
        ("HEAD", "it is `HEAD`"),
        ("qa..x", "it contains '..'"),
        ("qa/", "it ends with '/'"),
        ("qa~1", "it contains '~'"),
        ("qa@{1}", "it contains '@{'"),
        ("environment/.qa", "a part between slashes starts with '.'"),
    ];
    for (branch, problem) in cases {
        refused(
            &VALID.replace("branch = \"environment/qa\"", &format!("branch = \"{branch}\"")),
            &[&format!("line 9, column 10: `{branch}` is not a branch name git accepts: {problem}")],
        );
    }
}

#[test]
fn tag_patterns_without_their_placeholders() {
    let cases = [
        ("rc = \"v{version}-rc\"", "[tags] rc: rc must contain {n}"),
        ("rc = \"rc.{n}\"", "[tags] rc: rc must contain {version}"),
        ("final = \"release\"", "[tags] final: final must contain {version}"),
        ("deploy = \"{version}.{env}\"", "[tags] deploy: deploy must contain {timestamp}"),
        ("deploy = \"{version}.{timestamp}\"", "[tags] deploy: deploy must contain {env}"),
        ("deploy-wip = \"{env}_{branch}\"", "[tags] deploy-wip: deploy-wip must contain {timestamp}"),
        ("final = \"v{versoin}\"", "`{versoin}` is not a placeholder; final may use {version}"),
        ("final = \"v{version}-{n}\"", "{n} cannot be used in final"),
        ("final = \"v{version\"", "`{` without a closing `}`"),
    ];
    for (line, problem) in cases {
        refused(
            &VALID.replace("version = \"1.4.0\"\n", &format!("version = \"1.4.0\"\n[tags]\n{line}\n")),
            &["line 3, column ", problem],
        );
    }
}

#[test]
fn tag_patterns_that_cannot_yield_a_valid_tag() {
    let cases = [
        (
            "final = \"v{version}.lock\"",
            "final yields the tag `v1.4.0.lock`, which git refuses as a part between slashes ends with '.lock'",
        ),
        ("rc = \"v {version}-rc.{n}\"", "rc yields the tag `v 1.4.0-rc.1`, which git refuses as it contains a space"),
        ("deploy = \"-{version}.{timestamp}.{env}\"", "which git refuses as it starts with '-'"),
        ("deploy-wip = \"{timestamp}:{env}\"", "which git refuses as it contains ':'"),
    ];
    for (line, problem) in cases {
        refused(&VALID.replace("version = \"1.4.0\"\n", &format!("version = \"1.4.0\"\n[tags]\n{line}\n")), &[problem]);
    }
}

#[test]
fn version_that_does_not_fit_its_environment() {
    let wip = VALID.replace("\"1.4.0\"", "\"WIP\"");
    let transcript = refused_on(
        "environment/qa",
        wip.as_bytes(),
        &[
            "line 1, column 11: environment qa on this branch: cut = \"rc\" needs a version such as 1.4.0 or 2026.11, not `WIP`",
        ],
    );
    insta::assert_snapshot!(transcript.to_string());
    let built = VALID.replace("\"1.4.0\"", "\"1.4.0+exp\"");
    refused_on(
        "environment/qa",
        built.as_bytes(),
        &["environment qa on this branch: cut = \"rc\" cannot cut candidates of `1.4.0+exp`"],
    );
}

#[test]
fn versions_that_make_invalid_tag_names() {
    let cases = [
        ("1.0..0", "it contains '..'"),
        ("1.0.0.lock", "a part between slashes ends with '.lock'"),
        ("a b", "it contains a space"),
        ("~1", "it contains '~'"),
        ("1^", "it contains '^'"),
        ("a:b", "it contains ':'"),
        ("a?", "it contains '?'"),
        ("a*", "it contains '*'"),
        ("a[", "it contains '['"),
        ("a\\\\b", "it contains '\\'"),
        ("a\\u0007b", "it contains the control character U+0007"),
        ("a@{1}", "it contains '@{'"),
        ("-1.0", "it starts with '-'"),
        ("1.0.", "it ends with '.'"),
        ("1.0/", "it ends with '/'"),
    ];
    for (version, problem) in cases {
        refused(&VALID.replace("\"1.4.0\"", &format!("\"{version}\"")), &["line 1, column 11: `", problem]);
    }
}

#[test]
fn file_over_one_mebibyte() {
    let mut text = VALID.as_bytes().to_vec();
    text.extend(std::iter::repeat_n(b'#', 1 << 20));
    refused_on(
        "main",
        &text,
        &["error: release.toml on main is 1048824 bytes, more than the 1 MiB a release file may hold"],
    );
}

#[test]
fn file_that_is_not_utf8() {
    let mut text = VALID.as_bytes().to_vec();
    text.extend_from_slice(b"# caf\xe9\n");
    refused_on(
        "main",
        &text,
        &["error: release.toml on main is not UTF-8 text: line 18, column 6 holds a byte that is not UTF-8"],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = VALID
        .replace("name = \"qa\"", "name = \"Q\"")
        .replace("after = \"qa\"", "after = \"x\"")
        .replace("\"1.4.0\"", "\"1..0\"");
    let transcript = refused(&text, &["line 1, column 11:", "line 8, column 8:", "line 16, column 9:"]);
    insta::assert_snapshot!(transcript.to_string());
}

#[test]
fn unknown_forge_kind() {
    refused(
        &format!("{VALID}\n[forge]\nkind = \"sourcehut\"\n"),
        &["line 20, column 8: [forge] kind `sourcehut` is unknown; use one of github, gitlab"],
    );
}

#[test]
fn a_default_branch_that_another_environment_names() {
    let text = r#"version = "1.4.0"

[[environments]]
name = "qa"
branch = "environment/dev"

[[environments]]
name = "dev"
"#;
    refused(text, &["line 8, column 8: branch `environment/dev` is already the branch of environment qa"]);
}

#[test]
fn branches_git_cannot_hold_side_by_side() {
    let text = VALID.replace("branch = \"environment/dev\"", "branch = \"environment\"");
    refused(
        &text,
        &[
            "branch `environment/qa` cannot exist beside `environment` (environment dev), as git stores one inside the other",
        ],
    );
}

#[test]
fn app_settings_that_git_or_secrecy_forbid() {
    let app = |lines: &str| VALID.replace("version = \"1.4.0\"\n", &format!("version = \"1.4.0\"\n[app]\n{lines}\n"));
    refused(
        &app("release-branch = \"release/{vesion}\""),
        &["[app] release-branch `release/{vesion}` is not a branch name git accepts: only {version} may be used in it"],
    );
    refused(&app("branch = \"HEAD\""), &["[app] branch `HEAD` is not a branch name git accepts: it is `HEAD`"]);
    let secret =
        refused(&app("repo = \"https://bob:s3cret@git.example.com/app.git\""), &["[app] repo holds credentials"]);
    assert!(!secret.stderr.contains("s3cret"), "{secret}");
}

#[test]
fn a_forge_api_with_credentials_is_refused_without_repeating_them() {
    let forge = "\n[forge]\nkind = \"gitea\"\napi = \"https://bot:s3cret@git.example.com/api/v1\"\n";
    let secret = refused(&format!("{VALID}{forge}"), &["[forge] api holds credentials"]);
    assert!(!secret.stderr.contains("s3cret"), "{secret}");
}

#[test]
fn a_release_file_that_is_a_folder_in_head_is_not_read() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init", "-q"]).expect_status(0);
    std::fs::create_dir_all(repo.join("release.toml")).expect("folder can be made");
    std::fs::write(repo.join("release.toml/x"), "x").expect("file can be written");
    world.git(&repo, &["add", "release.toml"]);
    world.git(&repo, &["commit", "-q", "-m", "A folder"]);
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("environment/prod");
}

#[test]
fn an_invalid_config_ref_or_revision_is_a_configuration_error() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init", "-q"]).expect_status(0);
    world
        .release(&repo, &["status", "--config-from", "nonexistent"])
        .expect_status(2)
        .expect_stderr("error: --config-from names `nonexistent`, which is not a revision here");
    world.release(&repo, &["status", "--config-from", "environment/qa~0"]).expect_status(0);
    world.git(&repo, &["config", "release.configRef", "bad ref"]);
    world
        .release(&repo, &["status"])
        .expect_status(2)
        .expect_stderr("error: release.configRef is `bad ref`, which is not a reference name");
}

#[test]
fn forge_repository_stepping_out_of_its_path() {
    // Found by an independent pass: `../user` sent the token's requests to /user/deployments.
    for repository in
        ["shop/../../evil/x", "../user", "shop/release?x=1", "shop/release#frag", "shop//release", "shop /release"]
    {
        refused(
            &format!(
                "{VALID}\n[forge]\nkind = \"github\"\napi = \"https://api.github.com\"\nrepository = \"{repository}\"\n"
            ),
            &["is not a repository's path (such as shop/release)"],
        );
    }
    refused(
        &format!(
            "{VALID}\n[forge]\nkind = \"github\"\napi = \"https://api.github.com/../x\"\nrepository = \"shop/release\"\n"
        ),
        &["[forge] api `https://api.github.com/../x` has a `.` or `..` part"],
    );
    refused(
        &format!(
            "{VALID}\n[forge]\nkind = \"github\"\napi = \"https://api.github.com/%2e%2e/x\"\nrepository = \"shop/release\"\n"
        ),
        &["has a `.` or `..` part"],
    );
    for api in ["javascript:x", "file:///etc/passwd", "127.0.0.1:8741"] {
        refused(
            &format!("{VALID}\n[forge]\nkind = \"github\"\napi = \"{api}\"\nrepository = \"shop/release\"\n"),
            &[&format!("[forge] api `{api}` is not an http or https address")],
        );
    }
}

#[test]
fn environment_url_that_is_no_web_address() {
    for url in [
        "https://",
        "javascript:alert(1)",
        "https://qa.example/a b",
        "https://user:pw@qa.example",
        "https://qa.example/\\\"",
    ] {
        refused(
            &VALID.replace("cut = \"rc\"\n", &format!("cut = \"rc\"\nurl = \"{url}\"\n")),
            &["environment qa: url `"],
        );
    }
}
