//! Signing tags as `git tag -s` does and reading what `git verify-tag` finds: the same settings
//! (`tag.gpgSign`, `gpg.format`, `user.signingKey`, the `gpg.*.program`s), the same programs,
//! the same payload, so `git tag -v` verifies what git-release writes.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::sshsig::{self, Checked};
use super::{GitCommand, GitError, Repo, Seal};
use crate::object_id::ObjectId;

/// Which of git's signature formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenPgp,
    X509,
    Ssh,
}

/// How this repository signs tags, read from its git configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    pub format: Format,
    /// The program git would run: `gpg`, `gpgsm`, `ssh-keygen` or the configured one.
    pub program: String,
    /// `user.signingKey`; `None` for OpenPGP and X.509 means the tagger's own identity, for ssh
    /// the first key `gpg.ssh.defaultKeyCommand` prints.
    pub key: Option<String>,
    pub default_key_command: Option<String>,
}

impl Signing {
    /// The signing settings when `tag.gpgSign` is on, as `git tag` reads them: asked of git, so
    /// that `git -c`, `GIT_CONFIG_*` and includes count as they do for `git tag -s`.
    ///
    /// # Errors
    /// When git cannot be run.
    pub fn of(repo: &Repo) -> Result<Option<Signing>, GitError> {
        let pattern = r"^(tag\.gpgsign|user\.signingkey|gpg\..*)$";
        let output = repo.output(&GitCommand::new(["config", "--includes", "-z", "--get-regexp", pattern]))?;
        // `git config -z` prints `key\nvalue\0` per setting; the last one of a key wins.
        let settings: Vec<(String, String)> = output
            .stdout
            .split('\0')
            .filter_map(|entry| {
                let (key, value) = entry.split_once('\n').unwrap_or((entry, "true"));
                (!key.is_empty()).then(|| (key.to_ascii_lowercase(), value.to_owned()))
            })
            .collect();
        let text = |key: &str| {
            let key = key.to_ascii_lowercase();
            settings.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
        };
        let on =
            text("tag.gpgSign").is_some_and(|v| ["true", "yes", "on", "1"].contains(&v.to_ascii_lowercase().as_str()));
        if !on {
            return Ok(None);
        }
        let format = match text("gpg.format").as_deref() {
            Some("x509") => Format::X509,
            Some("ssh") => Format::Ssh,
            _ => Format::OpenPgp,
        };
        let program = match format {
            Format::OpenPgp => text("gpg.openpgp.program").or_else(|| text("gpg.program")),
            Format::X509 => text("gpg.x509.program"),
            Format::Ssh => text("gpg.ssh.program"),
        };
        let program = program.unwrap_or_else(|| {
            match format {
                Format::OpenPgp => "gpg",
                Format::X509 => "gpgsm",
                Format::Ssh => "ssh-keygen",
            }
            .to_owned()
        });
        Ok(Some(Signing {
            format,
            program,
            key: text("user.signingKey"),
            default_key_command: text("gpg.ssh.defaultKeyCommand"),
        }))
    }

    /// The public half of the ssh key git signs with, as `<type> <base64>`, where it can be
    /// told without running anything: a literal key, or a key file with its `.pub` beside it.
    #[must_use]
    pub fn ssh_public_key(&self) -> Option<String> {
        if self.format != Format::Ssh {
            return None;
        }
        let key = self.key.as_deref()?;
        let literal = key.strip_prefix("key::").or_else(|| key.starts_with("ssh-").then_some(key));
        let text = if let Some(text) = literal {
            text.to_owned()
        } else {
            let path = expand_home(key);
            let public = if path.extension().is_some_and(|e| e == "pub") { path } else { with_suffix(&path, ".pub") };
            std::fs::read_to_string(public).ok()?
        };
        let mut words = text.split_whitespace();
        Some(format!("{} {}", words.next()?, words.next()?))
    }

    /// The armored signature of `payload`, by `person` (`Name <email>`) unless a key is set.
    ///
    /// # Errors
    /// When the signing program cannot be run or refuses, with what it printed.
    pub fn sign(&self, payload: &str, person: &str) -> Result<String, GitError> {
        match self.format {
            Format::OpenPgp | Format::X509 => {
                let key = self.key.clone().unwrap_or_else(|| person.to_owned());
                let mut command = Command::new(&self.program);
                command.args(["--status-fd=2", "-bsau", &key]);
                let (stdout, stderr) = self.run(command, Some(payload))?;
                if !stderr.contains("[GNUPG:] SIG_CREATED ") {
                    return Err(self.failed(&stderr));
                }
                Ok(stdout)
            }
            Format::Ssh => self.sign_ssh(payload),
        }
    }

    fn sign_ssh(&self, payload: &str) -> Result<String, GitError> {
        let key = match &self.key {
            Some(key) => key.clone(),
            None => self.default_key()?,
        };
        let literal = key.strip_prefix("key::").or_else(|| key.starts_with("ssh-").then_some(key.as_str()));
        let key_file = match literal {
            Some(public) => Scratch::new("key", public.as_bytes())?,
            None => Scratch::outside(expand_home(&key)),
        };
        let buffer = Scratch::new("payload", payload.as_bytes())?;
        let mut command = Command::new(&self.program);
        command.args(["-Y", "sign", "-n", "git", "-f"]).arg(&key_file.path);
        if literal.is_some() {
            command.arg("-U");
        }
        command.arg(&buffer.path);
        let signature = Scratch::written_by_program(with_suffix(&buffer.path, ".sig"));
        let (_, stderr) = self.run(command, None)?;
        let text = std::fs::read_to_string(&signature.path).map_err(|_| self.failed(&stderr))?;
        Ok(text)
    }

    /// The first key `gpg.ssh.defaultKeyCommand` prints, as git takes it.
    fn default_key(&self) -> Result<String, GitError> {
        let Some(command) = &self.default_key_command else {
            return Err(GitError::Failed {
                command: format!("{} -Y sign", self.program),
                stderr: "tag.gpgSign is on with gpg.format=ssh, but neither user.signingKey nor \
                         gpg.ssh.defaultKeyCommand names a key"
                    .into(),
            });
        };
        let mut words = command.split_whitespace();
        let mut run = Command::new(words.next().unwrap_or_default());
        run.args(words);
        let (stdout, stderr) = self.run(run, None)?;
        let key = stdout.lines().find(|l| l.starts_with("ssh-") || l.starts_with("key::"));
        key.map(str::to_owned).ok_or_else(|| self.failed(&stderr))
    }

    fn run(&self, mut command: Command, input: Option<&str>) -> Result<(String, String), GitError> {
        command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| GitError::Sign {
            program: self.program.clone(),
            stderr: format!("cannot run {}: {source}", self.program),
        })?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A program that exits early closes its input; what it printed says why.
            let _ = stdin.write_all(input.as_bytes());
        }
        let output = child.wait_with_output().map_err(|source| GitError::Spawn { source })?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            return Err(self.failed(&stderr));
        }
        Ok((stdout, stderr))
    }

    fn failed(&self, stderr: &str) -> GitError {
        GitError::Sign { program: self.program.clone(), stderr: stderr.to_owned() }
    }
}

impl Repo {
    /// Tags written here are signed as the repository `from` (the one the command runs in) signs
    /// them: an application cache has no configuration of its own worth reading. Asked of git
    /// only when a tag is written.
    pub fn sign_as(&mut self, from: &Repo) {
        self.signing_from = Some(std::rc::Rc::new(from.clone()));
    }

    /// How tags written here are signed, asked of git once.
    /// Whether git signs the tags written here (`tag.gpgSign`), as `git tag` would.
    ///
    /// # Errors
    /// When git cannot be run.
    pub fn signs_tags(&self) -> Result<bool, GitError> {
        Ok(self.signing()?.is_some())
    }

    pub(super) fn signing(&self) -> Result<Option<&Signing>, GitError> {
        if self.signing.get().is_none() {
            let read = Signing::of(self.signing_from.as_deref().unwrap_or(self))?;
            let _ = self.signing.set(read);
        }
        Ok(self.signing.get().and_then(Option::as_ref))
    }

    /// What the signature of the tag object `tag` says, checked by `git verify-tag` against the
    /// ssh keys `ssh_keys` (in allowed-signers order) and, for OpenPGP and X.509, against the
    /// keyring of whoever runs this. Nothing runs for a tag read as unsigned.
    ///
    /// # Errors
    /// When git cannot be run or the scratch file of allowed signers cannot be written.
    pub fn verify_tag(&self, tag: &super::TagObject, ssh_keys: &[String]) -> Result<Seal, GitError> {
        if !tag.signed {
            return Ok(Seal::Unsigned);
        }
        if let Some(seal) = self.verify_ssh_here(tag, ssh_keys)? {
            return Ok(seal);
        }
        self.git_verify("verify-tag", &tag.id, ssh_keys)
    }

    /// What the signature of `commit` says, checked by `git verify-commit` as
    /// [`Repo::verify_tag`] checks a tag's.
    ///
    /// # Errors
    /// When the commit cannot be read or git cannot be run.
    pub fn verify_commit(&self, commit: &ObjectId, ssh_keys: &[String]) -> Result<Seal, GitError> {
        let what = || format!("commit {}", commit.short());
        let object = self.repo.find_object(super::from_id(commit)?).map_err(|e| super::read_error(what())(e.into()))?;
        let data: &[u8] = &object.data;
        let header = data.split(|b| *b == b'\n').take_while(|line| !line.is_empty());
        if !header.into_iter().any(|line| line.starts_with(b"gpgsig ") || line.starts_with(b"gpgsig-sha256 ")) {
            return Ok(Seal::Unsigned);
        }
        self.git_verify("verify-commit", commit, ssh_keys)
    }

    /// `git verify-tag` or `git verify-commit` with exactly `ssh_keys` as the allowed signers.
    fn git_verify(&self, verb: &str, id: &ObjectId, ssh_keys: &[String]) -> Result<Seal, GitError> {
        let mut allowed = String::new();
        for (index, key) in ssh_keys.iter().enumerate() {
            allowed.push_str(&format!("key-{index} namespaces=\"git\" {key}\n"));
        }
        let allowed = Scratch::new("allowed-signers", allowed.as_bytes())?;
        let mut setting = std::ffi::OsString::from("gpg.ssh.allowedSignersFile=");
        setting.push(&allowed.path);
        let command = GitCommand::new(["-c".into(), setting, verb.into(), "--raw".into(), id.as_str().into()]);
        let output = self.output(&command)?;
        Ok(read_seal(output.success, &output.stderr))
    }
}

impl Repo {
    /// An ssh signature of a kind this process checks, checked; `None` for any other.
    fn verify_ssh_here(&self, tag: &super::TagObject, ssh_keys: &[String]) -> Result<Option<Seal>, GitError> {
        let what = || format!("tag object {}", tag.id.short());
        let object =
            self.repo.find_object(super::from_id(&tag.id)?).map_err(|e| super::read_error(what())(e.into()))?;
        let data: &[u8] = &object.data;
        let armor = b"-----BEGIN SSH SIGNATURE-----";
        let Some(start) = data.windows(armor.len()).rposition(|w| w == armor) else { return Ok(None) };
        let Ok(armored) = std::str::from_utf8(&data[start..]) else {
            return Ok(Some(Seal::Bad("the signature block is not text".into())));
        };
        Ok(match sshsig::verify(&data[..start], armored, "git") {
            Checked::Unsupported => None,
            Checked::Bad(why) => Some(Seal::Bad(why)),
            Checked::Good(blob) => {
                Some(match ssh_keys.iter().position(|key| sshsig::key_blob(key).is_some_and(|listed| listed == blob)) {
                    Some(index) => Seal::SshKey(index),
                    None => Seal::Unlisted(sshsig::key_shown(&blob)),
                })
            }
        })
    }
}

/// What `git verify-tag --raw` printed, read: an ssh principal `key-<n>`, or gpg's `VALIDSIG`.
fn read_seal(success: bool, stderr: &str) -> Seal {
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("[GNUPG:] VALIDSIG ") {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let key = fields.first().copied().unwrap_or_default().to_ascii_uppercase();
            let primary = fields.get(9).map_or_else(|| key.clone(), |p| p.to_ascii_uppercase());
            let good = stderr.lines().any(|l| l.starts_with("[GNUPG:] GOODSIG "));
            if good {
                return Seal::Fingerprint { key, primary };
            }
        }
        // ssh-keygen found the signature good but no allowed signer with its key.
        if let Some(key) = line.strip_prefix("Good \"git\" signature with ") {
            return Seal::Unlisted(format!("the {}", key.trim()));
        }
        if success && let Some(rest) = line.strip_prefix("Good \"git\" signature for key-") {
            let index = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            if let Some(index) = index {
                return Seal::SshKey(index);
            }
        }
    }
    let why = stderr.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("[GNUPG:]"));
    Seal::Bad(why.unwrap_or("the signature does not verify").to_owned())
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A file only this user can read, removed when dropped unless it was named from outside.
struct Scratch {
    path: PathBuf,
    owned: bool,
}

impl Scratch {
    fn new(what: &str, content: &[u8]) -> Result<Scratch, GitError> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let next = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("git-release-{what}-{}-{nanos}-{next}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(content));
        written.map_err(|source| GitError::WriteFile { path: path.clone(), source })?;
        Ok(Scratch { path, owned: true })
    }

    /// A file a program writes for us, removed when dropped.
    fn written_by_program(path: PathBuf) -> Scratch {
        Scratch { path, owned: true }
    }

    /// A file of the user's, never removed.
    fn outside(path: PathBuf) -> Scratch {
        Scratch { path, owned: false }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Seal, read_seal};

    #[test]
    fn verification_is_read_from_what_git_prints() {
        let ssh = "Good \"git\" signature for key-1 with ED25519 key SHA256:abc\n";
        assert_eq!(read_seal(true, ssh), Seal::SshKey(1));
        assert!(matches!(read_seal(false, ssh), Seal::Bad(_)), "git's own verdict counts too");
        let gpg = "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123 Rel <rel@x>\n[GNUPG:] VALIDSIG aaaa 2026-11-21 \
                   1795256100 0 4 0 22 10 00 bbbb\n";
        assert_eq!(read_seal(true, gpg), Seal::Fingerprint { key: "AAAA".into(), primary: "BBBB".into() });
        let unlisted = "Good \"git\" signature with ED25519 key SHA256:35BF\nNo principal matched.\n";
        assert_eq!(read_seal(false, unlisted), Seal::Unlisted("the ED25519 key SHA256:35BF".into()));
        let unknown = "No principal matched.\nerror: could not verify\n";
        assert_eq!(read_seal(false, unknown), Seal::Bad("No principal matched.".into()));
        assert_eq!(read_seal(false, "[GNUPG:] BADSIG 0123 Rel\n"), Seal::Bad("the signature does not verify".into()));
    }
}
