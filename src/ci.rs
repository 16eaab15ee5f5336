//! What the CI system running us says about the pipeline: its URL and who started it. Pure: the
//! variables are handed in.

/// A CI system, recognised by the variables it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    GithubActions,
    GitlabCi,
    AzurePipelines,
    BitbucketPipelines,
    Jenkins,
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
        }
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
        };
        var(key).filter(|v| !v.is_empty())
    }
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
}
