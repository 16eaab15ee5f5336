//! Our reference-name rules against git's own: every generated name must get the same answer
//! from `refname::check_short` as from `git check-ref-format --branch`.

use super::{Dice, figure, scale};
use crate::harness::World;
use git_release::refname;
use std::process::Stdio;
use std::time::Instant;

/// Pieces names are made of, weighted towards the characters and sequences git's rules name.
const PIECES: &[&str] = &[
    "a", "b", "Z", "0", "9", "_", "+", ",", "#", "!", "=", "%", "a", "v1", "rc", "/", "/", ".", ".", "..", "-", "-",
    "@", "@", "{", "}", "@{", " ", "~", "^", ":", "?", "*", "[", "]", "\\", "\t", "\u{1}", "\u{1f}", "\u{7f}", "lock",
    ".lock", "HEAD", "refs", "heads", "é", "\u{85}", "\u{3000}", "'", "\"", "<", ">", "|", "&", ";",
];

fn name(dice: &mut Dice) -> String {
    let length = dice.below(9);
    (0..length).map(|_| *dice.pick(PIECES)).collect()
}

#[test]
fn reference_names_are_judged_as_git_judges_them() {
    let started = Instant::now();
    let world = World::new();
    let repo = world.empty_repo("names", false);
    let total = scale(3_000, 100_000);
    let mut dice = Dice::new(0x5EED_0F4E_F5F5);
    let names: Vec<String> = (0..total).map(|_| name(&mut dice)).filter(|n| !n.contains('\0')).collect();
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = names.len().div_ceil(workers);
    let disagreements: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                let (world, repo) = (&world, &repo);
                scope.spawn(move || {
                    let mut disagreements = Vec::new();
                    for name in part {
                        let git = world
                            .command("git", repo)
                            .args(["check-ref-format", "--branch", name])
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()
                            .expect("git check-ref-format runs")
                            .success();
                        let ours = refname::check_short(name);
                        if git != ours.is_ok() {
                            disagreements.push(format!("{name:?}: git {git}, ours {ours:?}"));
                        }
                    }
                    disagreements
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a checker thread finishes")).collect()
    });
    assert!(
        disagreements.is_empty(),
        "{} disagreements, the first: {:#?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(20)]
    );
    let accepted = names.iter().filter(|n| refname::check_short(n).is_ok()).count();
    // A generator that made only good or only bad names would prove little.
    assert!(accepted * 10 > names.len() && accepted * 10 < names.len() * 9, "{accepted} of {} accepted", names.len());
    figure(
        "refnames",
        started,
        &format!(
            "{} names, {accepted} accepted and {} refused by both, 0 disagreements",
            names.len(),
            names.len() - accepted
        ),
    );
}
