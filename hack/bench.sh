#!/usr/bin/env bash
# bench.sh — hostport-guard's benchmarks (`make bench`, which runs `npm ci` and
# `npm run build` first); rewrites docs/benchmarks.md with the numbers of this run.
#
#   1. engine      decide() on the real PodIndex + ReservingView, 100 / 1,000 / 5,000 nodes
#   1b. hostile    how long one review blocks the event loop, ordinary and hostile shapes;
#                  check over 8,000 pods on one node against the same spread over 100
#   2. memory      heap per indexed pod (node --expose-gc)
#   3+4. http      HTTPS end to end: `serve` on a 5,000-node state beside the floor (a bare
#                  node:https server) and OPA running the same rule on the same data; the
#                  decisions are compared first and the run fails if they disagree
#   5. apiserver   pod creates through kube-apiserver: no webhook / every pod sent / the
#                  chart's matchConditions
#   6. reservations pinned host-port pods and pods without host ports through kube-apiserver,
#                  reserved in the process vs. as Leases every replica sees; Lease calls
#                  per pod, and the time until the sweeps have removed every Lease
#   2b. sync       initial sync of 10,000, 50,000 and 150,000 pods from kube-apiserver, the
#                  paginated list against a streaming initial list, and
#                  `hostport-guard scan` of the same cluster (time and peak RSS)
#
# The API-server parts run on a control plane of their own (hack/cluster-up.sh with its
# own state dir and ports), started fresh and thrown away at the end, even after a
# failure: a cluster that tests use is neither disturbed nor read, and the 50,000 pods
# disappear with it. OPA is built from its Go module once and cached by version.
#
# Env (all optional):
#   HPG_CACHE      cache root (default $HOME/.cache/hostport-guard): opa/, bin/
#   HPG_BENCH_CLUSTER_DIR     the bench cluster's state dir (default $HPG_CACHE/bench-cluster)
#   HPG_BENCH_PORT_BASE       its ports: apiserver BASE+443, etcd BASE+379/380, controller-manager
#                             BASE+257, scheduler BASE+259 (default 16000); a port that is taken
#                             is replaced by a free one, chosen before the first section runs
#   HPG_BENCH_REAL_NODES      real nodes in the bench cluster (default 0: no section needs them)
#   HPG_BENCH_SYNC_SIZES      pods for the sync benchmark (default 10000,50000,150000; 150,000
#                             is the cluster the engine benchmark models)
#   HPG_BENCH_SYNC_BUDGET     seconds all pod creates of the sync benchmark may take (default
#                             600); a size that would not fit is lowered, and the report says so
#   HPG_BENCH_SECTIONS        the sections to run (default: all of engine, hostile, memory,
#                             http, apiserver, reservations, sync); with fewer, docs/benchmarks.md is left alone and the report, with the
#                             other sections marked as not run, goes to the results dir
#   HPG_BENCH_QUICK=1         small sizes and one round, to try the script; docs/benchmarks.md
#                             is then left alone and the report goes to the results dir
#   HPG_BENCH_RESULTS         where the raw JSON goes (default: a new temp dir, printed)
#
# A section that fails is named in the report and in the exit status (1), and the sections
# measured before and after it still reach the report: one broken section never costs the
# numbers of the others.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
# port_in_use; the log and die below are bench's own.
# shellcheck source=hack/lib/common.sh
source "$REPO/hack/lib/common.sh"
export PATH="$REPO/node_modules/.bin:$PATH"
CACHE="${HPG_CACHE:-$HOME/.cache/hostport-guard}"
OPA_VERSION=v1.22.3
OPA_DIR="$CACHE/opa"
OPA_BIN="$OPA_DIR/opa-$OPA_VERSION"
QUICK="${HPG_BENCH_QUICK:-0}"
ALL_SECTIONS=engine,hostile,memory,http,apiserver,reservations,sync
SECTIONS="${HPG_BENCH_SECTIONS:-$ALL_SECTIONS}"
RESULTS="${HPG_BENCH_RESULTS:-$(mktemp -d /tmp/hpg-bench.XXXXXX)}"
mkdir -p "$RESULTS"
STARTED="$(date -u +%FT%TZ)"
T0=$SECONDS

log() { printf '[bench %3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# phase NAME CMD...: runs one benchmark and records how long it took. A failure is recorded
# in failed.txt (the report names it) and the run goes on with the next section.
phase() {
  local name=$1 start=$SECONDS rc=0
  shift
  log "$name: starting"
  "$@" || rc=$?
  if ((rc != 0)); then
    printf '%s %d\n' "$name" "$rc" >>"$RESULTS/failed.txt"
    printf '%s %d failed\n' "$name" "$((SECONDS - start))" >>"$RESULTS/phases.txt"
    log "$name: FAILED (exit $rc) after $((SECONDS - start))s; going on with the next section"
    return 1
  fi
  printf '%s %d\n' "$name" "$((SECONDS - start))" >>"$RESULTS/phases.txt"
  log "$name: done in $((SECONDS - start))s"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now, from the kernel.
free_port() {
  node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'
}

# bench_port DEFAULT: DEFAULT when it is free, else a free port (and a line saying so).
bench_port() {
  local port=$1 other
  if port_in_use "$port"; then
    other=$(free_port)
    log "port $port is taken; the bench cluster uses $other instead"
    port=$other
  fi
  echo "$port"
}

# wanted SECTION: true when this run measures SECTION.
wanted() { [[ ",$SECTIONS," == *",$1,"* ]]; }
for section in ${SECTIONS//,/ }; do
  [[ ",$ALL_SECTIONS," == *",$section,"* ]] || die "HPG_BENCH_SECTIONS: unknown section $section (known: $ALL_SECTIONS)"
done

command -v node >/dev/null || die "node is missing: run 'npm ci' (make bench does)"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is missing: the sync and scan benchmarks read peak RSS from it"
[[ -f dist/cli/main.js ]] || die "dist/ is missing: run 'npm run build' (make bench does)"
: >"$RESULTS/phases.txt"
: >"$RESULTS/failed.txt"

# The bench cluster's ports are settled first, so a taken port changes the port, not the outcome
# of a run that has already spent minutes measuring. etcd's peer port is its client port + 1.
BASE="${HPG_BENCH_PORT_BASE:-16000}"
etcd_port=$((BASE + 379))
if port_in_use "$etcd_port" || port_in_use "$((etcd_port + 1))"; then
  for _ in 1 2 3 4 5 6 7 8; do
    etcd_port=$(free_port)
    if ! port_in_use "$((etcd_port + 1))"; then break; fi
  done
  log "port $((BASE + 379)) or $((BASE + 380)) is taken; the bench cluster's etcd uses $etcd_port and $((etcd_port + 1)) instead"
fi
export HPG_ETCD_PORT=$etcd_port
HPG_APISERVER_PORT=$(bench_port $((BASE + 443)))
HPG_KCM_PORT=$(bench_port $((BASE + 257)))
HPG_SCHEDULER_PORT=$(bench_port $((BASE + 259)))
export HPG_APISERVER_PORT HPG_KCM_PORT HPG_SCHEDULER_PORT
export HPG_REAL_NODES="${HPG_BENCH_REAL_NODES:-0}"

# ------------------------------------------------------------------ OPA
# Built once per version from its Go module; the cold build time is kept beside it. A failed
# build fails the http section only.
build_opa() {
  command -v go >/dev/null || { log "go is required to build OPA $OPA_VERSION"; return 1; }
  log "building OPA $OPA_VERSION from its Go module (a few minutes, once)"
  mkdir -p "$OPA_DIR"
  local build_dir start=$SECONDS
  build_dir=$(mktemp -d "$OPA_DIR/build.XXXXXX")
  GOBIN="$build_dir" GOFLAGS="-mod=mod -buildvcs=false" go install "github.com/open-policy-agent/opa@$OPA_VERSION" || return 1
  mv "$build_dir/opa" "$OPA_BIN"
  rmdir "$build_dir"
  echo "$((SECONDS - start))" >"$OPA_BIN.build-seconds"
  log "OPA built in $((SECONDS - start))s"
}
if wanted http && [[ ! -x "$OPA_BIN" ]]; then phase opa-build build_opa || true; fi
cp "$OPA_BIN.build-seconds" "$RESULTS/opa-build-seconds.txt" 2>/dev/null || echo unknown >"$RESULTS/opa-build-seconds.txt"

# ------------------------------------------------------------ programs
log "compiling bench/ (tsc -p bench/tsconfig.json)"
tsc -p bench/tsconfig.json
BENCH="$REPO/.tmp/bench-dist/bench"
bash hack/e2e-certs.sh "$RESULTS/pki"

if [[ "$QUICK" == 1 ]]; then
  ENGINE_ARGS=(--rounds 1)
  HOSTILE_ARGS=(--rounds 1)
  MEMORY_ARGS=(--pods 10000 --rounds 1)
  HTTP_ARGS=(--rounds 1 --duration 3 --check 50)
  API_ARGS=(--pods 30 --rounds 1)
  RES_ARGS=(--pods 20 --plain 10 --rounds 1)
  SYNC_ARGS=(--sizes "${HPG_BENCH_SYNC_SIZES:-2000,5000}" --reps 1)
else
  ENGINE_ARGS=()
  HOSTILE_ARGS=()
  MEMORY_ARGS=()
  HTTP_ARGS=()
  API_ARGS=()
  RES_ARGS=()
  SYNC_ARGS=(--sizes "${HPG_BENCH_SYNC_SIZES:-10000,50000,150000}" --create-budget "${HPG_BENCH_SYNC_BUDGET:-600}")
fi

# --------------------------------------------------- without a cluster
if wanted engine; then phase engine node "$BENCH/engine.js" --out "$RESULTS/engine.json" "${ENGINE_ARGS[@]}" || true; fi
if wanted hostile; then phase hostile node "$BENCH/hostile.js" --out "$RESULTS/hostile.json" --repo "$REPO" "${HOSTILE_ARGS[@]}" || true; fi
if wanted memory; then phase memory node --expose-gc "$BENCH/memory.js" --out "$RESULTS/memory.json" "${MEMORY_ARGS[@]}" || true; fi
if wanted http; then
  if [[ -x "$OPA_BIN" ]]; then
    phase http node "$BENCH/http.js" --out "$RESULTS/http.json" --work "$RESULTS/http" \
      --certs "$RESULTS/pki" --opa "$OPA_BIN" --repo "$REPO" "${HTTP_ARGS[@]}" || true
  else
    printf 'http 1\n' >>"$RESULTS/failed.txt"
    log "http: skipped, OPA $OPA_VERSION could not be built"
  fi
fi

# ------------------------------------------------------ with a cluster
export HPG_CLUSTER_DIR="${HPG_BENCH_CLUSTER_DIR:-$CACHE/bench-cluster}"

cluster_started=0
teardown() {
  if ((cluster_started)); then
    log "removing the bench cluster ($HPG_CLUSTER_DIR)"
    hack/cluster-down.sh --purge >&2 || log "WARNING: hack/cluster-down.sh --purge failed"
    cluster_started=0
  fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

if wanted apiserver || wanted reservations || wanted sync; then
  # Whatever an interrupted run left behind goes first: every run starts from an empty cluster.
  hack/cluster-down.sh --purge >/dev/null 2>&1 || true
  cluster_started=1
  if phase cluster-up bash -c 'hack/cluster-up.sh >/dev/null'; then
    # shellcheck source=hack/cluster-env.sh
    source hack/cluster-env.sh
    if wanted apiserver; then
      phase apiserver node "$BENCH/apiserver.js" --kubeconfig "$KUBECONFIG" --out "$RESULTS/apiserver.json" \
        --work "$RESULTS" --certs "$RESULTS/pki" --helm "$HELM" --repo "$REPO" "${API_ARGS[@]}" || true
    fi
    if wanted reservations; then
      phase reservations node "$BENCH/reservations.js" --kubeconfig "$KUBECONFIG" --out "$RESULTS/reservations.json" \
        --work "$RESULTS" --certs "$RESULTS/pki" --helm "$HELM" --kubectl "$KUBECTL" --repo "$REPO" "${RES_ARGS[@]}" || true
    fi
    # The cluster is thrown away afterwards, so its 50,000 pods need no deleting one by one.
    if wanted sync; then
      phase sync node "$BENCH/sync.js" --kubeconfig "$KUBECONFIG" --out "$RESULTS/sync.json" --repo "$REPO" --cleanup none "${SYNC_ARGS[@]}" || true
    fi
  else
    for section in apiserver reservations sync; do
      if wanted "$section"; then printf '%s cluster-up\n' "$section" >>"$RESULTS/failed.txt"; fi
    done
  fi
  phase cluster-down teardown || true
fi

# --------------------------------------------------------------- report
# Only a full run rewrites docs/benchmarks.md; a quick run or a chosen set of sections
# writes its report beside the raw results.
report_out="$REPO/docs/benchmarks.md"
if [[ "$QUICK" == 1 || "$SECTIONS" != "$ALL_SECTIONS" ]]; then report_out="$RESULTS/benchmarks.md"; fi
node "$BENCH/report.js" --results "$RESULTS" --template "$REPO/bench/benchmarks.template.md" \
  --out "$report_out" --started "$STARTED" --seconds "$((SECONDS - T0))" --command "${HPG_BENCH_COMMAND:-make bench}" \
  --opa-version "$OPA_VERSION" --sections "$SECTIONS"
log "raw results in $RESULTS; report written to $report_out ($((SECONDS - T0))s in all)"
if [[ -s "$RESULTS/failed.txt" ]]; then
  die "failed sections: $(cut -d' ' -f1 "$RESULTS/failed.txt" | sort -u | paste -sd' ' -) (the report names them; the others were measured)"
fi
