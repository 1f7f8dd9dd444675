#!/usr/bin/env bash
# S3 data-path benchmark: coffer serve against Debian's nginx on the same box,
# both driven by coffer-load (conformance/perf), so the client costs the same on
# both sides. nginx is the reference for what the kernel and one HTTP/1.1 stack
# can do here: sendfile GETs from the page cache, PUTs through the dav module.
#
#   scripts/bench-s3.sh [--quick] [--build-dir DIR] [--no-build] [--duration S]
#                       [--sse [--kes] [--reps N]] [--sweep]
#
# Measures 1 MiB PUT/GET MB/s at 16 connections, 4 KiB PUT/GET ops/s and
# p50/p99 at 16 and 256 connections, coffer's RSS with 1,000 idle keep-alive
# connections and (unless --quick) during one 5 GiB streaming PUT whose body is
# generated on the fly. Prints a Markdown table and writes it to
# build/bench-s3.md. Listens on 127.0.0.1 only; every process it starts is
# stopped on exit; each step runs under `timeout`.
#
# --sse measures server-side encryption instead (issue #9): PUT and GET of
# 1 MiB (16 connections) and 64 MiB (4 connections) objects into a plain
# bucket, an SSE-S3 bucket and an SSE-KMS bucket (bucket default encryption,
# so the client sends the same requests), interleaved N times (--reps, default
# 3), medians and encrypted/plain ratios printed and written to
# build/bench-sse.md. The key service is the in-process store, or with --kes
# a `coffer kms serve` on 127.0.0.1 over mTLS.
#
# --sweep measures the scaling curves instead: GET throughput of 4 KiB and
# 1 MiB objects at 1, 2, 4, ... 256 connections, and GET and PUT MB/s of
# objects from 4 KiB to 64 MiB at 16 connections, coffer and nginx each
# (duration per point: --duration, default 3 s). Printed as a table; with
# COFFER_BENCH_JSON set, every point is appended there (conformance/perf/run
# plots them).
#
# COFFER_BENCH_JSON=FILE: every coffer-load result is also appended to FILE as
# one JSON line tagged with its suite and test name.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

quick=0
build_dir=build/release
build=1
duration=10
sse=0
kes=0
reps=3
sweep=0
sweep_duration=
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=1; duration=3 ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) build=0 ;;
    --duration) duration=$2; sweep_duration=$2; shift ;;
    --sse) sse=1 ;;
    --kes) sse=1; kes=1 ;;
    --reps) reps=$2; shift ;;
    --sweep) sweep=1 ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "bench-s3: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $build -eq 1 ]]; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake --preset release -B "$build_dir" >/dev/null
  fi
  extra=()
  [[ $kes -eq 1 ]] && extra=(coffer_kes_bench)
  cmake --build "$build_dir" -j2 --target coffer coffer-load "${extra[@]}"
fi
COFFER=$ROOT/$build_dir/appliance/coffer
LOAD=$ROOT/$build_dir/conformance/perf/coffer-load
NGINX=${NGINX:-/usr/sbin/nginx}
for bin in "$COFFER" "$LOAD"; do
  [[ -x $bin ]] || { echo "bench-s3: missing $bin (build it, or drop --no-build)" >&2; exit 1; }
done
have_nginx=1
[[ -x $NGINX ]] || { echo "bench-s3: no $NGINX: nginx columns stay empty" >&2; have_nginx=0; }

# 1,000 idle connections plus listeners and drive files need more than 1024 fds.
ulimit -n "$(( $(ulimit -Hn) < 16384 ? $(ulimit -Hn) : 16384 ))"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/coffer-bench.XXXXXX)
coffer_pid=
kes_pid=
nginx_pid=
sampler_pid=
idle_pid=
cleanup() {
  local rc=$?
  for pid in $idle_pid $sampler_pid $nginx_pid $coffer_pid $kes_pid; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $idle_pid $sampler_pid $nginx_pid $coffer_pid $kes_pid; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

# --- coffer -----------------------------------------------------------------
export COFFER_ROOT_USER=benchadmin
COFFER_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
# serve sets the quickstart viewer's secret only for its default config dir.
COFFER_VIEWER_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export COFFER_ROOT_PASSWORD COFFER_VIEWER_SECRET
cport=$(free_port)
mkdir -p "$work/coffer" "$work/certs" "$work/config"
# The quickstart repo plus the benchmark bucket, so the bucket exists even
# before S3 CreateBucket does.
cp -r fixtures/quickstart/. "$work/config/"
printf '\n[buckets.bench]\nversioning = false\nencryption = "none"\nanonymous = "none"\n' \
  >>"$work/config/buckets.toml"
if [[ $sse -eq 1 ]]; then
  # SSE buckets by default encryption: coffer-load sends the same requests.
  printf '\n[buckets.benchs3]\nversioning = false\nencryption = "sse-s3"\nanonymous = "none"\n' \
    >>"$work/config/buckets.toml"
  printf '\n[buckets.benchkms]\nversioning = false\nencryption = "sse-kms"\nkms_key = "bench-kms"\nanonymous = "none"\n' \
    >>"$work/config/buckets.toml"
  if [[ $kes -eq 1 ]]; then
    kport=$(free_port)
    "$COFFER" certs generate --ip 127.0.0.1 --host localhost --out "$work/kes-certs" >/dev/null
    ca="$work/kes-certs/CAs/coffer-local-ca.crt"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench \
      -keyout "$work/app.key" -out "$work/app.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$work/app.ext"
    openssl x509 -req -in "$work/app.csr" -CA "$ca" -CAkey "$work/kes-certs.ca-key.pem" \
      -CAcreateserial -CAserial "$work/ca.srl" -days 1 -extfile "$work/app.ext" \
      -out "$work/app.crt" 2>/dev/null
    printf '[policy.bench]\nallow = ["/v1/key/*/*", "/v1/status"]\nidentities = ["%s"]\n' \
      "$("$COFFER" kms identity "$work/app.crt")" >"$work/kes-policy.toml"
    "$COFFER" kms serve --address "127.0.0.1:$kport" --certs-dir "$work/kes-certs" \
      --keys "$work/kes-keys" --policy "$work/kes-policy.toml" --audit-log /dev/null \
      --log-level warn >"$work/kes.log" 2>&1 &
    kes_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$kport") 2>/dev/null && break; sleep 0.1; done
    printf '[key_service]\naddress = "127.0.0.1:%s"\nclient_cert_file = "%s"\nclient_key_file = "%s"\nca_file = "%s"\ncreate_keys = ["bench-kms"]\n' \
      "$kport" "$work/app.crt" "$work/app.key" "$ca" >"$work/config/key_service.toml"
  else
    printf '[key_service]\naddress = "in-process"\ncreate_keys = ["bench-kms"]\n' \
      >"$work/config/key_service.toml"
  fi
fi
"$COFFER" serve --data "$work/coffer" --config "$work/config" --certs-dir "$work/certs" \
  --address "127.0.0.1:$cport" --log-level warn >"$work/coffer.log" 2>&1 &
coffer_pid=$!
if ! wait_url "http://127.0.0.1:$cport/minio/health/live" 30; then
  echo "bench-s3: coffer did not come up; its log:" >&2
  tail -20 "$work/coffer.log" >&2
  exit 1
fi
CURL_C="http://127.0.0.1:$cport"
[[ $sse -eq 1 ]] && have_nginx=0

# shellcheck source=bench-sse.sh
[[ $sse -eq 1 ]] && { source "$ROOT/scripts/bench-sse.sh"; exit 0; }

# --- nginx ------------------------------------------------------------------
nport=
if [[ $have_nginx -eq 1 ]]; then
  nport=$(free_port)
  mkdir -p "$work/nginx/tmp" "$work/www/bench"
  echo ok >"$work/www/index.html"
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
  client_max_body_size 0;
$(nginx_temp_paths "$work/nginx/tmp")
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
EOF
  "$NGINX" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" \
    -g 'daemon off;' >"$work/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  if ! wait_url "http://127.0.0.1:$nport/index.html" 10; then
    echo "bench-s3: nginx did not come up:" >&2
    cat "$work/nginx/error.log" >&2 || true
    kill "$nginx_pid" 2>/dev/null || true
    nginx_pid=
    have_nginx=0
  fi
fi

# --- helpers ----------------------------------------------------------------
bucket=bench
load() {  # load coffer|nginx ARGS... ; prints coffer-load's JSON line ("" on failure)
  local target=$1; shift
  local limit=$((${duration%.*} * 3 + 120))
  if [[ $target == coffer ]]; then
    timeout "$limit" "$LOAD" --endpoint "$CURL_C" --bucket "$bucket" --label coffer "$@" \
      2>>"$work/load-errors.log" || true
  else
    timeout "$limit" "$LOAD" --endpoint "http://127.0.0.1:$nport" --unsigned --bucket bench \
      --label nginx "$@" 2>>"$work/load-errors.log" || true
  fi
}
mbs() { [[ -n $1 ]] && printf '%s MB/s%s' "$(field "$1" mb_s)" "$(errs "$1")" || printf 'failed'; }
ops() {
  [[ -n $1 ]] || { printf 'failed'; return; }
  printf '%s ops/s, p50 %s µs, p99 %s µs%s' "$(field "$1" ops_s)" "$(field "$1" p50_us)" \
    "$(field "$1" p99_us)" "$(errs "$1")"
}
rss_kib() { awk -v k="$2" '$1==k":"{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f MiB", k/1024}'; }

# The bucket: S3 CreateBucket when coffer has it; the config repo has it anyway.
"$LOAD" --endpoint "$CURL_C" --bucket "$bucket" --create-bucket --op put --size 4KiB \
  --requests 1 --connections 1 >/dev/null 2>>"$work/load-errors.log" ||
  echo "bench-s3: CreateBucket failed (see errors below); relying on the config repo" >&2

declare -A R
run_pair() {  # run_pair NAME ARGS...
  local name=$1; shift
  echo "bench-s3: $name" >&2
  R[$name,coffer]=$(load coffer "$@")
  record s3 "$name" "${R[$name,coffer]}"
  if [[ $have_nginx -eq 1 ]]; then
    R[$name,nginx]=$(load nginx "$@")
    record s3 "$name" "${R[$name,nginx]}"
  fi
  return 0
}

if [[ $sweep -eq 1 ]]; then
  duration=${sweep_duration:-3}
  d=(--duration "$duration")
  sweep_row() {  # sweep_row SUITE NAME KEY UNIT ARGS...
    local suite=$1 name=$2 key=$3 unit=$4 c n; shift 4
    echo "bench-s3: sweep $suite $name" >&2
    c=$(load coffer "$@"); record "$suite" "$name" "$c"
    n=
    if [[ $have_nginx -eq 1 ]]; then n=$(load nginx "$@"); record "$suite" "$name" "$n"; fi
    echo "| $suite | $name | $(field "$c" "$key") $unit$(errs "$c") | $(field "$n" "$key") $unit$(errs "$n") | $(ratio "$c" "$n" "$key") |"
  }
  echo "| curve | point | coffer | nginx | coffer/nginx |"
  echo "|---|---|---|---|---|"
  for size in 4KiB 1MiB; do
    load coffer --op get --size "$size" --objects 64 --prepare --requests 1 --connections 4 >/dev/null
    [[ $have_nginx -eq 1 ]] && load nginx --op get --size "$size" --objects 64 --prepare \
      --requests 1 --connections 4 >/dev/null
    for c in 1 2 4 8 16 32 64 128 256; do
      sweep_row "conn-get-$size" "$c" mb_s MB/s --op get --size "$size" --objects 64 \
        --connections "$c" "${d[@]}"
    done
  done
  for size in 4KiB 16KiB 64KiB 256KiB 1MiB 4MiB 16MiB 64MiB; do
    objects=64
    [[ $size == 16MiB || $size == 64MiB ]] && objects=8
    sweep_row size-put "$size" mb_s MB/s --op put --size "$size" --objects "$objects" \
      --connections 16 "${d[@]}"
    sweep_row size-get "$size" mb_s MB/s --op get --size "$size" --objects "$objects" \
      --prepare --connections 16 "${d[@]}"
  done
  exit 0
fi
d=(--duration "$duration")
run_pair put1m --op put --size 1MiB --objects 64 --connections 16 "${d[@]}"
run_pair get1m --op get --size 1MiB --objects 64 --connections 16 --prepare "${d[@]}"
for c in 16 256; do
  run_pair "put4k$c" --op put --size 4KiB --objects 1000 --connections "$c" "${d[@]}"
  run_pair "get4k$c" --op get --size 4KiB --objects 1000 --connections "$c" --prepare "${d[@]}"
done

# --- memory -----------------------------------------------------------------
rss_base=$(rss_kib "$coffer_pid" VmRSS)
hold=$((quick ? 6 : 12))
echo "bench-s3: 1000 idle connections for ${hold}s" >&2
idle_out="$work/idle.json"
timeout $((hold + 60)) "$LOAD" --endpoint "$CURL_C" --idle 1000 --hold "$hold" --label coffer \
  >"$idle_out" 2>>"$work/load-errors.log" &
idle_pid=$!
sleep $((hold / 2 + 1))
rss_idle=$(rss_kib "$coffer_pid" VmRSS)
wait "$idle_pid" || true
idle_pid=
idle_json=$(cat "$idle_out")
record s3 idle1000 "$idle_json"

big_json=
rss_big=
if [[ $quick -eq 0 ]]; then
  echo "bench-s3: 5 GiB streaming PUT" >&2
  # Resets VmHWM so the peak is this PUT's, not the earlier runs'.
  echo 5 >"/proc/$coffer_pid/clear_refs" 2>/dev/null || true
  peak_file="$work/peak"
  echo 0 >"$peak_file"
  (
    peak=0
    while kill -0 "$coffer_pid" 2>/dev/null; do
      r=$(rss_kib "$coffer_pid" VmRSS)
      if ((r > peak)); then peak=$r; echo "$peak" >"$peak_file"; fi
      sleep 0.25
    done
  ) &
  sampler_pid=$!
  big_json=$(timeout 1500 "$LOAD" --endpoint "$CURL_C" --bucket "$bucket" --label coffer \
    --op put --size 5GiB --objects 1 --requests 1 --connections 1 --timeout 1200 \
    2>>"$work/load-errors.log" || true)
  record s3 put5g "$big_json"
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=
  hwm=$(rss_kib "$coffer_pid" VmHWM)
  sampled=$(cat "$peak_file")
  rss_big=$((hwm > sampled ? hwm : sampled))
fi

record s3 rss "{\"label\":\"coffer\",\"rss_base_kib\":${rss_base:-0},\"rss_idle_kib\":${rss_idle:-0},\"rss_5g_kib\":${rss_big:-0},\"opened\":$(field "$idle_json" opened | grep . || echo 0),\"alive_after_hold\":$(field "$idle_json" alive_after_hold | grep . || echo 0)}"

# --- report -----------------------------------------------------------------
report=$ROOT/build/bench-s3.md
mkdir -p "$ROOT/build"
{
  echo "## S3 benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration}s per run)"
  echo
  echo "coffer-load, 2 client threads, keep-alive; coffer signed (SigV4, UNSIGNED-PAYLOAD),"
  echo "nginx unsigned (sendfile GET, dav PUT), 2 workers. MB = 10^6 bytes. Load average"
  echo "before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the box skews"
  echo "both columns; compare within a run)."
  echo
  echo "| test | coffer | nginx | coffer/nginx |"
  echo "|---|---|---|---|"
  echo "| PUT 1 MiB, 16 conn | $(mbs "${R[put1m,coffer]:-}") | $(mbs "${R[put1m,nginx]:-}") | $(ratio "${R[put1m,coffer]:-}" "${R[put1m,nginx]:-}" mb_s) |"
  echo "| GET 1 MiB, 16 conn | $(mbs "${R[get1m,coffer]:-}") | $(mbs "${R[get1m,nginx]:-}") | $(ratio "${R[get1m,coffer]:-}" "${R[get1m,nginx]:-}" mb_s) |"
  for c in 16 256; do
    for op in put get; do
      k=${op}4k$c
      echo "| ${op^^} 4 KiB, $c conn | $(ops "${R[$k,coffer]:-}") | $(ops "${R[$k,nginx]:-}") | $(ratio "${R[$k,coffer]:-}" "${R[$k,nginx]:-}" ops_s) |"
    done
  done
  echo "| coffer RSS, idle after the runs | $(mib "$rss_base") | | |"
  echo "| coffer RSS, 1000 idle keep-alive conns | $(mib "$rss_idle") (opened $(field "$idle_json" opened), alive after ${hold}s $(field "$idle_json" alive_after_hold)) | | |"
  if [[ $quick -eq 0 ]]; then
    if [[ -n $big_json ]]; then
      echo "| coffer peak RSS, 5 GiB streaming PUT | $(mib "$rss_big") ($(mbs "$big_json"), $(field "$big_json" seconds) s) | | |"
    else
      echo "| coffer peak RSS, 5 GiB streaming PUT | $(mib "$rss_big") (PUT failed) | | |"
    fi
  fi
} >"$report"
cat "$report"
if grep -qv ': prepare: ' "$work/load-errors.log" 2>/dev/null; then
  echo >&2
  echo "bench-s3: first client errors:" >&2
  grep -v ': prepare: ' "$work/load-errors.log" | head -20 >&2
fi
