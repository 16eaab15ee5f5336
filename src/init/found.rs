//! What `init` starts from: the settings (a release file found here, kept, or one made from the
//! arguments) and each environment branch as it stands, here and on the remote.

use crate::config::template::{self, DEFAULT_ENVIRONMENTS};
use crate::config::{self, Content, FILE_NAME, Origin, edit};
use crate::error::{Error, Kind};
use crate::git::Repo;
use crate::object_id::ObjectId;
use crate::version::{Cut, WIP};

use super::{Options, Refusal, SignWith};

/// One environment as `init` sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub branch: String,
    pub cut: Cut,
}

/// The environments, and the release file each gets where its branch has none.
pub struct Settings {
    pub environments: Vec<Target>,
    /// `(version, text)` for each environment, in order.
    pub files: Vec<(String, String)>,
    /// Where the release file that decides was found (`HEAD`, or a branch at a commit); `None`
    /// when it is made from the arguments.
    pub found: Option<String>,
    /// The application repository the release file names.
    pub app: String,
}

/// The settings: the release file HEAD or `release.configRef` holds, kept as it is but for the
/// version of each environment, else one made from the arguments.
///
/// # Errors
/// Arguments that make no valid release file, or that a release file found here overrules; a
/// release file found here that is not valid.
pub fn settings(repo: &Repo, remote: &str, args: &Options, sign: Option<&SignWith>) -> Result<Settings, Error> {
    if let Some((content, place)) = found_file(repo, remote)? {
        return kept(&content, place, args, sign);
    }
    if let (true, Some(reference)) = (args.environments.is_empty(), repo.config_string("release.configRef")) {
        return Err(Refusal::SettingsMissing { reference }.into());
    }
    let named = if args.environments.is_empty() {
        DEFAULT_ENVIRONMENTS.iter().map(|n| ((*n).to_owned(), None)).collect()
    } else {
        args.environments.clone()
    };
    let laid = template::layout(&named);
    let mut files = Vec::new();
    for env in &laid {
        let version = if env.cut == Cut::None { WIP } else { args.version.as_str() };
        let mut text = template::render(version, &args.app, &laid);
        if let Some(sign) = sign {
            text.push_str(&template::trust(&sign.signer, &laid));
        }
        if let Some(kind) = &args.forge {
            text.push_str(&template::forge(kind, args.forge_api.as_deref()));
        }
        files.push((version.to_owned(), text));
    }
    let environments =
        laid.into_iter().map(|e| Target { name: e.name, branch: e.branch, cut: e.cut }).collect::<Vec<_>>();
    check_files(&environments, &files, "--env, --app, --version and --forge")?;
    Ok(Settings { environments, files, found: None, app: args.app.clone() })
}

/// The release file that decides, and where it was found: the one on the branch
/// `release.configRef` names; else the last environment's branch's, as HEAD's file names it;
/// else HEAD's.
/// An earlier environment's branch is one more people may push to: its file is the settings only
/// where nothing better is there.
fn found_file(repo: &Repo, remote: &str) -> Result<Option<(Content, String)>, Error> {
    if let Some(reference) = repo.config_string("release.configRef") {
        // Not the file proposed on release-init/<branch>: anyone who may push a branch may push
        // that one.
        if let Some(branch) = reference.strip_prefix("refs/heads/") {
            for (name, shown) in [
                (format!("refs/heads/{branch}"), branch.to_owned()),
                (format!("refs/remotes/{remote}/{branch}"), format!("{remote}/{branch}")),
            ] {
                if let Some(found) = file_at(repo, &name, &shown)? {
                    return Ok(Some(found));
                }
            }
        }
    }
    let Some(head) = repo.head_commit()? else { return Ok(None) };
    let Some(content) = repo.read_top_file(&head, FILE_NAME)? else { return Ok(None) };
    let last = config::parse(&content, &Origin { place: "HEAD".into(), branch: None })
        .ok()
        .and_then(|file| file.environments.last().map(|e| e.branch.clone()));
    if let Some(last) = last {
        for (name, shown) in [
            (format!("refs/heads/{last}"), last.clone()),
            (format!("refs/remotes/{remote}/{last}"), format!("{remote}/{last}")),
        ] {
            if let Some(found) = file_at(repo, &name, &shown)? {
                return Ok(Some(found));
            }
        }
    }
    let branch = repo.head_branch()?.map_or_else(|| "HEAD".to_owned(), |b| format!("HEAD ({b})"));
    Ok(Some((content, branch)))
}

/// The release file at the tip of reference `name`, shown as `shown at <commit>`.
fn file_at(repo: &Repo, name: &str, shown: &str) -> Result<Option<(Content, String)>, Error> {
    let Some(commit) = repo.reference(name)? else { return Ok(None) };
    Ok(repo.read_top_file(&commit, FILE_NAME)?.map(|content| (content, format!("{shown} at {}", commit.short()))))
}

/// The settings of a release file found here: its environments, and its text for each, with the
/// version that environment takes.
fn kept(content: &Content, place: String, args: &Options, sign: Option<&SignWith>) -> Result<Settings, Error> {
    let origin = Origin { place: place.clone(), branch: None };
    let file = config::parse(content, &origin)?;
    // The arguments of the run that wrote the file may be given again: only what it would change
    // is refused.
    let named: Vec<(String, String)> =
        template::layout(&args.environments).into_iter().map(|e| (e.name, e.branch)).collect();
    let listed: Vec<(String, String)> = file.environments.iter().map(|e| (e.name.clone(), e.branch.clone())).collect();
    let signer = sign.and_then(|s| config::read_signer(&s.signer).ok());
    let trusted = |signer: &config::Signer| file.trust.signers.iter().all(|(_, keys)| keys.contains(signer));
    let overruled = [
        (!args.environments.is_empty() && named != listed, "--env"),
        (args.app != "." && args.app != file.app.repo, "--app"),
        (args.version != super::DEFAULT_VERSION && args.version != file.version.to_string(), "--version"),
        (sign.is_some() && !signer.as_ref().is_some_and(|s| !file.trust.signers.is_empty() && trusted(s)), "--sign"),
        (args.forge.is_some() && file.forge.is_none(), "--forge"),
    ];
    if let Some((_, flag)) = overruled.iter().find(|(given, _)| *given) {
        return Err(Refusal::FileDecides { place, flag: (*flag).to_owned() }.into());
    }
    let Content::Bytes(bytes) = content else { unreachable!("parse refuses files too large to read") };
    let text = String::from_utf8(bytes.clone()).expect("parse refuses files that are not UTF-8");
    let environments: Vec<Target> = file
        .environments
        .iter()
        .map(|e| Target { name: e.name.clone(), branch: e.branch.clone(), cut: e.cut })
        .collect();
    let mut files = Vec::new();
    for env in &environments {
        let version = match (env.cut, file.version.to_string()) {
            (Cut::None, _) => WIP.to_owned(),
            (_, version) if version == WIP => super::DEFAULT_VERSION.to_owned(),
            (_, version) => version,
        };
        let edited = edit::set_version(&text, &version).map_err(|e| {
            Error::new(Kind::Config, format!("cannot set {}'s version in {FILE_NAME} of {place}", env.name))
                .cause(e.to_string())
        })?;
        files.push((version, edited));
    }
    check_files(&environments, &files, FILE_NAME)?;
    Ok(Settings { environments, files, found: Some(place), app: file.app.repo })
}

/// Each environment's release file, checked as its branch will read it.
fn check_files(environments: &[Target], files: &[(String, String)], what: &str) -> Result<(), Error> {
    for (env, (_, text)) in environments.iter().zip(files) {
        let origin = Origin { place: format!("{} (to be written)", env.branch), branch: Some(env.branch.clone()) };
        config::parse(&Content::Bytes(text.clone().into_bytes()), &origin).map_err(|error| {
            let mut error = Error::from(error);
            error.message = format!("the settings make an invalid {FILE_NAME} for {}", env.branch);
            error.hints = vec![format!("check the values of {what}")];
            error
        })?;
    }
    Ok(())
}

/// An environment branch as `init` finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where the release file goes: the remote's branch when it has one, else this repository's.
    pub tip: Option<ObjectId>,
    /// The tip is the remote's.
    pub on_remote: bool,
    pub local: Option<ObjectId>,
    /// The version of the release file the branch holds already, which is kept.
    pub kept: Option<String>,
    /// That file's text.
    pub kept_text: Option<String>,
}

/// Each environment branch, with the release file it holds checked against the settings.
///
/// # Errors
/// A local branch with commits its remote lacks, a release file on a branch that is not valid
/// or lists other environments.
pub fn branches(repo: &Repo, remote: Option<&str>, settings: &Settings) -> Result<Vec<Found>, Error> {
    let wanted: Vec<(&str, &str)> =
        settings.environments.iter().map(|e| (e.name.as_str(), e.branch.as_str())).collect();
    // Every branch's release file must have the settings init brings, but for its version.
    let compared = settings.files.first().and_then(|(_, text)| edit::settings_only(text));
    let mut found = Vec::new();
    for env in &settings.environments {
        let local = repo.reference(&format!("refs/heads/{}", env.branch))?;
        let tracking = match remote {
            Some(remote) => repo.reference(&format!("refs/remotes/{remote}/{}", env.branch))?,
            None => None,
        };
        if let (Some(local), Some(tracking), Some(remote)) = (&local, &tracking, remote) {
            if !repo.is_ancestor(local, tracking)? {
                return Err(Refusal::LocalAhead { branch: env.branch.clone(), remote: remote.to_owned() }.into());
            }
        }
        let on_remote = tracking.is_some();
        let tip = tracking.or_else(|| local.clone());
        let (kept, kept_text) = match &tip {
            Some(tip) => kept_version(repo, env, tip, &wanted, compared.as_deref())?.unzip(),
            None => (None, None),
        };
        found.push(Found { tip, on_remote, local, kept, kept_text });
    }
    Ok(found)
}

/// The version of the release file at `tip`, when there is one: valid, and with the same
/// settings as `settings` (`None`: listing the same environments on the same branches).
fn kept_version(
    repo: &Repo,
    env: &Target,
    tip: &ObjectId,
    wanted: &[(&str, &str)],
    settings: Option<&str>,
) -> Result<Option<(String, String)>, Error> {
    let entries = repo.top_entries(tip)?;
    if entries.iter().any(|e| e.name == FILE_NAME.as_bytes() && !e.is_file()) {
        return Err(Refusal::NotAFile { place: format!("{} at {}", env.branch, tip.short()) }.into());
    }
    let Some(content) = repo.read_top_file(tip, FILE_NAME)? else { return Ok(None) };
    let place = format!("{} at {}", env.branch, tip.short());
    let file = config::parse(&content, &Origin { place: place.clone(), branch: Some(env.branch.clone()) })?;
    let listed: Vec<(&str, &str)> = file.environments.iter().map(|e| (e.name.as_str(), e.branch.as_str())).collect();
    let shown = |list: &[(&str, &str)]| list.iter().map(|(n, b)| format!("{n}={b}")).collect::<Vec<_>>().join(" ");
    if listed != wanted {
        let why = format!("it lists {}; the settings list {}", shown(&listed), shown(wanted));
        return Err(Refusal::Disagrees { place, why }.into());
    }
    let Content::Bytes(bytes) = &content else { unreachable!("parse refuses files too large to read") };
    let text = String::from_utf8_lossy(bytes);
    if let Some(settings) = settings {
        if edit::settings_only(&text).as_deref() != Some(settings) {
            let why = "they differ in more than the version".to_owned();
            return Err(Refusal::Disagrees { place, why }.into());
        }
    }
    Ok(Some((file.version.to_string(), text.into_owned())))
}
