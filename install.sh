#!/usr/bin/env bash
# Installs git-release and its man page, then runs a first real job: a release repository in a
# scratch directory, set up with `init`, a version set for qa, and `status`.
#
#   ./install.sh            installs into $CARGO_HOME (default ~/.cargo): bin/ and share/man/
#   PREFIX=/opt/x ./install.sh   installs into /opt/x/bin and /opt/x/share/man instead
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-${CARGO_HOME:-$HOME/.cargo}}

cargo install --locked --quiet --path "$here" --root "$prefix"
# man finds pages in <dir>/../share/man for every <dir> on PATH, so `git release --help`
# (which git turns into `man git-release`) works wherever the binary is found.
install -D -m 644 "$here/man/git-release.1" "$prefix/share/man/man1/git-release.1"
echo "installed $prefix/bin/git-release and $prefix/share/man/man1/git-release.1"

case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on PATH; add it to run 'git release' from anywhere" >&2 ;;
esac
export PATH="$prefix/bin:$PATH"

# The first job, in a scratch repository of its own.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/git-release-first-job.XXXXXX")
git init -q "$scratch/shop"
cd "$scratch/shop"
git config user.name >/dev/null || git config user.name "git-release first job"
git config user.email >/dev/null || git config user.email "first-job@example.invalid"
echo "an application" > README
git add README
git commit -q -m "Start the application"

echo
echo "\$ git release init"
git release init
echo
echo "\$ git release set qa 1.0.0"
git release set qa 1.0.0
echo
echo "\$ git release status"
git release status
echo
echo "The scratch repository is $scratch/shop. Next: git release --help"
