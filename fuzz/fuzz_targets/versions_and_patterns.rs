#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| git_release::fuzzing::versions_and_patterns(data));
