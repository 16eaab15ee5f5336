//! Why a preview cannot be made or deleted: each case a variant that callers and tests can match,
//! with what to do next.

use super::{FORMS, MAX_NAME};
use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};

/// A preview refused before anything is written. Texts a person gave are kept as shown: escaped,
/// and credentials masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{name}` cannot name a preview")]
    BadName { name: String },
    #[error("preview create asks the repositories what each reference points at")]
    Offline,
    #[error("`{text}` is not a reference a preview can take")]
    UnknownForm { text: String },
    /// A JSON body's key that names no repository of the application.
    #[error("components.{key} names no repository of the application")]
    UnknownKey { key: String, known: String },
    #[error("{component} is given twice")]
    Twice { component: String },
    #[error("the application has no repository called `{component}`")]
    NoSuchRepository { component: String, names: String },
    #[error("cannot tell which repository of the application {reference} is for")]
    WhichRepository { reference: String, names: String },
    #[error("{reference} is not a commit known here")]
    ShortCommit { reference: String },
    #[error("{reference} does not exist in {repository}")]
    NoSuchCommit { reference: String, repository: String, causes: Vec<String> },
    /// A pull request or branch the repository does not have (`what` names it for people).
    #[error("{what} does not exist in {repository}")]
    NoSuchReference { what: String, repository: String, reference: String, pull_request: bool },
    #[error("{branch} has no {FILE_NAME} to start the preview from")]
    NoBaseFile { branch: String },
    #[error("cannot write the preview's {FILE_NAME}")]
    CannotPin { why: String },
    #[error("there is no preview called `{name}`")]
    NoSuchPreview { name: String, known: Vec<String> },
    /// `from` is the file named, or stdin.
    #[error("cannot read the preview's JSON from {from}: {why}")]
    UnreadableBody { from: String, why: String },
    #[error("{from} is not a preview request: {why}")]
    NotARequest { from: String, why: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NoSuchCommit { .. }
            | Refusal::NoSuchReference { .. }
            | Refusal::NoBaseFile { .. }
            | Refusal::NoSuchPreview { .. } => Kind::Refused,
            Refusal::CannotPin { .. } => Kind::Config,
            _ => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::BadName { .. } => vec![format!(
                "a preview's name goes into branch and tag names: use lower-case letters, digits and '-', at most {MAX_NAME}, starting with a letter or digit and not ending with '-'"
            )],
            Refusal::UnknownForm { .. } => FORMS.iter().map(|form| format!("accepted: {form}")).collect(),
            Refusal::NoSuchCommit { causes, .. } => causes.clone(),
            Refusal::NoSuchReference { repository, reference, .. } => vec![format!("{repository} has no {reference}")],
            Refusal::CannotPin { why } => vec![why.clone()],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Refusal::BadName { .. } => {
                "such as: git release preview create test-my-thing owner/repo#pull/42".to_owned()
            }
            Refusal::Offline => "drop --offline".to_owned(),
            Refusal::UnknownForm { .. } => {
                "give a pull request, a branch or a commit in one of the forms above".to_owned()
            }
            Refusal::UnknownKey { known, .. } => {
                format!("name one of {known}, or the component: app, or a [[app.components]] name")
            }
            Refusal::Twice { .. } => "give one reference per repository".to_owned(),
            Refusal::NoSuchRepository { names, .. } => {
                format!("repositories: {names} (app is the umbrella, [app] repo)")
            }
            Refusal::WhichRepository { reference, names } => {
                format!("say it: <repository>={reference}, with one of {names}")
            }
            Refusal::ShortCommit { .. } => {
                "give the commit's full id, which is fetched to check that it exists".to_owned()
            }
            Refusal::NoSuchCommit { .. } => {
                "check the commit id; a commit only on a fork needs the fork's address".to_owned()
            }
            Refusal::NoSuchReference { pull_request: true, .. } => {
                "check the number; git keeps a pull request's head until it is deleted".to_owned()
            }
            Refusal::NoSuchReference { pull_request: false, .. } => {
                "check the branch name; a fork's branch is named with the fork's owner, such as someone/repo#branch"
                    .to_owned()
            }
            Refusal::NoBaseFile { .. } => "run 'git release init', or fetch the environment branches".to_owned(),
            Refusal::NoSuchPreview { known, .. } if known.is_empty() => "there are no previews".to_owned(),
            Refusal::NoSuchPreview { known, .. } => format!("previews: {}", known.join(", ")),
            Refusal::NotARequest { .. } => {
                r#"send {"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}"#.to_owned()
            }
            Refusal::UnreadableBody { .. } => {
                "give a file that can be read, or - to read the body from stdin".to_owned()
            }
            Refusal::CannotPin { .. } => return Vec::new(),
        };
        vec![hint]
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let gone = Error::from(Refusal::NoSuchPreview { name: "no-such".into(), known: vec!["test-1a2b3c".into()] });
        assert_eq!((gone.kind, gone.message.as_str()), (Kind::Refused, "there is no preview called `no-such`"));
        assert_eq!(gone.hints, ["previews: test-1a2b3c"]);
        let none = Error::from(Refusal::NoSuchPreview { name: "x".into(), known: Vec::new() });
        assert_eq!(none.hints, ["there are no previews"]);
        let form = Error::from(Refusal::UnknownForm { text: "nonsense".into() });
        assert_eq!((form.kind, form.causes.len()), (Kind::Usage, super::FORMS.len()));
        let branch = Error::from(Refusal::NoSuchReference {
            what: "branch topic".into(),
            repository: "owner/repo".into(),
            reference: "refs/heads/topic".into(),
            pull_request: false,
        });
        assert_eq!(branch.causes, ["owner/repo has no refs/heads/topic"]);
        assert!(branch.hints[0].starts_with("check the branch name"), "{:?}", branch.hints);
    }
}
