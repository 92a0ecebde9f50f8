#!/usr/bin/env bash
# Throwaway TLS material for tests, generated at test time with the openssl command
# (nothing is committed): a CA, a server certificate for IP 127.0.0.1 (no DNS name) signed
# by it, and a self-signed certificate of an unrelated CA.
#   tests/tools/mk-test-certs.sh DIR
# writes DIR/ca.pem, DIR/server.pem (server cert + CA: the chain), DIR/server.key,
# DIR/other-ca.pem. EC P-256 keys (fast), valid for 2 days.
set -euo pipefail
d=$1
command -v openssl >/dev/null || { echo "mk-test-certs: the openssl command is missing (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$d"
cd "$d"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=libecai test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
  -extfile server.ext 2>/dev/null
cat server.crt ca.pem > server.pem
openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=unrelated CA" 2>/dev/null
