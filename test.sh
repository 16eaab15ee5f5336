#!/usr/bin/env bash
# The whole test suite on a fresh machine. Beyond Rust and git, the tests need lighttpd (Debian)
# for pushes through git http-backend, and Prism with the vendors' API descriptions (npm, pinned
# by tests/contract/package-lock.json) for the contract tests: both are installed here first.
set -euo pipefail
cd "$(dirname "$0")"

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
if ! command -v lighttpd >/dev/null; then
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends lighttpd >/dev/null
fi

contract=tests/contract
stamp=$contract/node_modules/.installed-from-lock
if ! cmp -s "$contract/package-lock.json" "$stamp"; then
    (cd "$contract" && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error)
    cp "$contract/package-lock.json" "$stamp"
fi

exec cargo test --locked "$@"
