use super::*;
use crate::promotion::block::with_block;

fn marker(version: &str, tag: Option<&str>, commit: &str) -> Marker {
    Marker {
        from: "qa".into(),
        to: "prod".into(),
        version: version.into(),
        tag: tag.map(Into::into),
        commit: commit.into(),
    }
}

fn wanted(marker: Marker) -> Wanted {
    let body = format!("{}\n\nPromote qa into prod: {marker}.", marker.block(false));
    Wanted {
        title: format!("Promote qa → prod: {marker}"),
        body,
        marker,
        source: "environment/qa".into(),
        rebuilt: "promote/prod".into(),
    }
}

fn open(number: u64, source: &str, wanted: &Wanted) -> Open {
    Open { number, source: source.into(), title: wanted.title.clone(), body: wanted.body.clone(), conflicts: false }
}

#[test]
fn a_block_reads_back_what_was_written_even_with_awkward_values() {
    let mut written = marker("odd\"-->\\1", Some("v1\n2"), "abc");
    written.from = "q>a".into();
    for retired in [false, true] {
        let body = with_block("Some text -->", &written.block(retired));
        assert_eq!(Block::read(&body), Block::Found { marker: written.clone(), retired }, "{body}");
    }
}

#[test]
fn blocks_that_cannot_be_used_say_why() {
    let cases = [
        ("<!-- git-release:promotion\nformat = 1\nfrom = \"qa\"", "no end"),
        ("<!-- git-release:promotion\nfrom = \"qa\"\n-->", "no `format`"),
        ("<!-- git-release:promotion\nformat = 1\nfrom = \"qa\"\n-->", "missing field"),
        ("<!-- git-release:promotion\nformat = 1\nfrom = [\n-->", ""),
        ("<!-- git-release:promotion\nformat = -3\n-->", "not a format"),
    ];
    for (body, says) in cases {
        match Block::read(body) {
            Block::Unreadable(why) => assert!(why.contains(says), "{body}: {why}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    assert_eq!(Block::read("<!-- git-release:promotion\nformat = 0\n-->"), Block::Older(0));
    assert_eq!(Block::read("<!-- git-release:promotion\nformat = 7\nnew = 1\n-->"), Block::Newer(7));
    assert_eq!(Block::read("A person's pull request"), Block::Missing);
}

#[test]
fn replacing_a_block_keeps_the_text_around_it() {
    let old = marker("1.0.0", None, "a").block(false);
    let new = marker("2.0.0", None, "b").block(true);
    assert_eq!(with_block(&format!("{old}\nbody"), &new), format!("{new}\nbody"));
    assert_eq!(with_block("body", &new), format!("{new}\nbody"));
}

#[test]
fn an_open_promotion_is_updated_in_place_when_the_source_deploys_anew() {
    let rc2 = wanted(marker("1.4.0", Some("v1.4.0-rc.2"), "c2"));
    let rc3 = Desired::Want(Box::new(wanted(marker("1.4.0", Some("v1.4.0-rc.3"), "c3"))));
    let opened = [open(7, "environment/qa", &rc2)];
    let plan = plan(Situation { desired: &rc3, open: &opened, closed: None });
    assert!(matches!(plan.actions.as_slice(), [Action::Update { number: 7, .. }]), "{plan:?}");
}

#[test]
fn a_version_closed_by_hand_is_held_until_a_newer_one() {
    let rc3 = wanted(marker("1.4.0", Some("v1.4.0-rc.3"), "c3"));
    let closed = [Closed { number: 4, body: rc3.body.clone() }];
    let desired = Desired::Want(Box::new(rc3));
    let first = plan(Situation { desired: &desired, open: &[], closed: None });
    assert_eq!(first.actions, [Action::ReadClosed]);
    let held = plan(Situation { desired: &desired, open: &[], closed: Some(&closed) });
    assert!(!held.writes() && held.notes[0].contains("held"), "{held:?}");
    let rc4 = Desired::Want(Box::new(wanted(marker("1.4.0", Some("v1.4.0-rc.4"), "c4"))));
    let newer = plan(Situation { desired: &rc4, open: &[], closed: Some(&closed) });
    assert!(matches!(newer.actions.as_slice(), [Action::Create { .. }]), "{newer:?}");
    // One that git-release closed itself holds nothing back.
    let retired = [Closed { number: 4, body: with_block("", &marker("1.4.0", Some("v1.4.0-rc.3"), "c3").block(true)) }];
    let reopened = plan(Situation { desired: &desired, open: &[], closed: Some(&retired) });
    assert!(matches!(reopened.actions.as_slice(), [Action::Create { .. }]), "{reopened:?}");
}

#[test]
fn a_conflicting_promotion_is_rebuilt_once_and_a_newer_tool_is_left_alone() {
    let rc3 = wanted(marker("1.4.0", Some("v1.4.0-rc.3"), "c3"));
    let desired = Desired::Want(Box::new(rc3.clone()));
    let mut conflicting = open(3, "environment/qa", &rc3);
    conflicting.conflicts = true;
    let rebuilt = plan(Situation { desired: &desired, open: &[conflicting.clone()], closed: None });
    assert!(matches!(rebuilt.actions.as_slice(), [Action::Rebuild { replaces: 3, .. }]), "{rebuilt:?}");
    conflicting.source = "promote/prod".into();
    let stuck = plan(Situation { desired: &desired, open: &[conflicting], closed: None });
    assert!(!stuck.writes() && stuck.notes[0].contains("even rebuilt"), "{stuck:?}");
    let newer = Open { body: "<!-- git-release:promotion\nformat = 2\n-->".into(), ..open(9, "environment/qa", &rc3) };
    let left = plan(Situation { desired: &Desired::Nothing("no".into()), open: &[newer], closed: None });
    assert!(left.actions.is_empty() && left.notes[0].contains("newer"), "{left:?}");
}

/// A small deterministic generator: the same cases on every run, and many of them.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).expect("small")]
    }
}

/// The forge as the properties model it: open and closed pull requests into one environment.
#[derive(Debug, Clone)]
struct Model {
    open: Vec<Open>,
    closed: Vec<Closed>,
    next: u64,
}

impl Model {
    fn random(random: &mut Random, versions: &[Wanted]) -> Model {
        let sources = ["environment/qa", "promote/prod", "feature/x"];
        let mut model = Model { open: Vec::new(), closed: Vec::new(), next: 1 };
        for _ in 0..random.below(5) {
            let number = model.next;
            model.next += 1;
            let version = random.pick(versions);
            let body = match random.below(7) {
                0 => "written by a person".to_owned(),
                1 => "<!-- git-release:promotion\nformat = 0\n-->".to_owned(),
                2 => "<!-- git-release:promotion\nformat = 1\nto = 3\n-->".to_owned(),
                3 => with_block("stale text", &version.marker.block(false)),
                _ => version.body.clone(),
            };
            let source = (*random.pick(&sources)).to_owned();
            let pull = Open { number, source, title: version.title.clone(), body, conflicts: random.below(4) == 0 };
            if random.below(3) == 0 {
                model.closed.push(Closed { number, body: pull.body });
            } else if !model.open.iter().any(|o| o.source == pull.source) {
                // Forges keep one open pull request per pair of branches.
                model.open.push(pull);
            }
        }
        model
    }

    /// Plans and carries the plan out, reading the closed ones when the plan asks; returns the
    /// plan that was carried out.
    fn reconcile(&mut self, desired: &Desired) -> Plan {
        let mut planned = plan(Situation { desired, open: &self.open, closed: None });
        if planned.actions.contains(&Action::ReadClosed) {
            planned = plan(Situation { desired, open: &self.open, closed: Some(&self.closed) });
        }
        let wanted = match desired {
            Desired::Want(wanted) => Some(wanted),
            _ => None,
        };
        for action in &planned.actions {
            match action {
                Action::Create { source, title, body, .. } => self.open_one(source, title, body),
                Action::Update { number, title, body } => {
                    let pull = self.open.iter_mut().find(|o| o.number == *number).expect("an open one");
                    pull.title.clone_from(title);
                    pull.body.clone_from(body);
                }
                Action::Close { number, .. } => self.close(*number),
                Action::Rebuild { replaces, title, body } => {
                    let rebuilt = wanted.expect("a rebuild is wanted").rebuilt.clone();
                    self.open_one(&rebuilt, title, body);
                    self.close(*replaces);
                }
                Action::ReadClosed => {}
            }
        }
        planned
    }

    fn open_one(&mut self, source: &str, title: &str, body: &str) {
        assert!(!self.open.iter().any(|o| o.source == source), "a second pull request from {source}: {self:?}");
        let pull =
            Open { number: self.next, source: source.into(), title: title.into(), body: body.into(), conflicts: false };
        self.next += 1;
        self.open.push(pull);
    }

    fn close(&mut self, number: u64) {
        let at = self.open.iter().position(|o| o.number == number).expect("closing an open one");
        let pull = self.open.remove(at);
        let body = match Block::read(&pull.body) {
            Block::Found { marker, .. } => with_block(&pull.body, &marker.block(true)),
            _ => pull.body,
        };
        self.closed.push(Closed { number, body });
    }

    fn promotions(&self) -> usize {
        self.open.iter().filter(|o| matches!(Block::read(&o.body), Block::Found { .. })).count()
    }
}

#[test]
fn planning_again_after_a_plan_was_carried_out_changes_nothing() {
    let versions: Vec<Wanted> = ["c1", "c2", "c3"]
        .iter()
        .enumerate()
        .map(|(n, commit)| wanted(marker("1.4.0", Some(&format!("v1.4.0-rc.{}", n + 1)), commit)))
        .collect();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    for case in 0..20_000 {
        let desired = match random.below(4) {
            0 => Desired::Nothing("prod runs it".into()),
            1 => Desired::Wait("frozen".into()),
            _ => Desired::Want(Box::new(random.pick(&versions).clone())),
        };
        let mut model = Model::random(&mut random, &versions);
        let before = model.clone();
        let first = model.reconcile(&desired);
        assert!(
            model.promotions() <= 1,
            "case {case}: two promotions open\nbefore: {before:?}\ndesired: {desired:?}\nplan: {first:?}\nafter: {model:?}"
        );
        if matches!(desired, Desired::Want(_)) && first.notes.iter().all(|n| !n.contains("held")) {
            assert_eq!(model.promotions(), 1, "case {case}: none open\nbefore: {before:?}\nplan: {first:?}");
        }
        let again = model.reconcile(&desired);
        assert!(
            !again.writes(),
            "case {case}: the second plan writes\nbefore: {before:?}\ndesired: {desired:?}\nfirst: {first:?}\nsecond: {again:?}"
        );
    }
}

#[test]
fn promote_closes_the_promotion_from_the_other_branch_and_nothing_else() {
    let open = |number: u64, source: &str, body: &str| Open {
        number,
        source: source.into(),
        title: "Promote qa → prod: 1.4.0".into(),
        body: body.into(),
        conflicts: false,
    };
    let ours = wanted(marker("1.4.0", None, "c1")).body;
    let plain = open(1, "environment/qa", &ours);
    assert_eq!(
        superseded(Some(2), &plain).actions,
        [Action::Close { number: 1, why: Why::Superseded { by: Some(2) } }]
    );
    assert_eq!(superseded(None, &plain).actions, [Action::Close { number: 1, why: Why::Superseded { by: None } }]);
    assert!(superseded(Some(1), &plain).actions.is_empty(), "the one kept stays");
    let a_persons = open(3, "promote/prod", "Opened by hand");
    assert!(superseded(Some(2), &a_persons).actions.is_empty(), "one without the block is not ours to close");
}

#[test]
fn promote_opens_one_or_brings_the_open_one_in_line() {
    let wanted = wanted(marker("1.4.0", None, "c1"));
    let (title, body) = (wanted.title.as_str(), wanted.body.as_str());
    let source = "environment/qa";
    assert_eq!(
        promote(source, title, body, true, None, None).actions,
        [Action::Create { source: source.into(), title: title.into(), body: body.into(), draft: true }]
    );
    let current = open(4, source, &wanted);
    assert!(promote(source, title, body, false, Some(&current), None).actions.is_empty(), "nothing to change");
    let trailing = Open { body: format!("{body}\n"), ..current.clone() };
    assert!(promote(source, title, body, false, Some(&trailing), None).actions.is_empty(), "a newline is no change");
    let stale = Open { title: "Promote qa → prod: 1.3.0".into(), ..current.clone() };
    assert_eq!(
        promote(source, title, body, false, Some(&stale), None).actions,
        [Action::Update { number: 4, title: title.into(), body: body.into() }]
    );
    let rebuilt = open(5, "promote/prod", &wanted);
    assert_eq!(
        promote(source, title, body, false, Some(&current), Some(&rebuilt)).actions,
        [Action::Close { number: 5, why: Why::Superseded { by: Some(4) } }]
    );
    let opened = promote(source, title, body, false, None, Some(&rebuilt)).actions;
    assert!(
        matches!(
            opened.as_slice(),
            [Action::Create { .. }, Action::Close { number: 5, why: Why::Superseded { by: None } }]
        ),
        "{opened:?}"
    );
}
