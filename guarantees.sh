#!/usr/bin/env bash
# Measures the guarantees the README lists, at the scale it quotes, and prints their figures.
#
#   ./guarantees.sh              races, crashes, faults, bypasses, ref names, secrets (full scale)
#   ./guarantees.sh fuzz [SECS]  every fuzz target for SECS seconds each (default 600)
#
# The tests are the ones CI runs at a small scale; GIT_RELEASE_SCALE=full runs them as quoted.
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-tests}" in
tests)
    GIT_RELEASE_SCALE=full ./test.sh --test it -- --nocapture --test-threads=1 guarantees:: hooks::every_bypass \
        2>&1 | tee target/guarantees.log | grep --line-buffered -E '^figure:|panicked|^test result'
    ;;
fuzz)
    seconds="${2:-600}"
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    cd fuzz
    for target in $(cargo +nightly fuzz list); do
        log="target/$target.log"
        mkdir -p target
        cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -max_len=4096 >"$log" 2>&1 || {
            grep -E 'panicked|SUMMARY|Test unit' "$log"
            exit 1
        }
        runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")"
        echo "figure: fuzz $target: $runs, 0 crashes, corpus of $(ls "corpus/$target" | wc -l) inputs"
    done
    ;;
*)
    echo "usage: ./guarantees.sh [tests | fuzz [SECONDS]]" >&2
    exit 2
    ;;
esac
