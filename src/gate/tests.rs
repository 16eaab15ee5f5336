use jiff::Timestamp;

use super::*;
use crate::record::Deployment;

fn id(n: u8) -> ObjectId {
    ObjectId::from_hex(&format!("{n:02x}").repeat(20)).expect("hex")
}

fn environment(name: &str, cut: Cut, after: Option<&str>) -> Environment {
    Environment {
        cut,
        after: after.map(|after| vec![after.to_owned()]).unwrap_or_default(),
        restricted: after.is_some(),
        ..Environment::new(name, &format!("environment/{name}"))
    }
}

fn environments() -> Vec<Environment> {
    vec![
        environment("dev", Cut::None, None),
        environment("qa", Cut::Rc, Some("dev")),
        environment("prod", Cut::Final, Some("qa")),
    ]
}

fn record(tag: &str, environment: &str, version: &str, commit: ObjectId) -> Record {
    let deployment = Deployment {
        environment: environment.into(),
        version: version.into(),
        commit,
        release_commit: None,
        pipeline: None,
        deployed_by: None,
        branch: None,
        version_tag: None,
        time: Timestamp::UNIX_EPOCH,
        rollback_of: None,
        components: std::collections::BTreeMap::new(),
    };
    deployment.into_record(tag.into(), 1)
}

struct Case {
    environments: Vec<Environment>,
    target: usize,
    one_repository: bool,
    source: Option<String>,
    incoming: Result<Version, Vec<String>>,
    edits: Vec<String>,
    edits_vouched: Option<crate::trust::Use>,
    deploys: Option<Result<ObjectId, String>>,
    candidate: Option<Result<String, String>>,
    previous: Option<Deployed>,
    /// What the environments after the first that the target comes after deployed.
    more_previous: Vec<Deployed>,
    itself: Deployed,
    rollback: Option<Record>,
    rebuilt_extra: Vec<String>,
    rebuilt_foreign_file: bool,
    approvals: Option<crate::approval::Tally>,
}

impl Case {
    /// A promotion of 1.4.0 from qa into prod, which qa deployed on commit 1.
    fn prod() -> Case {
        let on_qa = record("1.4.0.20261121T101500Z.qa", "qa", "1.4.0", id(1));
        Case {
            environments: environments(),
            target: 2,
            one_repository: false,
            source: Some("environment/qa".into()),
            incoming: Ok(Version::parse("1.4.0").expect("version")),
            edits: Vec::new(),
            edits_vouched: None,
            deploys: Some(Ok(id(1))),
            candidate: Some(Ok("v1.4.0-rc.2".into())),
            previous: Some(Deployed { matching: Some(on_qa.clone()), latest: Some(on_qa) }),
            more_previous: Vec::new(),
            itself: Deployed::default(),
            rollback: None,
            rebuilt_extra: Vec::new(),
            rebuilt_foreign_file: false,
            approvals: None,
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let head = id(9);
        evaluate(&Snapshot {
            target: &self.environments[self.target],
            environments: &self.environments,
            one_repository: self.one_repository,
            source: self.source.as_deref(),
            head: &head,
            incoming: self.incoming.clone(),
            edits: self.edits.clone(),
            edits_vouched: self.edits_vouched.clone(),
            deploys: self.deploys.clone(),
            candidate: self.candidate.clone(),
            previous: self.previous.clone().into_iter().chain(self.more_previous.clone()).collect(),
            itself: self.itself.clone(),
            rollback: self.rollback.clone(),
            rebuilt_extra: self.rebuilt_extra.clone(),
            rebuilt_foreign_file: self.rebuilt_foreign_file,
            approvals: self.approvals.clone(),
        })
    }

    fn failed(&self) -> Vec<&'static str> {
        self.findings().iter().filter(|f| !f.ok).map(|f| f.check.as_str()).collect()
    }
}

fn checks(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.check.as_str()).collect()
}

#[test]
fn a_promotion_that_qa_deployed_passes_every_check() {
    let findings = Case::prod().findings();
    assert_eq!(
        checks(&findings),
        [
            "promotion-path",
            "release-file",
            "release-settings",
            "version-valid",
            "release-candidate",
            "previous-deployed",
            "previous-current"
        ]
    );
    assert!(allows(&findings), "{findings:#?}");
    assert!(findings.iter().all(|f| f.hint.is_none()));
    let settings = findings.iter().find(|f| f.check == Check::ReleaseSettings).expect("release-settings");
    assert_eq!(settings.message, "the change edits no setting; prod's own settings judge it");
}

#[test]
fn a_change_that_edits_settings_says_which_and_passes_on_that_alone() {
    let mut case = Case::prod();
    case.edits = vec!["environments.prod.after (removed)".into(), "forge.api".into()];
    let findings = case.findings();
    assert!(allows(&findings), "edits are shown, not judged: the settings before them judge");
    let settings = findings.iter().find(|f| f.check == Check::ReleaseSettings).expect("release-settings");
    assert!(settings.message.starts_with("the change edits environments.prod.after (removed), forge.api;"));
}

#[test]
fn under_enforced_trust_an_edit_of_a_restricted_environments_settings_needs_its_signer() {
    use crate::trust::Use;
    let mut case = Case::prod();
    case.edits = vec!["environments.prod.restricted".into()];
    case.edits_vouched = Some(Use::Ignored("commit 9999999 does not count: it is not signed".into()));
    assert_eq!(case.failed(), ["release-settings"]);
    let finding = case.findings().into_iter().find(|f| f.check == Check::ReleaseSettings).expect("release-settings");
    assert_eq!(
        finding.message,
        "the change edits environments.prod.restricted of restricted prod, and commit 9999999 does not count: it is not signed"
    );
    let hint = finding.hint.unwrap_or_default();
    assert!(hint.contains("signed (git commit -S) by a key [trust.signers] lists for prod"), "{hint}");
    // A promotion that only lacks a setting prod gained on its own is told how to edit none.
    assert!(hint.contains("a promotion that should change none carries prod's settings as they are"), "{hint}");
    case.edits_vouched = Some(Use::Counts);
    assert!(case.failed().is_empty(), "signed by prod's key");
    case.edits_vouched = Some(Use::Warned("commit 9999999 counts although it is not signed".into()));
    assert!(case.failed().is_empty(), "warn only says so");
}

#[test]
fn a_commit_qa_has_not_deployed_is_refused_with_a_hint() {
    let mut case = Case::prod();
    case.previous = Some(Deployed { matching: None, latest: Some(record("x.qa", "qa", "1.4.0", id(2))) });
    let findings = case.findings();
    assert!(!allows(&findings));
    let finding = findings.iter().find(|f| f.check == Check::PreviousDeployed).expect("previous-deployed");
    assert_eq!(finding.message, "qa has not deployed 0101010, which prod would deploy");
    assert!(finding.hint.as_deref().is_some_and(|h| h.contains("git release record qa")));
    assert_eq!(case.failed(), ["previous-deployed"], "previous-current needs a matching record to judge");
}

#[test]
fn a_record_replaced_since_fails_previous_current_unless_turned_off() {
    let mut case = Case::prod();
    let newer = record("1.3.9.20261122T000000Z.qa", "qa", "1.3.9", id(3));
    case.previous.as_mut().expect("previous").latest = Some(newer);
    assert_eq!(case.failed(), ["previous-current"]);
    case.environments[2].previous_current = false;
    assert!(allows(&case.findings()));
    assert!(!checks(&case.findings()).contains(&"previous-current"));
}

#[test]
fn the_promotion_path_follows_after() {
    let mut case = Case::prod();
    case.source = Some("environment/dev".into());
    let findings = case.findings();
    let path = &findings[0];
    assert!(!path.ok);
    assert_eq!(
        path.message,
        "prod comes after qa, so changes enter it from environment/qa only; environment/dev is the branch of dev"
    );
    case.source = None;
    assert!(!checks(&case.findings()).contains(&"promotion-path"), "a direct push has no path to judge");
}

#[test]
fn feature_branches_enter_only_the_first_environment_of_one_repository() {
    let mut environments = environments();
    environments[1].after = Vec::new();
    let mut case = Case { environments, target: 1, one_repository: true, ..Case::prod() };
    case.source = Some("feature/x".into());
    case.previous = None;
    case.candidate = None;
    assert_eq!(case.failed(), ["promotion-path"]);
    case.target = 0;
    assert!(allows(&case.findings()));
    case.one_repository = false;
    case.target = 1;
    assert!(allows(&case.findings()), "a release repository's feature branches may change any first-hop environment");
}

#[test]
fn an_invalid_release_file_skips_the_checks_that_need_its_version() {
    let mut case = Case::prod();
    case.incoming = Err(vec!["line 1, column 11: invalid semver".into()]);
    case.deploys = None;
    case.candidate = None;
    let findings = case.findings();
    assert_eq!(checks(&findings), ["promotion-path", "release-file", "previous-deployed", "previous-current"]);
    assert_eq!(case.failed(), ["release-file", "previous-deployed"]);
}

#[test]
fn a_version_that_does_not_suit_the_cut_is_refused() {
    let mut case = Case::prod();
    case.incoming = Ok(Version::parse("WIP").expect("version"));
    assert!(case.failed().contains(&"version-valid"));
}

#[test]
fn require_bump_compares_with_the_targets_last_deployment() {
    let mut case = Case::prod();
    case.environments[2].require_bump = true;
    assert!(allows(&case.findings()), "a first deployment needs no bump");
    case.itself.latest = Some(record("1.4.0.20261120T000000Z.prod", "prod", "1.4.0", id(4)));
    assert_eq!(case.failed(), ["version-bumped"]);
    case.itself.latest = Some(record("1.3.10.20261120T000000Z.prod", "prod", "1.3.10", id(4)));
    assert!(allows(&case.findings()), "1.4.0 > 1.3.10 in semver order");
}

#[test]
fn a_final_without_a_candidate_fails_both_checks_that_need_it() {
    let mut case = Case::prod();
    let why = "1.4.0 has no release candidate".to_owned();
    case.candidate = Some(Err(why.clone()));
    case.deploys = Some(Err(why));
    case.previous.as_mut().expect("previous").matching = None;
    assert_eq!(case.failed(), ["release-candidate", "previous-deployed"]);
}

#[test]
fn tree_matches_say_which_commit_was_deployed() {
    let mut case = Case::prod();
    case.environments[2].match_ = Match::Tree;
    case.deploys = Some(Ok(id(5)));
    let findings = case.findings();
    let finding = findings.iter().find(|f| f.check == Check::PreviousDeployed).expect("previous-deployed");
    assert!(finding.ok);
    assert_eq!(finding.message, "qa deployed 0101010 (the tree of 0505050) as 1.4.0.20261121T101500Z.qa");
}

#[test]
fn gate_self_needs_the_target_to_have_deployed_the_change() {
    let mut case = Case::prod();
    case.environments[2].gate = GateMode::Self_;
    assert_eq!(case.failed(), ["self-deployed"]);
    case.itself.matching = Some(record("1.4.0.20261121T120000Z.prod", "prod", "1.4.0", id(1)));
    assert!(allows(&case.findings()));
}

#[test]
fn a_rollback_to_what_the_target_ran_needs_no_previous_environment() {
    let mut case = Case::prod();
    case.source = None;
    case.incoming = Ok(Version::parse("1.3.0").expect("version"));
    case.deploys = Some(Ok(id(3)));
    case.previous = Some(Deployed::default());
    case.environments[2].require_bump = true;
    let bad = record("1.4.0.20261121T101500Z.prod", "prod", "1.4.0", id(4));
    case.itself = Deployed { matching: None, latest: Some(bad) };
    assert_eq!(case.failed(), ["version-bumped", "previous-deployed"], "without the rollback");
    case.rollback = Some(record("1.3.0.20261120T101500Z.prod", "prod", "1.3.0", id(3)));
    let findings = case.findings();
    assert!(allows(&findings), "{findings:?}");
    assert_eq!(checks(&findings), ["release-file", "release-settings", "version-valid", "rollback"]);
    let rollback = findings.last().expect("a rollback finding");
    assert!(rollback.message.contains("prod ran 1.3.0"), "{}", rollback.message);
}

#[test]
fn a_rollback_with_an_invalid_release_file_is_still_refused() {
    let mut case = Case::prod();
    case.incoming = Err(vec!["line 1: bad".into()]);
    case.rollback = Some(record("1.3.0.20261120T101500Z.prod", "prod", "1.3.0", id(3)));
    assert!(case.failed().contains(&"release-file"));
}

#[test]
fn require_bump_does_not_pass_when_the_target_cannot_be_told() {
    let mut case = Case::prod();
    case.environments[2].require_bump = true;
    case.deploys = Some(Err("the application repository has not been fetched here".into()));
    let findings = case.findings();
    let bumped = findings.iter().find(|f| f.check == Check::VersionBumped).expect("a version-bumped finding");
    assert!(!bumped.ok, "{bumped:?}");
    assert!(bumped.message.contains("cannot tell what prod last deployed"), "{}", bumped.message);
}

#[test]
fn self_deployed_needs_the_targets_latest_deployment_to_be_the_head() {
    let mut case = Case::prod();
    case.environments[2].gate = GateMode::Self_;
    let once = record("1.4.0.20261121T100000Z.prod", "prod", "1.4.0", id(1));
    let since = record("1.3.0.20261121T110000Z.prod", "prod", "1.3.0", id(3));
    case.itself = Deployed { matching: Some(once.clone()), latest: Some(once.clone()) };
    assert!(allows(&case.findings()), "prod runs the head");
    case.itself = Deployed { matching: Some(once), latest: Some(since) };
    let findings = case.findings();
    let self_deployed = findings.iter().find(|f| f.check == Check::SelfDeployed).expect("a self-deployed finding");
    assert!(!self_deployed.ok);
    assert!(self_deployed.message.contains("but has deployed 0303030 since"), "{}", self_deployed.message);
}

/// Found by an independent pass: anyone who could push to promote/prod could add a file (a
/// deploy script) to git-release's own promotion, and the gate let it through by its branch name.
#[test]
fn a_rebuilt_promotion_carries_the_release_file_and_nothing_else() {
    let rebuilt = Case { source: Some("promote/prod".into()), ..Case::prod() };
    assert!(rebuilt.failed().is_empty(), "{:?}", rebuilt.findings());
    // Found by a later pass: a release file of someone's own (a pin of their branch) on
    // promote/prod was said to be qa's, and passed.
    let foreign = Case { source: Some("promote/prod".into()), rebuilt_foreign_file: true, ..Case::prod() };
    assert_eq!(foreign.failed(), ["promotion-path"]);
    let finding = foreign.findings().into_iter().find(|f| !f.ok).expect("a failure");
    assert!(
        finding.message.starts_with("promote/prod's release.toml is not the one environment/qa holds"),
        "{}",
        finding.message
    );
    let smuggled = Case { rebuilt_extra: vec!["deploy.sh".into()], ..rebuilt };
    assert_eq!(smuggled.failed(), ["promotion-path"]);
    let finding = smuggled.findings().into_iter().find(|f| !f.ok).expect("a failure");
    assert!(finding.message.starts_with("promote/prod changes deploy.sh beside release.toml"), "{}", finding.message);
    assert_eq!(finding.hint.as_deref(), Some("rebuild it: git release promote qa prod --rebuild"));
}

/// global comes after eu and us, each of which comes after dev.
fn fanned() -> Case {
    let mut global = environment("global", Cut::Final, Some("eu"));
    global.after.push("us".into());
    let on = |env: &str| record(&format!("1.4.0.20261121T101500Z.{env}"), env, "1.4.0", id(1));
    Case {
        environments: vec![
            environment("dev", Cut::Rc, None),
            environment("eu", Cut::Final, Some("dev")),
            environment("us", Cut::Final, Some("dev")),
            global,
        ],
        target: 3,
        source: Some("environment/us".into()),
        previous: Some(Deployed { matching: Some(on("eu")), latest: Some(on("eu")) }),
        more_previous: vec![Deployed { matching: Some(on("us")), latest: Some(on("us")) }],
        ..Case::prod()
    }
}

#[test]
fn a_fan_in_needs_every_environment_before_to_have_deployed_the_commit() {
    let mut case = fanned();
    assert!(case.failed().is_empty(), "{:?}", case.findings());
    let path = case.findings().into_iter().find(|f| f.check == Check::PromotionPath).expect("path");
    assert_eq!(
        path.message,
        "global comes after eu and us; environment/us is the branch of us; eu must have run it too"
    );

    case.more_previous[0].matching = None;
    assert_eq!(case.failed(), ["previous-deployed"]);
    let finding = case.findings().into_iter().find(|f| f.check == Check::PreviousDeployed).expect("previous-deployed");
    assert_eq!(
        finding.message,
        "us has not deployed 0101010, which global would deploy (eu deployed 0101010 as 1.4.0.20261121T101500Z.eu)"
    );
    assert_eq!(finding.hint.as_deref(), Some("deploy it to us first; its pipeline ends with 'git release record us'"));

    case.previous.as_mut().expect("eu").matching = None;
    let finding = case.findings().into_iter().find(|f| f.check == Check::PreviousDeployed).expect("previous-deployed");
    assert_eq!(finding.message, "eu and us have not deployed 0101010, which global would deploy");
}

#[test]
fn a_fan_in_needs_each_deployment_before_to_be_current() {
    let mut case = fanned();
    case.more_previous[0].latest = Some(record("1.4.1.20261122T101500Z.us", "us", "1.4.1", id(2)));
    assert_eq!(case.failed(), ["previous-current"]);
    let finding = case.findings().into_iter().find(|f| f.check == Check::PreviousCurrent).expect("previous-current");
    assert!(finding.message.starts_with("us no longer runs it"), "{}", finding.message);
}

#[test]
fn a_fan_in_comes_from_one_of_the_branches_it_lists() {
    let mut case = fanned();
    case.source = Some("environment/dev".into());
    let path = case.findings().into_iter().find(|f| f.check == Check::PromotionPath).expect("path");
    assert!(!path.ok);
    assert_eq!(
        path.message,
        "global comes after eu and us, so changes enter it from environment/eu or environment/us only; environment/dev is the branch of dev"
    );
}
