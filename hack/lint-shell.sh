#!/usr/bin/env bash
# lint-shell: every shell script under hack/ (and .ci/run) through ShellCheck,
# following the files they source. Run by `make lint`; installs the Debian package
# (named like the command) first when it is missing, as root.

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"

if ! command -v shellcheck >/dev/null; then
  ((EUID == 0)) || die "shellcheck is missing: apt-get install -y shellcheck"
  log "installing shellcheck"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi

cd "$REPO_ROOT"
mapfile -t scripts < <(find hack -name '*.sh' -type f | sort)
scripts+=(.ci/run)
shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
log "${#scripts[@]} scripts clean"
