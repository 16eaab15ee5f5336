#!/usr/bin/env bash
# Installs git-release and its man page, then runs a first real job: `git release demo`, which
# releases an application through qa and prod in a throwaway sandbox.
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

# The first job: a release walked from qa to prod in a sandbox of its own (an application
# repository, a release repository and their remotes), each step printed with its output.
echo
git release demo
echo
echo "Next: git release --help"
