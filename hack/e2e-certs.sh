#!/usr/bin/env bash
# e2e-certs.sh — a throwaway CA and a serving certificate for a webhook that runs
# on this machine and is called by the local kube-apiserver at https://127.0.0.1.
#
# Usage: hack/e2e-certs.sh DIR
#
# Writes into DIR (created if missing):
#   ca.crt, ca.key     the CA; base64 of ca.crt is the webhook's caBundle
#   tls.crt, tls.key   the serving certificate, SAN IP:127.0.0.1 and DNS:localhost
#
# Idempotent: existing files are kept while the certificate still verifies
# against the CA and has more than a day left; otherwise all four are made anew.
# The API server's Go client ignores the subject CN and checks only the SANs,
# so the IP SAN is what lets it call https://127.0.0.1:PORT/validate.

set -euo pipefail

log() { printf '[e2e-certs] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 DIR"
command -v openssl >/dev/null || die "openssl is required (apt-get install -y openssl)"

dir=$1
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

still_good() {
  [[ -f ca.crt && -f ca.key && -f tls.crt && -f tls.key ]] || return 1
  openssl verify -CAfile ca.crt tls.crt >/dev/null 2>&1 || return 1
  openssl x509 -in tls.crt -noout -checkend 86400 >/dev/null 2>&1
}

if still_good; then
  exit 0
fi

rm -f ca.crt ca.key tls.crt tls.key tls.csr san.cnf
# P-256 keys: generated instantly, and accepted by the API server's TLS client.
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 365 \
  -subj "/CN=hostport-guard-e2e-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  -out ca.crt 2>/dev/null

cat >san.cnf <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EOF
openssl ecparam -name prime256v1 -genkey -noout -out tls.key
openssl req -new -key tls.key -subj "/CN=hostport-guard.local" -out tls.csr 2>/dev/null
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key \
  -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 -extfile san.cnf \
  -out tls.crt 2>/dev/null
rm -f tls.csr san.cnf
chmod 600 ca.key tls.key
log "CA and serving certificate for 127.0.0.1 written to $dir"
