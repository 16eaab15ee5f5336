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
    # Every target at once, each for SECS seconds of wall-clock time, sharing the machine's cores.
    seconds="${2:-600}"
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    cd fuzz
    mkdir -p target
    cargo +nightly fuzz build -O
    targets="$(cargo +nightly fuzz list)"
    for target in $targets; do
        cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -max_len=4096 >"target/$target.log" 2>&1 &
    done
    failed=0
    wait || true
    for target in $targets; do
        log="target/$target.log"
        runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")"
        if [ -z "$runs" ]; then
            echo "fuzz $target failed:" >&2
            grep -E 'panicked|SUMMARY|Test unit' "$log" >&2 || tail -5 "$log" >&2
            failed=1
            continue
        fi
        echo "figure: fuzz $target: $runs, 0 crashes, corpus of $(ls "corpus/$target" | wc -l) inputs"
    done
    exit "$failed"
    ;;
*)
    echo "usage: ./guarantees.sh [tests | fuzz [SECONDS]]" >&2
    exit 2
    ;;
esac
