//! What the release file tells an environment's pipeline: `[environments] variables`, and
//! `[variable-sets.<name>]` that several environments share.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use super::{Resolver, is_simple_name};

/// The keys `prepare` prints itself; a variable may not take one.
pub const RESERVED: [&str; 6] = ["environment", "version", "commit", "tag", "branch", "already_deployed"];
/// The prefixes of the keys `prepare` prints for each component.
pub const RESERVED_PREFIXES: [&str; 2] = ["commit_", "tag_"];

/// Names a dotenv file would turn into variables that change how a later job's shell, loader or
/// CI behaves, or that the CI systems and git keep for themselves. Compared without case, as
/// GitHub's outputs and Azure's variables compare names.
const UNSAFE: [&str; 37] = [
    "PATH",
    "HOME",
    "SHELL",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "IFS",
    "CDPATH",
    "PS4",
    "PROMPT_COMMAND",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "GCONV_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "GH_TOKEN",
];
const UNSAFE_PREFIXES: [&str; 12] = [
    "GIT_",
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "CI_",
    "GITLAB_",
    "BUILD_",
    "SYSTEM_",
    "AGENT_",
    "BITBUCKET_",
    "TF_BUILD",
    "TF_CLI_ARGS",
];

/// A variable's name as written, a set of them, and the sets by name.
pub type RawVariables = BTreeMap<Spanned<String>, Spanned<String>>;
pub type RawSets = BTreeMap<Spanned<String>, RawVariables>;
/// A set's variables, checked.
pub type Sets = BTreeMap<String, BTreeMap<String, String>>;

/// Why `name` cannot be a variable: it must be a shell and dotenv identifier that is not one of
/// `prepare`'s own keys.
fn name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let identifier = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Some(format!(
            "variable name `{}` is not allowed; use letters, digits and '_', starting with a letter or '_', \
             as $GITHUB_OUTPUT, dotenv files and shells read names",
            name.escape_debug()
        ));
    }
    let upper = name.to_ascii_uppercase();
    if UNSAFE.contains(&upper.as_str()) || UNSAFE_PREFIXES.iter().any(|prefix| upper.starts_with(prefix)) {
        return Some(format!(
            "variable name `{name}` is kept by shells, loaders, runtimes, git or the CI systems ({}, or a name \
             starting with {}); choose another",
            UNSAFE.join(", "),
            UNSAFE_PREFIXES.join(", ")
        ));
    }
    // Compared without case: GitHub's outputs and Azure's variables do not tell `Commit` from `commit`.
    let lower = name.to_ascii_lowercase();
    let reserved =
        RESERVED.contains(&lower.as_str()) || RESERVED_PREFIXES.iter().any(|prefix| lower.starts_with(prefix));
    reserved.then(|| {
        format!(
            "variable name `{name}` is one of the keys prepare prints itself ({}, {}<component> and \
             {}<component>); choose another",
            RESERVED.join(", "),
            RESERVED_PREFIXES[0],
            RESERVED_PREFIXES[1]
        )
    })
}

/// Why `value` cannot be a variable's value: one line of printable text, which a `key=value`
/// line holds whole.
fn value_problem(name: &str, value: &str) -> Option<String> {
    // Unicode's line and paragraph separators break lines too, and its direction controls make
    // a value read otherwise than it is.
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    let control = value.chars().find(|&c| unsafe_char(c))?;
    let what = match control {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => "a line break".to_owned(),
        other => format!("the control character {}", other.escape_unicode()),
    };
    Some(format!(
        "variable `{name}` holds {what}; a value must be one line, as a key=value line in $GITHUB_OUTPUT or a \
         dotenv file holds it"
    ))
}

impl Resolver<'_> {
    /// `[variable-sets.<name>]`, each checked.
    pub(super) fn variable_sets(&mut self, raw: RawSets) -> Sets {
        let mut sets = Sets::new();
        for (name, variables) in raw {
            if !is_simple_name(name.get_ref()) {
                let message = format!(
                    "variable set name `{}` is not allowed; use lower-case letters, digits and '-', starting with a \
                     letter or digit",
                    name.get_ref().escape_debug()
                );
                self.problem(Some(name.span()), message);
            }
            sets.insert(name.into_inner(), self.variables(variables));
        }
        sets
    }

    /// One environment's variables: those of the sets it names, in order, then its own, each
    /// over the ones before.
    pub(super) fn environment_variables(
        &mut self,
        own: RawVariables,
        named: Vec<Spanned<String>>,
        sets: &Sets,
    ) -> BTreeMap<String, String> {
        let mut variables = BTreeMap::new();
        for name in named {
            if let Some(set) = sets.get(name.get_ref()) {
                variables.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
            } else {
                let defined = if sets.is_empty() {
                    "none are defined; add a [variable-sets.<name>] table".to_owned()
                } else {
                    format!("defined are: {}", sets.keys().cloned().collect::<Vec<_>>().join(", "))
                };
                let message = format!("variable-sets names `{}`, which is no set; {defined}", name.get_ref());
                self.problem(Some(name.span()), message);
            }
        }
        variables.extend(self.variables(own));
        variables
    }

    fn variables(&mut self, raw: RawVariables) -> BTreeMap<String, String> {
        let mut variables = BTreeMap::new();
        for (name, value) in raw {
            if let Some(problem) = name_problem(name.get_ref()) {
                self.problem(Some(name.span()), problem);
            } else if let Some(problem) = value_problem(name.get_ref(), value.get_ref()) {
                self.problem(Some(value.span()), problem);
            }
            variables.insert(name.into_inner(), value.into_inner());
        }
        variables
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_that_prepare_does_not_print_itself() {
        for good in ["region", "API_URL", "_private", "k8s_cluster2"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in ["", "2fast", "api-url", "a.b", "with space", "é", "a=b"] {
            assert!(name_problem(bad).expect("refused").contains("is not allowed"), "{bad}");
        }
        for reserved in
            ["version", "commit", "tag", "environment", "branch", "already_deployed", "commit_api", "tag_web"]
        {
            assert!(name_problem(reserved).expect("refused").contains("one of the keys prepare prints"), "{reserved}");
        }
        // Only the exact keys and prefixes: a name that merely contains one is free.
        assert_eq!(name_problem("commits"), None);
        // Without case, as GitHub's outputs and Azure's variables compare names.
        for shadow in ["Commit", "TAG", "Already_Deployed", "Tag_Web"] {
            assert!(name_problem(shadow).expect("refused").contains("one of the keys prepare prints"), "{shadow}");
        }
        for kept in
            ["PATH", "path", "BASH_ENV", "LD_PRELOAD", "GIT_RELEASE_DEPLOY_COMMIT", "GITHUB_TOKEN", "CI_JOB_TOKEN"]
        {
            assert!(name_problem(kept).expect("refused").contains("is kept by shells"), "{kept}");
        }
        for runtime in ["NODE_OPTIONS", "PYTHONPATH", "perl5opt", "https_proxy", "TF_CLI_ARGS_plan", "GH_TOKEN"] {
            assert!(name_problem(runtime).expect("refused").contains("is kept by shells"), "{runtime}");
        }
        // Terraform reads its input variables from TF_VAR_<name>: a pipeline's own business.
        assert_eq!(name_problem("TF_VAR_region"), None);
        assert_eq!(name_problem("PATHS"), None);
    }

    #[test]
    fn values_are_one_line_of_text() {
        assert_eq!(value_problem("url", "https://api.example.com/v1?x=1&y=$HOME"), None);
        assert_eq!(value_problem("empty", ""), None);
        assert!(value_problem("k", "a\nb").expect("refused").contains("a line break"));
        assert!(value_problem("k", "a\rb").expect("refused").contains("a line break"));
        assert!(value_problem("k", "a\u{0}b").expect("refused").contains("\\u{0}"));
        assert!(value_problem("k", "a\tb").expect("refused").contains("\\u{9}"));
        assert!(value_problem("k", "a\u{2028}b").expect("refused").contains("a line break"));
        assert!(value_problem("k", "a\u{202E}b").expect("refused").contains("\\u{202e}"));
        assert!(value_problem("k", "a\u{200F}b").expect("refused").contains("\\u{200f}"));
        assert_eq!(value_problem("k", "café – ünïcode"), None);
    }
}
