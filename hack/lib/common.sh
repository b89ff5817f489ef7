# shellcheck shell=bash
# Helpers every hack/ script shares. Sourced, never executed; it changes no shell options.
#
#   HPG_LOG_TAG   the [tag] of log lines (default: the script's file name without .sh)

HPG_LOG_TAG="${HPG_LOG_TAG:-$(basename "$0" .sh)}"

log() { printf '[%s] %s\n' "$HPG_LOG_TAG" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# fmt_secs N: 75 -> 1m15s, 9 -> 9s.
fmt_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# port_in_use PORT [ADDRESS]: true when something listens on the TCP port.
port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# Cluster traffic never goes through a proxy: the API server's calls to webhooks and
# kubelets, kubectl's calls to the API server. Exports NO_PROXY with loopback and the
# given extra addresses.
hpg_no_proxy() {
  local v extra
  for v in HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; do unset "$v"; done
  extra=$(
    IFS=,
    echo "$*"
  )
  NO_PROXY="127.0.0.1,localhost,::1${extra:+,$extra}${NO_PROXY:+,$NO_PROXY}"
  no_proxy="$NO_PROXY"
  export NO_PROXY no_proxy
}

# stop_pid LABEL PID [TIMEOUT]: SIGTERM, then SIGKILL if it does not exit within TIMEOUT
# seconds (default HPG_STOP_TIMEOUT or 20).
stop_pid() {
  local label=$1 pid=$2 timeout=${3:-${HPG_STOP_TIMEOUT:-20}} start=$SECONDS
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start >= timeout)); then
      log "$label (pid $pid) ignored SIGTERM for ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  log "stopped $label (pid $pid, $((SECONDS - start))s)"
}
