//! Whose pull requests git-release takes as its own: those the account its token acts as opened
//! from a branch of the repository itself.
//!
//! Anyone who may push one branch may also open a pull request between environment branches,
//! or copy a promotion's body into one of theirs. Such a pull request is never adopted, updated,
//! closed, or counted as a promotion a person held back: the forge's author field, which nobody
//! can edit, decides, not the branch name or the body.

use std::sync::Mutex;

use super::{Forge, PullRequest, ServiceError};
use crate::error::{self, Diagnostic};

/// The variable that names the token's account where the forge will not tell the token itself
/// (a GitLab job token, some access tokens of Bitbucket Cloud).
pub const ACCOUNT_VARIABLE: &str = "GIT_RELEASE_FORGE_USER";

/// The token's account, asked of the forge once, when a decision first needs it.
pub struct Owner<'f> {
    forge: &'f dyn Forge,
    /// [`ACCOUNT_VARIABLE`], used only when the forge does not answer.
    configured: Option<String>,
    asked: Mutex<Asked>,
}

/// Whether the forge was asked yet, and what came of it.
enum Asked {
    Not,
    /// The account, or `None` when neither the forge nor the configuration named one.
    Answered(Option<String>),
}

impl<'f> Owner<'f> {
    #[must_use]
    pub fn new(forge: &'f dyn Forge, configured: Option<String>) -> Owner<'f> {
        let configured = configured.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        Owner { forge, configured, asked: Mutex::new(Asked::Not) }
    }

    /// The account the token acts as: the forge's answer, else the configured one, else `None`
    /// (then nothing is git-release's own).
    ///
    /// # Errors
    /// When the forge cannot be reached or its answer cannot be read.
    pub fn account(&self) -> Result<Option<String>, ServiceError> {
        let mut asked = self.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Asked::Answered(account) = &*asked {
            return Ok(account.clone());
        }
        let named = match self.forge.account() {
            Ok(named) => named,
            // A token the forge will not name: a job token, an app's token without that right.
            Err(ServiceError::Unauthorized { .. } | ServiceError::Forbidden { .. }) => None,
            Err(error) => return Err(error),
        };
        let account = named.or_else(|| self.configured.clone());
        *asked = Asked::Answered(account.clone());
        Ok(account)
    }

    /// Whether `pull` is git-release's own: its head is in this repository and the token's
    /// account opened it.
    ///
    /// # Errors
    /// As [`Owner::account`].
    pub fn owns(&self, pull: &PullRequest) -> Result<bool, ServiceError> {
        if pull.from_fork {
            return Ok(false);
        }
        let Some(author) = &pull.author else { return Ok(false) };
        // Forges keep account names unique whatever their case, and compare them so.
        Ok(self.account()?.is_some_and(|account| account.eq_ignore_ascii_case(author)))
    }

    /// Why `pull`, which stands where a promotion would be opened, is not git-release's own.
    ///
    /// # Errors
    /// As [`Owner::account`].
    pub fn stranger(&self, pull: &PullRequest) -> Result<Stranger, ServiceError> {
        Ok(Stranger {
            number: pull.number,
            from: pull.source.clone(),
            target: pull.target.clone(),
            author: pull.author.clone(),
            account: self.account()?,
            forge: self.forge.location().kind.title(),
        })
    }
}

/// An open pull request between the promotion's branches that someone else opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pull request #{number} from {from} into {target} was not opened by git-release")]
pub struct Stranger {
    pub number: u64,
    /// Its source branch.
    pub from: String,
    pub target: String,
    pub author: Option<String>,
    /// The token's account; `None` when nobody could say.
    pub account: Option<String>,
    pub forge: &'static str,
}

impl Diagnostic for Stranger {
    fn kind(&self) -> error::Kind {
        error::Kind::Refused
    }

    fn causes(&self) -> Vec<String> {
        let author =
            self.author.as_deref().map_or_else(|| "an account the forge does not name".to_owned(), str::to_owned);
        let mut causes = vec![match &self.account {
            Some(account) => format!("{author} opened it; the token acts as {account}"),
            None => format!("{author} opened it; {} does not say whose the token is", self.forge),
        }];
        causes.push(
            "git-release keeps only promotions its own account opened, so that nobody can pass theirs off as one"
                .to_owned(),
        );
        causes
    }

    fn hints(&self) -> Vec<String> {
        let mut hints =
            vec![format!("close #{} if it is not wanted, then run it again: git-release opens its own", self.number)];
        if self.account.is_none() {
            hints.push(format!("or set {ACCOUNT_VARIABLE} to the account the token belongs to"));
        }
        hints
    }
}
