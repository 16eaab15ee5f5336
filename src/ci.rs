//! What the CI system running us says about the pipeline: its URL, who started it, and the pull
//! request it checks. Pure: the variables (and the files they name) are handed in.

/// A CI system, recognised by the variables it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    GithubActions,
    GitlabCi,
    AzurePipelines,
    BitbucketPipelines,
    Jenkins,
    /// Tekton Pipelines-as-Code, through the variables the shipped template sets from its
    /// `{{ target_branch }}`, `{{ source_branch }}` and `{{ revision }}` parameters.
    Tekton,
}

/// The variables the Tekton template sets from the Pipelines-as-Code parameters.
pub const TEKTON_VARIABLES: [&str; 3] = ["PAC_TARGET_BRANCH", "PAC_SOURCE_BRANCH", "PAC_REVISION"];

/// The pull request a pipeline checks: the branch it targets, the branch it comes from, and the
/// commit at its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub target: String,
    pub source: String,
    pub head: String,
    /// The other repository its head comes from, when it comes from a fork: its branch is then
    /// no branch of this repository, whatever it is called.
    pub fork: Option<String>,
}

/// What a push pipeline checked out: the commit, and the branch it was pushed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub commit: String,
    pub branch: String,
}

/// Why the CI's variables do not describe a pull request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{system} does not say which pull request this is: {missing} is not set")]
pub struct NotAPullRequest {
    pub system: &'static str,
    pub missing: String,
}

impl System {
    /// The system whose variables are present, if any.
    #[must_use]
    pub fn detect(var: &dyn Fn(&str) -> Option<String>) -> Option<System> {
        let set = |key: &str| var(key).is_some_and(|v| !v.is_empty());
        if set("GITHUB_ACTIONS") {
            Some(System::GithubActions)
        } else if set("GITLAB_CI") {
            Some(System::GitlabCi)
        } else if set("TF_BUILD") {
            Some(System::AzurePipelines)
        } else if set("BITBUCKET_BUILD_NUMBER") {
            Some(System::BitbucketPipelines)
        } else if set("JENKINS_URL") || set("BUILD_URL") {
            Some(System::Jenkins)
        } else if set(TEKTON_VARIABLES[0]) {
            Some(System::Tekton)
        } else {
            None
        }
    }

    /// The web page of the running pipeline.
    #[must_use]
    pub fn pipeline_url(self, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let get = |key: &str| var(key).filter(|v| !v.is_empty());
        match self {
            System::GithubActions => Some(format!(
                "{}/{}/actions/runs/{}",
                get("GITHUB_SERVER_URL")?.trim_end_matches('/'),
                get("GITHUB_REPOSITORY")?,
                get("GITHUB_RUN_ID")?
            )),
            System::GitlabCi => get("CI_PIPELINE_URL"),
            System::AzurePipelines => Some(format!(
                "{}/{}/_build/results?buildId={}",
                get("SYSTEM_COLLECTIONURI")?.trim_end_matches('/'),
                get("SYSTEM_TEAMPROJECT")?.replace(' ', "%20"),
                get("BUILD_BUILDID")?
            )),
            System::BitbucketPipelines => Some(format!(
                "{}/pipelines/results/{}",
                get("BITBUCKET_GIT_HTTP_ORIGIN")?.trim_end_matches('/'),
                get("BITBUCKET_BUILD_NUMBER")?
            )),
            System::Jenkins => get("BUILD_URL"),
            System::Tekton => None,
        }
    }

    /// The system's name, as its users call it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            System::GithubActions => "GitHub Actions",
            System::GitlabCi => "GitLab CI",
            System::AzurePipelines => "Azure Pipelines",
            System::BitbucketPipelines => "Bitbucket Pipelines",
            System::Jenkins => "Jenkins",
            System::Tekton => "Tekton Pipelines-as-Code",
        }
    }

    /// The pull request this pipeline runs for. `read` reads a file the variables name (GitHub's
    /// event file, for the head commit).
    ///
    /// # Errors
    /// When a variable the system sets for pull requests is missing: the pipeline runs for
    /// something else, such as a push.
    pub fn pull_request(
        self,
        var: &dyn Fn(&str) -> Option<String>,
        read: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PullRequest, NotAPullRequest> {
        let get = |key: &str| {
            var(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| NotAPullRequest { system: self.name(), missing: key.into() })
        };
        let branch = |key: &str| get(key).map(|v| v.strip_prefix("refs/heads/").map_or(v.clone(), str::to_owned));
        let (target, source, head) = match self {
            System::GithubActions => {
                let head = get("GITHUB_EVENT_PATH").and_then(|path| {
                    read(&path).as_deref().and_then(github_head).ok_or_else(|| NotAPullRequest {
                        system: self.name(),
                        missing: format!("pull_request.head.sha in the event file {path}"),
                    })
                });
                (branch("GITHUB_BASE_REF")?, branch("GITHUB_HEAD_REF")?, head?)
            }
            System::GitlabCi => {
                let head = get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA").or_else(|_| get("CI_COMMIT_SHA"));
                (branch("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")?, branch("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")?, head?)
            }
            System::AzurePipelines => (
                branch("SYSTEM_PULLREQUEST_TARGETBRANCH")?,
                branch("SYSTEM_PULLREQUEST_SOURCEBRANCH")?,
                get("SYSTEM_PULLREQUEST_SOURCECOMMITID")?,
            ),
            System::BitbucketPipelines => {
                (branch("BITBUCKET_PR_DESTINATION_BRANCH")?, branch("BITBUCKET_BRANCH")?, get("BITBUCKET_COMMIT")?)
            }
            System::Jenkins => (branch("CHANGE_TARGET")?, branch("CHANGE_BRANCH")?, get("GIT_COMMIT")?),
            System::Tekton => {
                let [target, source, head] = TEKTON_VARIABLES;
                (branch(target)?, branch(source)?, get(head)?)
            }
        };
        let fork = match self {
            System::GithubActions => {
                var("GITHUB_EVENT_PATH").and_then(|path| read(&path)).and_then(|e| github_fork(&e))
            }
            System::GitlabCi => {
                let (source, own) = (var("CI_MERGE_REQUEST_SOURCE_PROJECT_ID"), var("CI_MERGE_REQUEST_PROJECT_ID"));
                (source.is_some() && source != own)
                    .then(|| var("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH").unwrap_or_else(|| "another project".into()))
            }
            System::AzurePipelines => var("SYSTEM_PULLREQUEST_ISFORK")
                .filter(|fork| fork.eq_ignore_ascii_case("true"))
                .map(|_| "a fork".to_owned()),
            System::Jenkins => var("CHANGE_FORK").filter(|fork| !fork.is_empty()),
            System::BitbucketPipelines | System::Tekton => None,
        };
        Ok(PullRequest { target, source, head, fork })
    }

    /// The commit a push pipeline checked out and the branch it was pushed to; `None` for a
    /// pull request's pipeline, whose checkout is no branch's commit, and where a variable is
    /// missing.
    #[must_use]
    pub fn checkout(self, var: &dyn Fn(&str) -> Option<String>) -> Option<Checkout> {
        let get = |key: &str| var(key).filter(|v| !v.is_empty());
        let set = |key: &str| get(key).is_some();
        let (commit, branch) = match self {
            System::GithubActions => (get("GITHUB_SHA")?, get("GITHUB_REF")?.strip_prefix("refs/heads/")?.to_owned()),
            // Merge request pipelines leave CI_COMMIT_BRANCH unset.
            System::GitlabCi => (get("CI_COMMIT_SHA")?, get("CI_COMMIT_BRANCH")?),
            System::AzurePipelines => {
                (get("BUILD_SOURCEVERSION")?, get("BUILD_SOURCEBRANCH")?.strip_prefix("refs/heads/")?.to_owned())
            }
            System::BitbucketPipelines if !set("BITBUCKET_PR_ID") => {
                (get("BITBUCKET_COMMIT")?, get("BITBUCKET_BRANCH")?)
            }
            // The Git plugin names the branch as its remote-tracking branch, `origin/main`.
            System::Jenkins if !set("CHANGE_ID") => {
                let branch = get("GIT_BRANCH")?;
                let branch = branch.strip_prefix("origin/").map_or(branch.clone(), str::to_owned);
                (get("GIT_COMMIT")?, branch)
            }
            // The push template sets the branch as its target and no source branch.
            System::Tekton if !set(TEKTON_VARIABLES[1]) => {
                let branch = get(TEKTON_VARIABLES[0])?;
                let branch = branch.strip_prefix("refs/heads/").map_or(branch.clone(), str::to_owned);
                (get(TEKTON_VARIABLES[2])?, branch)
            }
            System::BitbucketPipelines | System::Jenkins | System::Tekton => return None,
        };
        Some(Checkout { commit, branch })
    }

    /// Who started the pipeline, as the system names them.
    #[must_use]
    pub fn actor(self, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let key = match self {
            System::GithubActions => "GITHUB_ACTOR",
            System::GitlabCi => "GITLAB_USER_LOGIN",
            System::AzurePipelines => "BUILD_REQUESTEDFOR",
            System::BitbucketPipelines => "BITBUCKET_STEP_TRIGGERER_UUID",
            System::Jenkins => "BUILD_USER_ID",
            System::Tekton => return None,
        };
        var(key).filter(|v| !v.is_empty())
    }
}

/// The repository a GitHub pull request's head lives in, when it is not the base's own (a fork,
/// or one since deleted).
fn github_fork(event: &str) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(event).ok()?;
    let pull = event.get("pull_request")?;
    let name =
        |side: &str| pull.pointer(&format!("/{side}/repo/full_name")).and_then(|n| n.as_str()).map(str::to_owned);
    let base = name("base");
    match (name("head"), pull.pointer("/head/repo")) {
        (Some(head), _) if base.as_deref().is_none_or(|base| base == head) => None,
        (Some(head), _) => Some(head),
        (None, Some(serde_json::Value::Null)) => Some("a deleted fork".into()),
        // A repository the event does not name is none it can be told to be this one.
        (None, Some(_)) => Some("an unnamed repository".into()),
        (None, None) => None,
    }
}

/// The head commit of the pull request a GitHub Actions event file describes.
fn github_head(event: &str) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(event).ok()?;
    let sha = event.pointer("/pull_request/head/sha")?.as_str()?;
    crate::object_id::ObjectId::from_hex(sha).map(|id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn builds_each_systems_pipeline_url() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[
                    ("GITHUB_ACTIONS", "true"),
                    ("GITHUB_SERVER_URL", "https://github.com"),
                    ("GITHUB_REPOSITORY", "shop/release"),
                    ("GITHUB_RUN_ID", "42"),
                ],
                "https://github.com/shop/release/actions/runs/42",
            ),
            (
                &[("GITLAB_CI", "true"), ("CI_PIPELINE_URL", "https://gitlab.example.com/shop/release/-/pipelines/7")],
                "https://gitlab.example.com/shop/release/-/pipelines/7",
            ),
            (
                &[
                    ("TF_BUILD", "True"),
                    ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/shop/"),
                    ("SYSTEM_TEAMPROJECT", "Web Shop"),
                    ("BUILD_BUILDID", "9"),
                ],
                "https://dev.azure.com/shop/Web%20Shop/_build/results?buildId=9",
            ),
            (
                &[("BITBUCKET_BUILD_NUMBER", "12"), ("BITBUCKET_GIT_HTTP_ORIGIN", "http://bitbucket.org/shop/release")],
                "http://bitbucket.org/shop/release/pipelines/results/12",
            ),
            (
                &[("JENKINS_URL", "https://ci.example.com/"), ("BUILD_URL", "https://ci.example.com/job/deploy/3/")],
                "https://ci.example.com/job/deploy/3/",
            ),
        ];
        for (pairs, url) in cases {
            let var = vars(pairs);
            let system = System::detect(&var).expect("a CI system");
            assert_eq!(system.pipeline_url(&var).as_deref(), Some(url), "{system:?}");
        }
        assert_eq!(System::detect(&vars(&[])), None);
    }

    #[test]
    fn reads_each_systems_pull_request() {
        let event = r#"{"pull_request":{"head":{"sha":"0123456789abcdef0123456789abcdef01234567"},"base":{"ref":"environment/prod"}}}"#;
        let read = |path: &str| (path == "/event.json").then(|| event.to_owned());
        let cases: [&[(&str, &str)]; 6] = [
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_BASE_REF", "environment/prod"),
                ("GITHUB_HEAD_REF", "environment/qa"),
                ("GITHUB_EVENT_PATH", "/event.json"),
            ],
            &[
                ("GITLAB_CI", "true"),
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "environment/prod"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "environment/qa"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", ""),
                ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ],
            &[
                ("TF_BUILD", "True"),
                ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/environment/prod"),
                ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/environment/qa"),
                ("SYSTEM_PULLREQUEST_SOURCECOMMITID", "0123456789abcdef0123456789abcdef01234567"),
            ],
            &[
                ("BITBUCKET_BUILD_NUMBER", "3"),
                ("BITBUCKET_PR_DESTINATION_BRANCH", "environment/prod"),
                ("BITBUCKET_BRANCH", "environment/qa"),
                ("BITBUCKET_COMMIT", "0123456789abcdef0123456789abcdef01234567"),
            ],
            &[
                ("JENKINS_URL", "https://ci.example.com/"),
                ("CHANGE_TARGET", "environment/prod"),
                ("CHANGE_BRANCH", "environment/qa"),
                ("GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567"),
            ],
            &[
                ("PAC_TARGET_BRANCH", "environment/prod"),
                ("PAC_SOURCE_BRANCH", "environment/qa"),
                ("PAC_REVISION", "0123456789abcdef0123456789abcdef01234567"),
            ],
        ];
        let expected = PullRequest {
            target: "environment/prod".into(),
            source: "environment/qa".into(),
            head: "0123456789abcdef0123456789abcdef01234567".into(),
            fork: None,
        };
        for pairs in cases {
            let var = vars(pairs);
            let system = System::detect(&var).expect("a CI system");
            assert_eq!(system.pull_request(&var, &read), Ok(expected.clone()), "{system:?}");
        }
    }

    #[test]
    fn a_pull_request_from_a_fork_says_where_it_comes_from() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let event = |head: &str| {
            format!(
                r#"{{"pull_request":{{"head":{{"sha":"{sha}","repo":{head}}},"base":{{"repo":{{"full_name":"shop/release"}}}}}}}}"#
            )
        };
        let github = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_BASE_REF", "environment/prod"),
            ("GITHUB_HEAD_REF", "environment/qa"),
            ("GITHUB_EVENT_PATH", "/e.json"),
        ];
        let fork_of = |head: String| {
            System::GithubActions.pull_request(&vars(&github), &|_| Some(head.clone())).expect("a pull request").fork
        };
        assert_eq!(fork_of(event(r#"{"full_name":"outsider/release","fork":true}"#)), Some("outsider/release".into()));
        assert_eq!(fork_of(event(r#"{"full_name":"shop/release"}"#)), None);
        assert_eq!(fork_of(event("null")), Some("a deleted fork".into()));
        assert_eq!(fork_of(event("{}")), Some("an unnamed repository".into()));
        let gitlab = |source: &str| {
            let pairs = [
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "environment/prod"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "environment/qa"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", sha),
                ("CI_MERGE_REQUEST_PROJECT_ID", "7"),
                ("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", source),
                ("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", "outsider/release"),
            ];
            let var = vars(&pairs);
            System::GitlabCi.pull_request(&var, &|_| None).expect("a merge request").fork
        };
        assert_eq!(gitlab("8"), Some("outsider/release".into()));
        assert_eq!(gitlab("7"), None);
        let azure = [
            ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/environment/prod"),
            ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/environment/qa"),
            ("SYSTEM_PULLREQUEST_SOURCECOMMITID", sha),
            ("SYSTEM_PULLREQUEST_ISFORK", "True"),
        ];
        let azure = vars(&azure);
        assert_eq!(
            System::AzurePipelines.pull_request(&azure, &|_| None).expect("a pull request").fork,
            Some("a fork".into())
        );
        let jenkins = [
            ("CHANGE_TARGET", "environment/prod"),
            ("CHANGE_BRANCH", "environment/qa"),
            ("GIT_COMMIT", sha),
            ("CHANGE_FORK", "outsider"),
        ];
        let jenkins = vars(&jenkins);
        assert_eq!(
            System::Jenkins.pull_request(&jenkins, &|_| None).expect("a pull request").fork,
            Some("outsider".into())
        );
    }

    #[test]
    fn reads_what_each_systems_push_pipeline_checked_out() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let cases: [(System, &[(&str, &str)]); 6] = [
            (System::GithubActions, &[("GITHUB_SHA", sha), ("GITHUB_REF", "refs/heads/environment/qa")]),
            (System::GitlabCi, &[("CI_COMMIT_SHA", sha), ("CI_COMMIT_BRANCH", "environment/qa")]),
            (
                System::AzurePipelines,
                &[("BUILD_SOURCEVERSION", sha), ("BUILD_SOURCEBRANCH", "refs/heads/environment/qa")],
            ),
            (System::BitbucketPipelines, &[("BITBUCKET_COMMIT", sha), ("BITBUCKET_BRANCH", "environment/qa")]),
            (System::Jenkins, &[("GIT_COMMIT", sha), ("GIT_BRANCH", "origin/environment/qa")]),
            (System::Tekton, &[("PAC_REVISION", sha), ("PAC_TARGET_BRANCH", "refs/heads/environment/qa")]),
        ];
        let expected = Checkout { commit: sha.into(), branch: "environment/qa".into() };
        for (system, pairs) in cases {
            assert_eq!(system.checkout(&vars(pairs)), Some(expected.clone()), "{system:?}");
        }
        // A pull request's pipeline checks out a merge or a head, which is no push to a branch.
        let pull_requests: [(System, &[(&str, &str)]); 6] = [
            (System::GithubActions, &[("GITHUB_SHA", sha), ("GITHUB_REF", "refs/pull/7/merge")]),
            (System::GitlabCi, &[("CI_COMMIT_SHA", sha), ("CI_MERGE_REQUEST_IID", "7")]),
            (System::AzurePipelines, &[("BUILD_SOURCEVERSION", sha), ("BUILD_SOURCEBRANCH", "refs/pull/7/merge")]),
            (
                System::BitbucketPipelines,
                &[("BITBUCKET_COMMIT", sha), ("BITBUCKET_BRANCH", "feature"), ("BITBUCKET_PR_ID", "7")],
            ),
            (System::Jenkins, &[("GIT_COMMIT", sha), ("GIT_BRANCH", "PR-7"), ("CHANGE_ID", "7")]),
            (
                System::Tekton,
                &[
                    ("PAC_REVISION", sha),
                    ("PAC_TARGET_BRANCH", "environment/prod"),
                    ("PAC_SOURCE_BRANCH", "environment/qa"),
                ],
            ),
        ];
        for (system, pairs) in pull_requests {
            assert_eq!(system.checkout(&vars(pairs)), None, "{system:?}");
        }
        assert_eq!(System::GithubActions.checkout(&vars(&[("GITHUB_REF", "refs/heads/qa")])), None);
        assert_eq!(System::Tekton.checkout(&vars(&[("PAC_REVISION", sha)])), None);
    }

    #[test]
    fn a_push_pipeline_is_not_a_pull_request() {
        let var = vars(&[("GITHUB_ACTIONS", "true"), ("GITHUB_REF", "refs/heads/environment/qa")]);
        let error = System::GithubActions.pull_request(&var, &|_| None).expect_err("no pull request");
        assert_eq!(
            error.to_string(),
            "GitHub Actions does not say which pull request this is: GITHUB_BASE_REF is not set"
        );
        let var = vars(&[("GITHUB_BASE_REF", "main"), ("GITHUB_HEAD_REF", "x"), ("GITHUB_EVENT_PATH", "/gone.json")]);
        let error = System::GithubActions.pull_request(&var, &|_| None).expect_err("no event");
        assert_eq!(error.missing, "pull_request.head.sha in the event file /gone.json");
    }
}
