//! What every command starts from: the terminal, the global options, and from them the
//! repository, its release file and its forge. The gathering every command shares.

use std::path::Path;

use crate::error::{Error, Kind};
use crate::forge::{self, Forge};
use crate::git::Repo;
use crate::http::Settings;
use crate::ui::Ui;
use crate::workspace::Workspace;

/// What every command gets: the terminal and the global options.
pub struct Context {
    pub ui: Ui,
    pub remote: String,
    pub offline: bool,
    pub config_from: Option<String>,
}

/// Whether the note that a dry run fetches nothing was given, in this process.
static NOTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Context {
    /// Whether a command may fetch now: not with `--offline`, and on a dry run not into
    /// `own_refs`, the references of a repository the user works in (a cache of git-release's
    /// own may still be brought up to date). A dry run that skips a fetch says so, once.
    #[must_use]
    pub fn may_fetch(&self, dry_run: bool, own_refs: bool) -> bool {
        if self.offline {
            return false;
        }
        if dry_run && own_refs {
            self.note_dry_run();
            return false;
        }
        true
    }

    /// Says, once, that a dry run reads what was fetched before.
    pub fn note_dry_run(&self) {
        if !self.offline && !NOTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            self.ui.message(
                "note: --dry-run fetches nothing into this repository: it reads the branches and tags as last fetched",
            );
        }
    }

    /// The repository the command runs in.
    ///
    /// # Errors
    /// When the directory is not inside a repository.
    pub fn repo(&self) -> Result<Repo, Error> {
        let ui = self.ui;
        Ok(Repo::discover(Path::new("."), std::sync::Arc::new(move |command: &str| ui.trace(command)))?)
    }

    /// The forge the release repository lives on, with its token; `None` when there is none
    /// (none detected, `[forge] kind = "none"`, or `--offline`).
    ///
    /// # Errors
    /// When `[forge]` cannot be made sense of, or the HTTP client cannot be built.
    pub fn forge(&self, workspace: &Workspace) -> Result<Option<Box<dyn Forge>>, Error> {
        if self.offline {
            return Ok(None);
        }
        let url = workspace.repo.remote_url(&workspace.remote);
        let location = forge::locate(
            url.as_deref(),
            &workspace.file.forge.as_ref().map(crate::config::Forge::declared).unwrap_or_default(),
        )
        .map_err(|why| Error::new(Kind::Config, "cannot tell which forge the release repository is on").cause(why))?;
        let Some(location) = location else { return Ok(None) };
        let var = |name: &str| std::env::var(name).ok();
        let hosts = forge::token_hosts(url.as_deref(), location.kind, &var);
        let token = forge::token::find(
            location.kind,
            &location.api,
            &hosts,
            Some(&|protocol: &str, host: &str| workspace.repo.credential_fill(protocol, host)),
            &var,
        );
        let set =
            forge::token::variables(location.kind).iter().find(|name| var(name).is_some_and(|v| !v.trim().is_empty()));
        if let (Some(name), false) = (set, forge::receives_tokens(&location.api, &hosts)) {
            let api = crate::secret::redact(&location.api);
            let named = if hosts.is_empty() { "none here".to_owned() } else { hosts.join(", ") };
            self.ui.warning(
                &Error::new(Kind::Config, format!("{name} is not sent to {api}"))
                    .cause(format!(
                        "a token from a variable goes only to the forge the remote URL or the CI names ({named}), whatever a release file says"
                    ))
                    .hint("point [forge] api at that forge, or store a token for its host with 'git credential approve'"),
            );
        }
        Ok(Some(forge::connect(
            location,
            token,
            Settings::from_env(workspace.repo.trace(), crate::clock::seconds, &var),
        )?))
    }

    /// Says what `[trust]` found in the tags read from `app` for the decision just made, once
    /// per tag: a warning under `warn`, a tag that did not count under `enforce`.
    pub fn tell_trust(&self, app: &crate::app::AppRepo) {
        let notes = app.take_trust_notes();
        for note in &notes {
            self.ui.warning(&Error::new(Kind::Refused, note.clone()));
        }
        if !notes.is_empty() {
            self.ui.hint(
                "a record or version tag counts when a key [trust.signers] lists for its environment signed it: \
                 the deploy job sets tag.gpgSign, gpg.format and user.signingKey (see \"Trust\" in docs/gate.md)",
            );
        }
    }

    /// The repository with its release file read and checked.
    ///
    /// # Errors
    /// When there is no repository or no valid release file.
    pub fn workspace(&self) -> Result<Workspace, Error> {
        Workspace::load(self.repo()?, &self.remote, self.config_from.as_deref())
    }

    /// The repository with the release file that decides for commands that judge across
    /// environments (`status`, `log`, `diff`, `gate`'s names, `promote`, `reconcile`): unless
    /// `--config-from` names one, the file on the branch `release.configRef` names, as fetched,
    /// where it is set. A file checked out, which a push to any branch can change, then says
    /// nothing about which environments there are, where they live or which forge holds them.
    ///
    /// # Errors
    /// As [`Context::workspace`], and when `release.configRef` names no valid release file.
    pub fn judging_workspace(&self) -> Result<Workspace, Error> {
        if let Some(judging) = self.config_ref_workspace()? {
            return Ok(judging);
        }
        let workspace = self.workspace()?;
        if self.config_from.is_some() {
            return Ok(workspace);
        }
        if let Some(warning) = workspace.unguarded_settings() {
            self.ui.warning(&warning);
        }
        workspace.judging()
    }

    /// Without `--config-from`, where `release.configRef` is set: the file it names, the file
    /// checked out left unread.
    fn config_ref_workspace(&self) -> Result<Option<Workspace>, Error> {
        if self.config_from.is_some() {
            return Ok(None);
        }
        Workspace::load_config_ref(self.repo()?, &self.remote)
    }

    /// The release file a deployment (`prepare`, `record`, `rollback`) reads its environments,
    /// application and tag patterns from: as [`Context::judging_workspace`], whose warning
    /// about an unset `release.configRef` the deployment gives itself. A pull request's
    /// checkout, deployed on approval, then cannot point an environment at another branch.
    ///
    /// # Errors
    /// As [`Context::judging_workspace`].
    pub fn deploying_workspace(&self) -> Result<Workspace, Error> {
        if let Some(judging) = self.config_ref_workspace()? {
            return Ok(judging);
        }
        let workspace = self.workspace()?;
        if self.config_from.is_some() {
            return Ok(workspace);
        }
        workspace.judging()
    }
}
