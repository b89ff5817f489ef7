#!/usr/bin/env bash
# image-local.sh — the webhook image hostport-guard:dev, built from this tree without a
# Docker engine (hack/image/assemble.ts reads the Dockerfile's final stage and carries it
# out) and imported into every real node of the local cluster, where the chart runs it
# with pullPolicy Never. Run by `make image-local`, `make test` and `make demo` after
# `npm run build`. Assembling is skipped when nothing it is made from changed.

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"
# shellcheck source=hack/lib/nodes.sh
source "$HACK_DIR/lib/nodes.sh"

((HPG_REAL_NODES > 0)) || {
  log "HPG_REAL_NODES=0: no node to load the image into"
  exit 0
}
[[ -f "$REPO_ROOT/dist/cli/main.js" ]] || die "dist/ is missing: run npm run build (make build) first"
mkdir -p "$HPG_IMAGE_DIR"
start=$SECONDS
id=$("$REPO_ROOT/node_modules/.bin/node" "$REPO_ROOT/hack/image/assemble.ts" webhook "$HPG_IMAGE_DIR/webhook.tar" "$HPG_WEBHOOK_IMAGE")
log "$HPG_WEBHOOK_IMAGE is $id ($(fmt_secs $((SECONDS - start))))"
"$HACK_DIR/nodes.sh" load-image "$HPG_IMAGE_DIR/webhook.tar"
