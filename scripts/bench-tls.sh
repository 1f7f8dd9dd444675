#!/usr/bin/env bash
# TLS benchmark: coffer serve against Debian's nginx with the SAME certificate
# (an ECDSA P-256 chain from `coffer certs generate`) and the same TLS policy
# (TLS 1.2/1.3, ECDHE + AEAD), both driven by coffer-load (conformance/perf).
#
#   scripts/bench-tls.sh [--quick] [--build-dir DIR] [--no-build] [--duration S]
#
# Measures full TLS 1.3 and TLS 1.2 handshakes per second (a new connection
# for every request, no session resumption, 16 client connections, one 4 KiB
# GET per handshake), and 1 MiB GET throughput at 16 keep-alive connections
# over TLS and over plain HTTP, for each server. Prints a Markdown table and
# writes it to build/bench-tls.md. Listens on 127.0.0.1 only; every process it
# starts is stopped on exit; each step runs under `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

build_dir=build/release
build=1
duration=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) duration=3 ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) build=0 ;;
    --duration) duration=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-tls: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $build -eq 1 ]]; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake --preset release -B "$build_dir" >/dev/null
  fi
  cmake --build "$build_dir" -j2 --target coffer coffer-load
fi
COFFER=$ROOT/$build_dir/appliance/coffer
LOAD=$ROOT/$build_dir/conformance/perf/coffer-load
NGINX=${NGINX:-/usr/sbin/nginx}
for bin in "$COFFER" "$LOAD" "$NGINX"; do
  [[ -x $bin ]] || { echo "bench-tls: missing $bin" >&2; exit 1; }
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/coffer-bench-tls.XXXXXX)
coffer_pid=
nginx_pid=
cleanup() {
  local rc=$?
  for pid in $nginx_pid $coffer_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $nginx_pid $coffer_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

# One certificate for both servers.
"$COFFER" certs generate --host localhost --ip 127.0.0.1 --out "$work/certs" >/dev/null
CA=$work/certs/CAs/coffer-local-ca.crt

# --- coffer: TLS listener plus a plain one ------------------------------------
export COFFER_ROOT_USER=benchadmin
COFFER_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
COFFER_VIEWER_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export COFFER_ROOT_PASSWORD COFFER_VIEWER_SECRET
ctls=$(free_port)
cplain=$(free_port)
mkdir -p "$work/coffer" "$work/config"
cp -r fixtures/quickstart/. "$work/config/"
printf '\n[buckets.bench]\nversioning = false\nencryption = "none"\nanonymous = "none"\n' \
  >>"$work/config/buckets.toml"
"$COFFER" serve --data "$work/coffer" --config "$work/config" --certs-dir "$work/certs" \
  --address "127.0.0.1:$ctls" --plain-address "127.0.0.1:$cplain" --log-level warn \
  >"$work/coffer.log" 2>&1 &
coffer_pid=$!
if ! wait_url "https://localhost:$ctls/minio/health/live" 30 --cacert "$CA"; then
  echo "bench-tls: coffer did not come up; its log:" >&2
  tail -20 "$work/coffer.log" >&2
  exit 1
fi

# --- nginx: the same certificate, TLS and plain ----------------------------------
ntls=$(free_port)
nplain=$(free_port)
mkdir -p "$work/nginx/tmp" "$work/www/bench"
user_line=
[[ $(id -u) -eq 0 ]] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
$(nginx_temp_paths "$work/nginx/tmp")
  ssl_certificate $work/certs/public.crt;
  ssl_certificate_key $work/certs/private.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;
  ssl_ecdh_curve X25519:prime256v1:secp384r1;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:$ntls ssl;
    listen 127.0.0.1:$nplain;
    root $work/www;
  }
}
EOF
"$NGINX" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" \
  -g 'daemon off;' >"$work/nginx/stdout.log" 2>&1 &
nginx_pid=$!
echo ok >"$work/www/index.html"
if ! wait_url "https://localhost:$ntls/index.html" 10 --cacert "$CA"; then
  echo "bench-tls: nginx did not come up:" >&2
  cat "$work/nginx/error.log" >&2 || true
  exit 1
fi

# --- objects: 4 KiB and 1 MiB, written once to each server ----------------------
limit=$((${duration%.*} * 3 + 120))
coffer_load() {  # coffer_load tls|plain ARGS...
  local url="https://localhost:$ctls"
  [[ $1 == plain ]] && url="http://127.0.0.1:$cplain"
  shift
  timeout "$limit" "$LOAD" --endpoint "$url" --cacert "$CA" --bucket bench --label coffer "$@" \
    2>>"$work/load-errors.log" || true
}
nginx_load() {  # nginx_load tls|plain ARGS...
  local url="https://localhost:$ntls"
  [[ $1 == plain ]] && url="http://127.0.0.1:$nplain"
  shift
  timeout "$limit" "$LOAD" --endpoint "$url" --cacert "$CA" --unsigned --path-prefix /bench \
    --label nginx "$@" 2>>"$work/load-errors.log" || true
}
# nginx serves files: write the same key space coffer-load will ask for.
for size in 4096 1048576; do
  label=$([[ $size == 4096 ]] && echo 4KiB || echo 1MiB)
  for i in $(seq 0 63); do
    head -c "$size" /dev/urandom >"$work/www/bench/obj-$label-$(printf '%08d' "$i")"
  done
done
coffer_load tls --create-bucket --op put --size 4KiB --requests 1 --connections 1 >/dev/null
coffer_load tls --op put --size 4KiB --objects 64 --prepare --requests 1 --connections 4 >/dev/null
coffer_load tls --op put --size 1MiB --objects 64 --prepare --requests 1 --connections 4 >/dev/null

declare -A R
measure() {  # measure NAME tls|plain ARGS...
  local name=$1 mode=$2; shift 2
  echo "bench-tls: $name" >&2
  R[$name,coffer]=$(coffer_load "$mode" "$@")
  record tls "$name" "${R[$name,coffer]}"
  R[$name,nginx]=$(nginx_load "$mode" "$@")
  record tls "$name" "${R[$name,nginx]}"
}
d=(--duration "$duration" --objects 64 --connections 16)
measure hs13 tls --new-connection --tls-version 1.3 --op get --size 4KiB "${d[@]}"
measure hs12 tls --new-connection --tls-version 1.2 --op get --size 4KiB "${d[@]}"
measure get1m_tls tls --op get --size 1MiB "${d[@]}"
measure get1m_plain plain --op get --size 1MiB "${d[@]}"

val() {  # val JSON KEY UNIT
  [[ -n $1 ]] && printf '%s %s%s' "$(field "$1" "$2")" "$3" "$(errs "$1")" || printf 'failed'
}
report=$ROOT/build/bench-tls.md
mkdir -p "$ROOT/build"
{
  echo "## TLS benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration}s per run)"
  echo
  echo "coffer-load, 2 client threads, 16 connections; one ECDSA P-256 certificate for both"
  echo "servers; handshakes are full (new connection per request, no resumption) with one"
  echo "4 KiB GET each. coffer signed (SigV4), nginx unsigned static files, 2 workers."
  echo "Load average before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| test | coffer | nginx | coffer/nginx |"
  echo "|---|---|---|---|"
  echo "| TLS 1.3 handshakes/s | $(val "${R[hs13,coffer]}" ops_s /s) | $(val "${R[hs13,nginx]}" ops_s /s) | $(ratio "${R[hs13,coffer]}" "${R[hs13,nginx]}" ops_s) |"
  echo "| TLS 1.2 handshakes/s | $(val "${R[hs12,coffer]}" ops_s /s) | $(val "${R[hs12,nginx]}" ops_s /s) | $(ratio "${R[hs12,coffer]}" "${R[hs12,nginx]}" ops_s) |"
  echo "| GET 1 MiB over TLS | $(val "${R[get1m_tls,coffer]}" mb_s MB/s) | $(val "${R[get1m_tls,nginx]}" mb_s MB/s) | $(ratio "${R[get1m_tls,coffer]}" "${R[get1m_tls,nginx]}" mb_s) |"
  echo "| GET 1 MiB plain HTTP | $(val "${R[get1m_plain,coffer]}" mb_s MB/s) | $(val "${R[get1m_plain,nginx]}" mb_s MB/s) | $(ratio "${R[get1m_plain,coffer]}" "${R[get1m_plain,nginx]}" mb_s) |"
  echo "| GET 1 MiB, TLS/plain | $(ratio "${R[get1m_tls,coffer]}" "${R[get1m_plain,coffer]}" mb_s) | $(ratio "${R[get1m_tls,nginx]}" "${R[get1m_plain,nginx]}" mb_s) | |"
} >"$report"
cat "$report"
if [[ -s $work/load-errors.log ]]; then
  echo >&2
  echo "bench-tls: first client errors:" >&2
  head -20 "$work/load-errors.log" >&2
fi
