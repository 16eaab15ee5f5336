#!/usr/bin/env bash
# Your deployment. The pipeline git-release's `init --ci` wrote runs this in the checkout of the
# environment branch, after `git release prepare` and before `git release record`: the record is
# made only when this exits 0. prepare.env holds what prepare printed, one name=value per line:
# environment, version, commit (what to deploy), tag, already_deployed, and the environment's
# variables from release.toml. Read the values; never source or eval the file.
set -euo pipefail

value() { sed -n "s/^$1=//p" prepare.env; }
environment=$(value environment)
version=$(value version)
commit=$(value commit)

# Replace what follows with the deployment of "$commit" to "$environment".
echo "error: deploy.sh does not deploy anything yet: make it deploy $commit ($version) to $environment" >&2
echo "hint: until it does, every deployment stops here and nothing is recorded" >&2
exit 1
