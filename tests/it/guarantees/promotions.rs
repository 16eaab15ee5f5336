//! Two `promote` and two `reconcile` runs at once, again and again, on every forge: never two
//! open pull requests into one environment.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{Dice, figure, scale};
use crate::fake_forge::{Dialect, FakeForge};
use crate::harness::World;
use crate::promote::point_at;
use crate::reconcile::{TOKEN, auto_promoted};

#[test]
fn concurrent_promotions_never_open_two_pull_requests_into_one_environment() {
    let started = Instant::now();
    let trials = scale(1, 20);
    let mut dice = Dice::new(0x00C0_FFEE);
    let mut runs = 0;
    for dialect in Dialect::ALL {
        let world = World::new();
        let first = FakeForge::new(dialect, Some(TOKEN));
        let repos = auto_promoted(&world, &first, "");
        let release = &repos.release;
        for trial in 0..trials {
            // A fresh forge with nothing open, as slow as a busy one can be.
            let forge = FakeForge::new(dialect, Some(TOKEN));
            forge.set_latency(Duration::from_millis(dice.below(40) as u64));
            point_at(&world, release, dialect.kind(), &forge.api());
            let commands: [&[&str]; 4] =
                [&["promote", "qa", "prod"], &["reconcile"], &["promote", "qa", "prod"], &["reconcile"]];
            let children: Vec<_> = commands
                .iter()
                .map(|args| {
                    let mut command = world.release_command(release, args);
                    command.env(dialect.variable(), TOKEN).stdout(Stdio::piped()).stderr(Stdio::piped());
                    command.spawn().expect("git-release starts")
                })
                .collect();
            for (child, args) in children.into_iter().zip(commands) {
                let output = child.wait_with_output().expect("git-release ends");
                let said = String::from_utf8_lossy(&output.stderr);
                assert!(output.status.success(), "{dialect:?} trial {trial}, {args:?}: {said}");
                runs += 1;
            }
            let open: Vec<_> = forge.open_pulls().into_iter().filter(|p| p.target == "environment/prod").collect();
            assert_eq!(open.len(), 1, "{dialect:?} trial {trial}: {open:#?}");
        }
    }
    figure(
        "promotions",
        started,
        &format!(
            "{} trials of 2 promote + 2 reconcile at once on {} forges ({runs} runs): 0 with two open pull requests",
            trials * Dialect::ALL.len(),
            Dialect::ALL.len()
        ),
    );
}
