//! Whether a promotion should be open into its environment now: the reconciler's rules, in their
//! order, over facts gathered beforehand. Pure: no git, no forge, no clock of its own.

use std::time::Duration;

use jiff::Timestamp;

use super::block::Marker;
use crate::config::Environment;
use crate::policy;
use crate::record::Deployment;

/// What the rules read of one promotion.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub from: &'a Environment,
    pub to: &'a Environment,
    /// The version the source's branch asks for.
    pub asks: &'a str,
    /// The source's latest deployment: what a promotion would carry.
    pub carried: Option<&'a Deployment>,
    /// The target's latest deployment.
    pub runs: Option<&'a Deployment>,
    /// The target's branch holds the source's head already, with the same release file.
    pub held: bool,
    /// Why the gate refuses the source's head, when it does: its first failed check.
    pub refused: Option<&'a str>,
}

/// What the rules call for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A promotion of this deployment should be open.
    Promote(Marker),
    /// No promotion should be open, for this reason.
    Nothing(String),
    /// Nothing new opens now (a freeze, a soak); what is open stays.
    Wait(String),
}

/// The marker of the deployment a promotion carries: the source's latest, when it deployed the
/// version its branch asks for.
#[must_use]
pub fn marker(from: &Environment, to: &Environment, asks: &str, carried: Option<&Deployment>) -> Option<Marker> {
    let carried = carried?;
    (carried.version == asks).then(|| Marker {
        from: from.name.clone(),
        to: to.name.clone(),
        version: carried.version.clone(),
        tag: carried.version_tag.clone(),
        commit: carried.commit.to_string(),
    })
}

/// The rules in order: nothing when the source deployed nothing or not what its branch asks,
/// when the target runs it or holds it already, when it is blocked or the gate refuses it; wait
/// in a freeze or a soak; else promote the source's latest deployment.
#[must_use]
pub fn call(facts: &Facts<'_>, now: Timestamp) -> Call {
    let (from, to) = (facts.from, facts.to);
    let Some(deployment) = facts.carried else {
        return Call::Nothing(format!("{} has deployed nothing yet", from.name));
    };
    let Some(marker) = marker(from, to, facts.asks, facts.carried) else {
        return Call::Nothing(format!(
            "{} asks for {}, which {} has not deployed yet (its latest deployment is {})",
            from.branch, facts.asks, from.name, deployment.version
        ));
    };
    let label = format!("{}'s {marker}", from.name);
    // The same commit under another version is not what the promotion brings: its release file
    // sets the version the target would then release.
    if facts.runs.is_some_and(|runs| runs.commit == deployment.commit && runs.version == deployment.version) {
        return Call::Nothing(format!("{} runs {label} already", to.name));
    }
    if facts.held {
        return Call::Nothing(format!("{} holds {}'s head already; its deployment is pending", to.branch, from.branch));
    }
    let tag = deployment.version_tag.as_deref();
    if let Some(blocked) = to.blocked.iter().find(|b| **b == deployment.version || tag == Some(b.as_str())) {
        return Call::Nothing(format!("{blocked} is blocked in {}", to.name));
    }
    if let Some(refused) = facts.refused {
        return Call::Nothing(format!("the gate refuses {label}: {refused}"));
    }
    if let Some(window) = to.freeze.iter().find(|w| w.contains(now)) {
        return Call::Wait(format!("{} is frozen ({window})", to.name));
    }
    if let Some(soak) = to.soak {
        let ran = Duration::from_secs(u64::try_from(now.as_second() - deployment.time.as_second()).unwrap_or(0));
        if ran < soak {
            return Call::Wait(format!(
                "{label} has run {} of the {} soak {} asks",
                policy::show_duration(ran),
                policy::show_duration(soak),
                to.name
            ));
        }
    }
    Call::Promote(marker)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::object_id::ObjectId;

    fn at(moment: &str) -> Timestamp {
        moment.parse().expect("a moment")
    }

    fn deployment(environment: &str, version: &str, tag: Option<&str>, commit: char, time: &str) -> Deployment {
        Deployment {
            environment: environment.into(),
            version: version.into(),
            commit: ObjectId::from_hex(&commit.to_string().repeat(40)).expect("an id"),
            release_commit: None,
            pipeline: None,
            deployed_by: None,
            branch: None,
            version_tag: tag.map(Into::into),
            time: at(time),
            rollback_of: None,
            components: BTreeMap::new(),
        }
    }

    struct Case {
        from: Environment,
        to: Environment,
        carried: Option<Deployment>,
        runs: Option<Deployment>,
        held: bool,
        refused: Option<&'static str>,
    }

    impl Case {
        /// qa deployed 1.4.0 (v1.4.0-rc.2) at 10:20 on 21 November; prod runs 1.3.0.
        fn new() -> Case {
            Case {
                from: Environment::new("qa", "environment/qa"),
                to: Environment { after: vec!["qa".into()], ..Environment::new("prod", "environment/prod") },
                carried: Some(deployment("qa", "1.4.0", Some("v1.4.0-rc.2"), 'a', "2026-11-21T10:20:00Z")),
                runs: Some(deployment("prod", "1.3.0", Some("v1.3.0"), 'b', "2026-11-01T09:00:00Z")),
                held: false,
                refused: None,
            }
        }

        fn call(&self, now: &str) -> Call {
            let facts = Facts {
                from: &self.from,
                to: &self.to,
                asks: "1.4.0",
                carried: self.carried.as_ref(),
                runs: self.runs.as_ref(),
                held: self.held,
                refused: self.refused,
            };
            call(&facts, at(now))
        }
    }

    const NOON: &str = "2026-11-24T12:00:00Z";

    fn nothing(reason: &str) -> Call {
        Call::Nothing(reason.into())
    }

    #[test]
    fn the_latest_deployment_of_the_source_is_promoted() {
        let Call::Promote(marker) = Case::new().call(NOON) else { panic!("a promotion") };
        assert_eq!((marker.version.as_str(), marker.tag.as_deref()), ("1.4.0", Some("v1.4.0-rc.2")));
        assert_eq!((marker.from.as_str(), marker.to.as_str()), ("qa", "prod"));
        assert_eq!(marker.commit, "a".repeat(40));
    }

    #[test]
    fn nothing_is_promoted_that_the_source_has_not_deployed_or_the_target_has() {
        let case = Case { carried: None, ..Case::new() };
        assert_eq!(case.call(NOON), nothing("qa has deployed nothing yet"));
        let older = Case { carried: Some(deployment("qa", "1.3.9", None, 'c', "2026-11-20T10:00:00Z")), ..Case::new() };
        assert_eq!(
            older.call(NOON),
            nothing("environment/qa asks for 1.4.0, which qa has not deployed yet (its latest deployment is 1.3.9)")
        );
        let runs = Case { runs: Some(deployment("prod", "1.4.0", None, 'a', "2026-11-22T10:00:00Z")), ..Case::new() };
        assert_eq!(runs.call(NOON), nothing("prod runs qa's 1.4.0 (v1.4.0-rc.2) already"));
        // Found by an independent pass: qa deployed 1.4.0 on the commit prod runs as 1.3.0, and
        // the round said prod ran 1.4.0 while `promote` would open the promotion.
        let same_commit =
            Case { runs: Some(deployment("prod", "1.3.0", None, 'a', "2026-11-22T10:00:00Z")), ..Case::new() };
        assert!(matches!(same_commit.call(NOON), Call::Promote(_)), "{:?}", same_commit.call(NOON));
        let held = Case { held: true, ..Case::new() };
        assert_eq!(
            held.call(NOON),
            nothing("environment/prod holds environment/qa's head already; its deployment is pending")
        );
    }

    #[test]
    fn a_blocked_version_or_tag_and_a_refusing_gate_hold_the_promotion_back() {
        for blocked in ["1.4.0", "v1.4.0-rc.2"] {
            let mut case = Case::new();
            case.to.blocked = vec!["1.2.0".into(), blocked.into()];
            assert_eq!(case.call(NOON), nothing(&format!("{blocked} is blocked in prod")));
        }
        let mut other = Case::new();
        other.to.blocked = vec!["v1.4.0-rc.1".into()];
        assert!(matches!(other.call(NOON), Call::Promote(_)), "another candidate of the version is not blocked");
        let refused = Case { refused: Some("qa has not deployed 1234567"), ..Case::new() };
        assert_eq!(
            refused.call(NOON),
            nothing("the gate refuses qa's 1.4.0 (v1.4.0-rc.2): qa has not deployed 1234567")
        );
    }

    #[test]
    fn a_freeze_and_a_soak_make_it_wait_until_they_end() {
        let mut frozen = Case::new();
        frozen.to.freeze = vec![policy::Freeze::parse("2026-12-20T00:00:00Z/2027-01-04T08:00:00Z").expect("a window")];
        let frozen_reason = "prod is frozen (2026-12-20T00:00:00Z/2027-01-04T08:00:00Z)";
        assert!(matches!(frozen.call("2026-12-19T23:59:59Z"), Call::Promote(_)));
        assert_eq!(frozen.call("2026-12-24T12:00:00Z"), Call::Wait(frozen_reason.into()));
        assert!(matches!(frozen.call("2027-01-04T08:00:00Z"), Call::Promote(_)), "the window's end is open");

        let mut soaking = Case::new();
        soaking.to.soak = Some(Duration::from_secs(7 * 24 * 3600));
        assert_eq!(
            soaking.call("2026-11-24T10:20:00Z"),
            Call::Wait("qa's 1.4.0 (v1.4.0-rc.2) has run 3d of the 7d soak prod asks".into())
        );
        assert!(matches!(soaking.call("2026-11-28T10:19:59Z"), Call::Wait(_)), "a second short");
        assert!(matches!(soaking.call("2026-11-28T10:20:00Z"), Call::Promote(_)));
        // A deployment dated ahead of the clock has run no time at all, not a negative one.
        assert!(matches!(soaking.call("2026-11-20T00:00:00Z"), Call::Wait(_)));
    }

    #[test]
    fn the_rules_apply_in_order() {
        // Blocked and frozen: blocked says more (it never opens); refused and soaking: refused.
        let mut case = Case { refused: Some("no"), ..Case::new() };
        case.to.blocked = vec!["1.4.0".into()];
        case.to.soak = Some(Duration::from_secs(3600));
        assert_eq!(case.call(NOON), nothing("1.4.0 is blocked in prod"));
        case.to.blocked.clear();
        assert_eq!(case.call(NOON), nothing("the gate refuses qa's 1.4.0 (v1.4.0-rc.2): no"));
        let runs = Case { held: true, runs: Some(deployment("prod", "1.4.0", None, 'a', NOON)), ..Case::new() };
        assert_eq!(runs.call(NOON), nothing("prod runs qa's 1.4.0 (v1.4.0-rc.2) already"));
    }
}
