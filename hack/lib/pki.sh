# shellcheck shell=bash
# Throwaway certificates for the local cluster, the demo and the tests: the one place
# hack/ makes keys and certificates. Sourced, never executed.
#
# P-256 keys: generated instantly and accepted by every Kubernetes component and by the
# API server's TLS client. A file that already exists is kept, so re-running is cheap.

# hpg_gen_ca DIR NAME CN [DAYS]: DIR/NAME.crt and DIR/NAME.key, a self-signed CA.
hpg_gen_ca() {
  local dir=$1 name=$2 cn=$3 days=${4:-3650}
  [[ -f "$dir/$name.crt" && -f "$dir/$name.key" ]] && return 0
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key"
  openssl req -x509 -new -key "$dir/$name.key" -sha256 -days "$days" \
    -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$dir/$name.crt" 2>/dev/null
  chmod 600 "$dir/$name.key"
}

# hpg_gen_cert DIR CA NAME SUBJECT EXT_KEY_USAGE [SAN] [DAYS]: DIR/NAME.crt and .key,
# signed by DIR/CA.crt; SUBJECT like "/O=group/CN=name", SAN like "IP:10.0.0.1,DNS:x".
hpg_gen_cert() {
  local dir=$1 ca=$2 name=$3 subj=$4 eku=$5 san=${6:-} days=${7:-3650} ext
  [[ -f "$dir/$name.crt" && -f "$dir/$name.key" ]] && return 0
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    if [[ -n "$san" ]]; then echo "subjectAltName=$san"; fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$ext" \
    -out "$dir/$name.crt" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
  chmod 600 "$dir/$name.key"
}

# hpg_cert_valid DIR CA NAME [SECONDS]: the cert verifies against the CA and stays valid
# for SECONDS more (default one day).
hpg_cert_valid() {
  local dir=$1 ca=$2 name=$3 secs=${4:-86400}
  [[ -f "$dir/$name.crt" && -f "$dir/$name.key" && -f "$dir/$ca.crt" ]] || return 1
  openssl verify -CAfile "$dir/$ca.crt" "$dir/$name.crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "$dir/$name.crt" -noout -checkend "$secs" >/dev/null 2>&1
}
