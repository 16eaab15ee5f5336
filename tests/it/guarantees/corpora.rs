//! Every input the fuzzers keep (`fuzz/corpus/<target>`), replayed through the same entry
//! points, so that CI holds what hours of fuzzing found without a nightly compiler.

use git_release::fuzzing;
use std::path::Path;

/// Replays `fuzz/corpus/<name>`, and `fuzz/artifacts/<name>` where a fuzzer left crashes.
fn replay(name: &str, target: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for folder in [root.join("corpus").join(name), root.join("artifacts").join(name)] {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries {
            let path = entry.expect("corpus entries list").path();
            // A fuzzer running beside the tests may drop an input it has bettered.
            let data = match std::fs::read(&path) {
                Ok(data) => data,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => panic!("{}: {error}", path.display()),
            };
            if let Err(panic) = std::panic::catch_unwind(|| target(&data)) {
                panic!("{} fails again: {panic:?}", path.display());
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0, "fuzz/corpus/{name} holds no inputs");
}

#[test]
fn kept_release_files_still_hold() {
    replay("release_file", fuzzing::release_file);
}

#[test]
fn kept_versions_and_patterns_still_hold() {
    replay("versions_and_patterns", fuzzing::versions_and_patterns);
}

#[test]
fn kept_references_still_hold() {
    replay("references", fuzzing::references);
}

#[test]
fn kept_hook_input_still_holds() {
    replay("hook_input", fuzzing::hook_input);
}

#[test]
fn kept_ci_events_still_hold() {
    replay("ci_event", fuzzing::ci_event);
}
