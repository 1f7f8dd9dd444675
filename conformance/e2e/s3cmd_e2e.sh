#!/usr/bin/env bash
# End to end with Debian's unmodified s3cmd (SigV4, path style, plain HTTP)
# against `coffer serve` on 127.0.0.1: mb, ls, put, info, get, del, sync (up,
# incremental, --delete-removed, down), a 12 MiB multipart put in 5 MiB
# chunks, rb. Needs COFFER_BIN and COFFER_SOURCE_DIR.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init s3cmd_e2e

S3CMD=/usr/bin/s3cmd
[[ -x "$S3CMD" ]] || fail "s3cmd is not installed (scripts/install-deps.sh test)"

start_coffer

cat >"$work/s3cfg" <<EOF
[default]
access_key = $COFFER_ACCESS_KEY
secret_key = $COFFER_SECRET_KEY
host_base = 127.0.0.1:$coffer_port
host_bucket = 127.0.0.1:$coffer_port
use_https = False
signature_v2 = False
bucket_location = us-east-1
check_ssl_certificate = False
guess_mime_type = False
progress_meter = False
socket_timeout = 60
EOF

s3c() { bounded "${T:-$E2E_CALL_TIMEOUT}" "$S3CMD" -c "$work/s3cfg" "$@"; }
mkfile() { head -c "$2" /dev/urandom >"$1"; }

case_basic() {
  local b=s3cmd-basic out
  s3c mb "s3://$b"
  assert_contains "s3://$b" "$(s3c ls)" "ls lists the bucket"
  mkfile f.bin 54321
  s3c put f.bin "s3://$b/dir/f.bin"
  local ls
  ls=$(s3c ls "s3://$b/")
  assert_contains "DIR  s3://$b/dir/" "$ls" "ls shows the prefix"
  ls=$(s3c ls "s3://$b/dir/")
  assert_contains "54321  s3://$b/dir/f.bin" "$ls" "ls shows size and key"
  # --list-md5 shows the ETag: the MD5 of a single PUT. (`s3cmd info` is
  # left out: it also reads ACL, CORS and policy subresources.)
  must out s3c ls --list-md5 "s3://$b/dir/"
  assert_contains "$(md5sum f.bin | cut -d' ' -f1)" "$out" "ls --list-md5 shows the MD5"
  s3c get "s3://$b/dir/f.bin" f.back
  assert_files_equal f.bin f.back "get round trip"
  expect_fail "BucketNotEmpty" "rb of a non-empty bucket" s3c rb "s3://$b"
  s3c del "s3://$b/dir/f.bin"
  must out s3c ls --recursive "s3://$b/"
  assert_not_contains "f.bin" "$out" "del removed the object"
  expect_fail "does not exist" "get of a deleted object" s3c get "s3://$b/dir/f.bin" f.gone
  s3c rb "s3://$b"
  must out s3c ls
  assert_not_contains "s3://$b" "$out" "rb removed the bucket"
}

case_sync() {
  local b=s3cmd-sync out
  s3c mb "s3://$b"
  mkdir -p tree/a/b tree/c
  mkfile tree/top.txt 11
  mkfile tree/a/x.txt 22
  mkfile tree/a/b/y.txt 33
  mkfile tree/c/z.txt 44
  s3c sync tree/ "s3://$b/sync/"
  local rec
  rec=$(s3c ls --recursive "s3://$b/")
  for k in sync/top.txt sync/a/x.txt sync/a/b/y.txt sync/c/z.txt; do
    assert_contains "s3://$b/$k" "$rec" "sync uploaded $k"
  done
  local again
  again=$(s3c sync tree/ "s3://$b/sync/")
  assert_not_contains "upload:" "$again" "a second sync of an unchanged tree uploads nothing"
  mkfile tree/a/b/y.txt 34
  mkfile tree/c/new.txt 5
  rm tree/c/z.txt
  again=$(s3c sync --delete-removed tree/ "s3://$b/sync/")
  assert_contains "tree/a/b/y.txt" "$again" "sync uploads the changed file"
  assert_contains "tree/c/new.txt" "$again" "sync uploads the new file"
  assert_contains "delete: 's3://$b/sync/c/z.txt'" "$again" "sync --delete-removed"
  assert_not_contains "top.txt" "$again" "sync skips unchanged files"
  mkdir down
  s3c sync "s3://$b/sync/" down/
  diff -r tree down || fail "sync down differs from the local tree"
  s3c del --recursive --force "s3://$b/"
  must out s3c ls --recursive "s3://$b/"
  assert_eq "" "$out" "del --recursive leaves nothing"
  s3c rb "s3://$b"
}

case_multipart() {
  local b=s3cmd-mpu
  s3c mb "s3://$b"
  mkfile big.bin $((12 * 1024 * 1024))
  local out
  # --progress makes s3cmd name each part it sends.
  out=$(s3c --progress put --multipart-chunk-size-mb=5 big.bin "s3://$b/big.bin" 2>&1 | tr '\r' '\n')
  assert_contains "[part 3 of 3" "$out" "s3cmd split 12 MiB into three 5 MiB parts"
  assert_not_contains "[part 4 of" "$out" "no fourth part"
  must out s3c ls --list-md5 "s3://$b/"
  assert_contains "12582912" "$out" "ls shows the size"
  # For a multipart ETag ("...-3") s3cmd shows the whole-file MD5 it stored
  # in its x-amz-meta-s3cmd-attrs header at CreateMultipartUpload.
  assert_contains "$(md5sum big.bin | cut -d' ' -f1)" "$out" "ls --list-md5 shows the whole-file MD5"
  s3c get "s3://$b/big.bin" big.back
  assert_eq "$(sha256sum <big.bin)" "$(sha256sum <big.back)" "multipart round trip"
  s3c del "s3://$b/big.bin"
  s3c rb "s3://$b"
}

run_case basic case_basic
run_case sync case_sync
run_case multipart case_multipart
e2e_finish
