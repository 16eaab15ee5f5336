//! The release file `init` writes, from `templates/release.toml`.

use crate::version::Cut;

const TEMPLATE: &str = include_str!("../../templates/release.toml");

/// One environment as `init` lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnvironment {
    pub name: String,
    pub branch: String,
    pub cut: Cut,
    pub after: Option<String>,
    pub restricted: bool,
}

/// The environments `init` creates when none are named.
pub const DEFAULT_ENVIRONMENTS: [&str; 3] = ["dev", "qa", "prod"];

/// Lays out environments in promotion order: the last cuts final tags and is restricted; a
/// first one named `dev` (or the only one) cuts none and runs branches as `WIP`; every other cuts
/// rc tags. Each environment that cuts tags comes after the one before it where that one cuts
/// tags too: a promotion between them then carries the same version, as merging one
/// environment's branch into the next does where the code lives in the release repository.
#[must_use]
pub fn layout(named: &[(String, Option<String>)]) -> Vec<NewEnvironment> {
    let count = named.len();
    let cuts: Vec<Cut> = named
        .iter()
        .enumerate()
        .map(|(index, (name, _))| match index {
            _ if count == 1 => Cut::None,
            _ if index == count - 1 => Cut::Final,
            0 if name == "dev" => Cut::None,
            _ => Cut::Rc,
        })
        .collect();
    named
        .iter()
        .enumerate()
        .map(|(index, (name, branch))| {
            let after = (index > 0 && cuts[index] != Cut::None && cuts[index - 1] != Cut::None)
                .then(|| named[index - 1].0.clone());
            NewEnvironment {
                name: name.clone(),
                branch: branch.clone().unwrap_or_else(|| format!("environment/{name}")),
                cut: cuts[index],
                after,
                restricted: count > 1 && index == count - 1,
            }
        })
        .collect()
}

/// The commented release file with this version, application repository and environments.
#[must_use]
pub fn render(version: &str, app: &str, environments: &[NewEnvironment]) -> String {
    let mut tables = String::new();
    for env in environments {
        tables.push_str(&format!(
            "\n[[environments]]\nname = {}\nbranch = {}\ncut = \"{}\"\n",
            quote(&env.name),
            quote(&env.branch),
            env.cut
        ));
        if let Some(after) = &env.after {
            tables.push_str(&format!("after = {}\n", quote(after)));
        }
        if env.restricted {
            tables.push_str("restricted = true\n");
        }
    }
    fill(TEMPLATE, &[("version", &quote(version)), ("app", &quote(app)), ("environments", &tables)])
}

/// `[trust]` enforced, with one signer for every environment: where a team starts before each
/// deploy job has a key of its own.
#[must_use]
pub fn trust(signer: &str, environments: &[NewEnvironment]) -> String {
    let mut section = String::from(
        "\n# Records and version tags count only when a key listed for their environment signed them.\n\
         # Give each environment's deploy job a key of its own and list it here (see \"Trust\" in\n\
         # git-release's docs/gate.md); the settings of the environment a change enters decide whose keys count.\n\
         [trust]\nmode = \"enforce\"\n\n[trust.signers]\n",
    );
    for env in environments {
        section.push_str(&format!("{} = [{}]\n", quote_key(&env.name), quote(signer)));
    }
    section
}

/// `[forge]`, for a remote whose address does not say which forge it is on.
#[must_use]
pub fn forge(kind: &str, api: Option<&str>) -> String {
    let mut section = format!("\n[forge]\nkind = {}\n", quote(kind));
    if let Some(api) = api {
        section.push_str(&format!("api = {}\n", quote(api)));
    }
    section
}

fn quote_key(name: &str) -> String {
    toml_edit::Key::new(name).display_repr().into_owned()
}

/// Replaces each `{{name}}` of the template in one pass, so values are never read as placeholders.
pub(super) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let found = after
            .find("}}")
            .and_then(|end| values.iter().find(|(name, _)| *name == &after[..end]).map(|(_, value)| (end, *value)));
        if let Some((end, value)) = found {
            out.push_str(value);
            rest = &after[end + 2..];
        } else {
            out.push_str("{{");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn quote(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<(String, Option<String>)> {
        names.iter().map(|n| ((*n).to_owned(), None)).collect()
    }

    #[test]
    fn default_layout_is_dev_qa_prod() {
        let envs = layout(&named(&DEFAULT_ENVIRONMENTS));
        let summary: Vec<_> = envs.iter().map(|e| (e.name.as_str(), e.cut, e.after.as_deref(), e.restricted)).collect();
        assert_eq!(
            summary,
            [("dev", Cut::None, None, false), ("qa", Cut::Rc, None, false), ("prod", Cut::Final, Some("qa"), true)]
        );
        assert_eq!(envs[0].branch, "environment/dev");
    }

    #[test]
    fn values_that_look_like_placeholders_stay_values() {
        let text = render("{{app}}", "{{environments}}", &layout(&named(&["qa"])));
        assert!(text.contains("version = \"{{app}}\"\n"), "{text}");
        assert!(text.contains("repo = \"{{environments}}\"\n"), "{text}");
    }

    #[test]
    fn environments_without_dev_each_cut_versions_and_follow_the_one_before() {
        let envs = layout(&named(&["qa", "stage", "prod"]));
        let summary: Vec<_> = envs.iter().map(|e| (e.name.as_str(), e.cut, e.after.as_deref(), e.restricted)).collect();
        assert_eq!(
            summary,
            [
                ("qa", Cut::Rc, None, false),
                ("stage", Cut::Rc, Some("qa"), false),
                ("prod", Cut::Final, Some("stage"), true)
            ]
        );
    }

    #[test]
    fn a_single_environment_cuts_nothing() {
        assert_eq!(layout(&named(&["live"]))[0].cut, Cut::None);
    }

    #[test]
    fn rendered_file_quotes_values() {
        let text = render("1.0.0", "https://example.com/a \"b\".git", &layout(&named(&["qa", "prod"])));
        assert!(text.contains("version = \"1.0.0\"\n"), "{text}");
        assert!(text.contains(r#"repo = 'https://example.com/a "b".git'"#), "{text}");
        assert!(text.contains("[[environments]]\nname = \"prod\"\nbranch = \"environment/prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n"));
    }
}
