//! The CI pipelines `init --ci` writes, from `templates/ci/`, for the branches a release file
//! names: each system's triggers list exactly those branches, and every job reads the
//! environments from the last one's.

use super::template::fill;

/// The CI systems a pipeline template exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum System {
    Github,
    Gitlab,
    Azure,
    Bitbucket,
    Jenkins,
    Tekton,
}

impl System {
    /// Its name on the command line (`--ci github`).
    #[must_use]
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map(|v| v.get_name().to_owned()).unwrap_or_default()
    }

    pub const ALL: [System; 6] =
        [System::Github, System::Gitlab, System::Azure, System::Bitbucket, System::Jenkins, System::Tekton];

    /// The files of its pipeline, where the system reads them (relative to the work tree), and
    /// the template of each. GitHub's gate is a workflow of its own, so that no push run leaves a
    /// skipped "gate" behind, which GitHub counts as passing.
    #[must_use]
    pub fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            System::Github => &[
                (".github/workflows/release-gate.yml", include_str!("../../templates/ci/github-gate.yml")),
                (".github/workflows/release.yml", include_str!("../../templates/ci/github.yml")),
                (".github/workflows/release-reconcile.yml", include_str!("../../templates/ci/github-reconcile.yml")),
            ],
            System::Gitlab => &[(".gitlab-ci.yml", include_str!("../../templates/ci/gitlab.yml"))],
            System::Azure => &[("azure-pipelines.yml", include_str!("../../templates/ci/azure.yml"))],
            System::Bitbucket => &[("bitbucket-pipelines.yml", include_str!("../../templates/ci/bitbucket.yml"))],
            System::Jenkins => &[("Jenkinsfile", include_str!("../../templates/ci/Jenkinsfile"))],
            System::Tekton => &[
                (".tekton/release.yaml", include_str!("../../templates/ci/tekton.yaml")),
                ("tekton/git-release-reconcile.yaml", include_str!("../../templates/ci/tekton-reconcile.yaml")),
            ],
        }
    }
}

/// Where the templates install git-release from: this crate's repository, at the tag of this
/// version, and the image its repository publishes for that tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    pub from: String,
    pub rev: String,
    pub image: String,
}

impl Install {
    /// This build's own: its repository and version.
    #[must_use]
    pub fn this_build() -> Install {
        let from = env!("CARGO_PKG_REPOSITORY").to_owned();
        let rev = format!("v{}", env!("CARGO_PKG_VERSION"));
        let path = from.trim_end_matches('/').trim_end_matches(".git").rsplitn(3, '/').collect::<Vec<_>>();
        let image = match path.as_slice() {
            [name, owner, _] => format!("ghcr.io/{}/{}:{rev}", owner.to_lowercase(), name.to_lowercase()),
            _ => format!("git-release:{rev}"),
        };
        Install { from, rev, image }
    }
}

/// A branch a template cannot name safely: every system quotes differently, so branch names
/// are kept to what none of them reads as syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment branch `{0}` has characters a pipeline's trigger cannot name safely")]
pub struct UnsafeBranch(pub String);

fn safe(branch: &str) -> bool {
    !branch.is_empty()
        && !branch.starts_with('-')
        && branch.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

/// The pipeline files of `system` for these environment branches, in promotion order: each
/// file's path and text.
///
/// # Errors
/// When a branch holds a character outside letters, digits, `.`, `_`, `/` and `-`.
pub fn render(
    system: System,
    branches: &[&str],
    install: &Install,
) -> Result<Vec<(&'static str, String)>, UnsafeBranch> {
    if let Some(bad) = branches.iter().find(|b| !safe(b)) {
        return Err(UnsafeBranch((*bad).to_owned()));
    }
    let last = branches.last().copied().unwrap_or("main");
    let quoted = |b: &&str| format!("\"{b}\"");
    let flow_list = format!("[{}]", branches.iter().map(quoted).collect::<Vec<_>>().join(", "));
    let either =
        |variable: &str| branches.iter().map(|b| format!("${variable} == \"{b}\"")).collect::<Vec<_>>().join(" || ");
    let case = branches.iter().map(|b| format!("'{b}'")).collect::<Vec<_>>().join("|");
    let bitbucket = branches
        .iter()
        .map(|b| format!("    \"{b}\":\n      - step: *deploy\n      - step: *reconcile"))
        .collect::<Vec<_>>()
        .join("\n");
    // Java's regular expressions, in a single-quoted Groovy string: `.` as a class, no backslash.
    let jenkins = format!("^({})$", branches.iter().map(|b| b.replace('.', "[.]")).collect::<Vec<_>>().join("|"));
    let pac = format!("[{}]", branches.join(", "));
    let on_branch: Vec<String> =
        branches.iter().map(|b| format!("eq(variables['Build.SourceBranch'], 'refs/heads/{b}')")).collect();
    let azure = if on_branch.len() == 1 { on_branch[0].clone() } else { format!("or({})", on_branch.join(", ")) };
    let config_ref = format!("refs/heads/{last}");
    let values: [(&str, &str); 11] = [
        ("last_branch", last),
        ("branches", &flow_list),
        ("merge_request_targets", &either("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")),
        ("push_branches", &either("CI_COMMIT_BRANCH")),
        ("case_branches", &case),
        ("bitbucket_branches", &bitbucket),
        ("jenkins_branches", &jenkins),
        ("pac_branches", &pac),
        ("config_ref", &config_ref),
        ("azure_branches", &azure),
        ("image", &install.image),
    ];
    Ok(system.files().iter().map(|(path, template)| (*path, fill(template, &values))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the system's pipeline, one after the other.
    fn all(system: System, branches: &[&str]) -> String {
        render(system, branches, &Install::this_build()).expect("safe branches").into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        for system in System::ALL {
            let text = all(system, &["environment/dev", "environment/qa", "environment/prod"]);
            // Pipelines-as-Code's own `{{ name }}` parameters keep their spaces; ours have none.
            let mut rest = text.as_str();
            while let Some(at) = rest.find("{{") {
                let after = &rest[at + 2..];
                assert!(after.starts_with(' '), "{system:?}: `{}` is left unfilled", &after[..after.len().min(30)]);
                rest = after;
            }
        }
    }

    #[test]
    fn installs_this_builds_tag_from_its_repository() {
        let install = Install::this_build();
        assert_eq!(install.rev, format!("v{}", env!("CARGO_PKG_VERSION")));
        assert!(install.from.starts_with("https://"), "{}", install.from);
        assert!(install.image.ends_with(&format!(":{}", install.rev)), "{}", install.image);
        assert_eq!(install.image, install.image.to_lowercase(), "image names are lower-case");
    }

    #[test]
    fn names_each_branch_as_its_system_reads_it() {
        let one = |system| all(system, &["qa", "stage", "main"]);
        assert!(one(System::Github).contains("branches: [\"qa\", \"stage\", \"main\"]\n"));
        assert!(one(System::Github).contains("git config release.configRef refs/heads/main\n"));
        assert!(one(System::Gitlab).contains(
            "($CI_COMMIT_BRANCH == \"qa\" || $CI_COMMIT_BRANCH == \"stage\" || $CI_COMMIT_BRANCH == \"main\")"
        ));
        assert!(one(System::Bitbucket).contains("'qa'|'stage'|'main') git release gate --ci ;;"));
        assert!(one(System::Bitbucket).contains("    \"stage\":\n      - step: *deploy\n      - step: *reconcile\n"));
        assert!(one(System::Jenkins).contains("target: '^(qa|stage|main)$'"));
        assert!(one(System::Tekton).contains("on-target-branch: \"[qa, stage, main]\""));
        let on = |b: &str| format!("eq(variables['Build.SourceBranch'], 'refs/heads/{b}')");
        assert!(one(System::Azure).contains(&format!("'Manual'), or({}, {}, {}))", on("qa"), on("stage"), on("main"))));
        assert!(all(System::Azure, &["main"]).contains(&format!("'Manual'), {})\n", on("main"))));
        let dotted = all(System::Jenkins, &["release/1.x"]);
        assert!(dotted.contains("'^(release/1[.]x)$'"), "{dotted}");
    }

    #[test]
    fn refuses_a_branch_a_trigger_would_read_as_syntax() {
        let install = Install::this_build();
        for bad in ["environment/x$(touch pwned)", "qa\"", "q'a", "a*", "a b", "-x", "a|b", "a\\b"] {
            assert_eq!(render(System::Gitlab, &["dev", bad], &install), Err(UnsafeBranch(bad.into())), "{bad}");
        }
    }
}
