#!/usr/bin/env bash
# End to end with Debian's unmodified awscli 2.9 (/usr/bin/aws) against
# `coffer serve` on 127.0.0.1: the high-level `aws s3` commands and the
# `aws s3api` operation families (buckets, objects, conditional and ranged
# reads, copy, batch delete, listing and pagination, versioning, tagging,
# multipart), a >= 200 MiB multipart transfer, presigned URLs and SigV4
# failures. Needs COFFER_BIN and COFFER_SOURCE_DIR. E2E_GROUP=s3|s3api|s3api_mpu
# runs one group (see the end), E2E_ONLY=case,case a subset; E2E_KEEP=1 keeps the work dir.
# E2E_TLS=1 runs the same cases over HTTPS (lib.sh: start_coffer).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
e2e_init "awscli${E2E_TLS:+_https}${E2E_GROUP:+_$E2E_GROUP}_e2e"

# Size of the big multipart transfer; the issue asks for at least 200 MiB.
BIG_MIB=${E2E_BIG_MIB:-200}

aws_() {
  bounded "${T:-$E2E_CALL_TIMEOUT}" "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    ${E2E_CA:+--ca-bundle "$E2E_CA"} --cli-connect-timeout 10 --cli-read-timeout 60 "$@"
}
s3api() { aws_ s3api "$@"; }
# py EXPR: evaluates a Python expression over the JSON on stdin (bound to d).
# awscli prints nothing for an empty result (a listing of an empty bucket):
# that reads as {}.
py() {
  "$E2E_PY" -c 'import json,sys; t=sys.stdin.read().strip(); d=json.loads(t) if t else {}; r=eval(sys.argv[1]); print("" if r is None else r)' "$1"
}
md5_b64() { openssl dgst -md5 -binary "$1" | base64; }
md5_hex() { md5sum "$1" | cut -d' ' -f1; }
mkfile() {  # mkfile PATH BYTES: random content
  head -c "$2" /dev/urandom >"$1"
}


start_coffer

# ---------------------------------------------------------------- aws s3 ...
case_s3_commands() {
  local b=awscli-hl out
  aws_ s3 mb "s3://$b"
  assert_contains "$b" "$(aws_ s3 ls)" "aws s3 ls lists the new bucket"
  mkfile one.bin 12345
  aws_ s3 cp one.bin "s3://$b/one.bin"
  assert_contains "12345 one.bin" "$(aws_ s3 ls "s3://$b/")" "ls shows size and key"
  aws_ s3 cp "s3://$b/one.bin" one.back
  assert_files_equal one.bin one.back "cp round trip"

  # cp --recursive of a nested tree, then ls with prefixes.
  mkdir -p tree/a/b tree/c
  mkfile tree/top.txt 10
  mkfile tree/a/x.txt 20
  mkfile tree/a/b/y.txt 30
  mkfile tree/c/z.txt 40
  aws_ s3 cp --recursive tree "s3://$b/tree/"
  local top
  top=$(aws_ s3 ls "s3://$b/tree/")
  assert_contains "PRE a/" "$top" "ls tree/ shows prefix a/"
  assert_contains "PRE c/" "$top" "ls tree/ shows prefix c/"
  assert_contains "10 top.txt" "$top" "ls tree/ shows top.txt"
  assert_not_contains "x.txt" "$top" "ls tree/ does not descend"
  local partial
  partial=$(aws_ s3 ls "s3://$b/tree/a")
  assert_contains "PRE a/" "$partial" "ls with a partial prefix tree/a"
  local rec
  rec=$(aws_ s3 ls --recursive "s3://$b/tree/")
  for k in tree/top.txt tree/a/x.txt tree/a/b/y.txt tree/c/z.txt; do
    assert_contains "$k" "$rec" "ls --recursive"
  done
  aws_ s3 cp --recursive "s3://$b/tree/" tree.back
  diff -r tree tree.back || fail "cp --recursive download differs"

  # sync up, change, sync again (only the change moves), --delete, sync down.
  aws_ s3 sync tree "s3://$b/sync/"
  local again
  again=$(aws_ s3 sync tree "s3://$b/sync/")
  assert_eq "" "$again" "second sync of an unchanged tree uploads nothing"
  mkfile tree/a/b/y.txt 31
  mkfile tree/c/new.txt 5
  local delta
  delta=$(aws_ s3 sync tree "s3://$b/sync/")
  assert_contains "upload: tree/a/b/y.txt to s3://$b/sync/a/b/y.txt" "$delta" "sync uploads the changed file"
  assert_contains "upload: tree/c/new.txt to s3://$b/sync/c/new.txt" "$delta" "sync uploads the new file"
  assert_not_contains "top.txt" "$delta" "sync skips unchanged files"
  rm tree/c/z.txt
  delta=$(aws_ s3 sync --delete tree "s3://$b/sync/")
  assert_contains "delete: s3://$b/sync/c/z.txt" "$delta" "sync --delete removes the deleted file"
  aws_ s3 sync "s3://$b/sync/" sync.back
  diff -r tree sync.back || fail "sync down differs from the local tree"

  # rm, rb on a non-empty bucket, rm --recursive, rb.
  aws_ s3 rm "s3://$b/one.bin"
  must out aws_ s3 ls "s3://$b/"
  assert_not_contains "one.bin" "$out" "rm removed one.bin"
  expect_fail "BucketNotEmpty" "rb of a non-empty bucket" aws_ s3 rb "s3://$b"
  aws_ s3 rm --recursive "s3://$b/"
  must out aws_ s3 ls --recursive "s3://$b/"
  assert_eq "" "$out" "rm --recursive leaves nothing"
  aws_ s3 rb "s3://$b"
  must out aws_ s3 ls
  assert_not_contains "$b" "$out" "rb removed the bucket"
  # rb --force empties and removes in one go.
  aws_ s3 mb "s3://$b-force"
  aws_ s3 cp one.bin "s3://$b-force/k"
  aws_ s3 rb --force "s3://$b-force"
  must out aws_ s3 ls
  assert_not_contains "$b-force" "$out" "rb --force"
}

# ------------------------------------------------------------------ buckets
case_bucket_api() {
  local b=awscli-bkt
  s3api create-bucket --bucket "$b"
  s3api head-bucket --bucket "$b"
  expect_fail "(404)" "head-bucket of a missing bucket" s3api head-bucket --bucket awscli-missing
  local loc
  loc=$(s3api get-bucket-location --bucket "$b" | py 'd.get("LocationConstraint")')
  # S3 answers an empty LocationConstraint for us-east-1.
  assert_eq "" "$loc" "get-bucket-location in us-east-1"
  expect_fail "NoSuchBucket" "get-bucket-location of a missing bucket" \
    s3api get-bucket-location --bucket awscli-missing
  local lb
  lb=$(s3api list-buckets)
  assert_eq "True" "$(py "any(x['Name'] == '$b' for x in d['Buckets'])" <<<"$lb")" "list-buckets has $b"
  assert_eq "True" "$(py "all('CreationDate' in x for x in d['Buckets'])" <<<"$lb")" "list-buckets CreationDate"
  assert_eq "True" "$(py "'Owner' in d" <<<"$lb")" "list-buckets Owner"
  expect_fail "InvalidBucketName" "create-bucket Bad_Name" s3api create-bucket --bucket Bad_Name
  expect_fail "InvalidBucketName" "create-bucket with '..'" s3api create-bucket --bucket bad..name
  expect_fail "InvalidBucketName" "create-bucket like an IP" s3api create-bucket --bucket 192.168.5.4
  s3api delete-bucket --bucket "$b"
  expect_fail "(404)" "head-bucket after delete" s3api head-bucket --bucket "$b"
  expect_fail "NoSuchBucket" "delete-bucket twice" s3api delete-bucket --bucket "$b"
}

# ------------------------------------------------------------------ objects
case_object_api() {
  local b=awscli-obj
  s3api create-bucket --bucket "$b"
  mkfile body.bin 100000
  local out etag
  out=$(s3api put-object --bucket "$b" --key "dir/obj.bin" --body body.bin \
    --metadata color=blue,shape=round --content-type application/x-coffer-test \
    --tagging 'project=e2e&tier=gold' --content-md5 "$(md5_b64 body.bin)")
  etag=$(py 'd["ETag"]' <<<"$out")
  assert_eq "\"$(md5_hex body.bin)\"" "$etag" "ETag of a single PUT is the quoted MD5"

  local head
  head=$(s3api head-object --bucket "$b" --key dir/obj.bin)
  assert_eq 100000 "$(py 'd["ContentLength"]' <<<"$head")" "head ContentLength"
  assert_eq application/x-coffer-test "$(py 'd["ContentType"]' <<<"$head")" "head ContentType"
  assert_eq blue "$(py 'd["Metadata"].get("color")' <<<"$head")" "head metadata color"
  assert_eq round "$(py 'd["Metadata"].get("shape")' <<<"$head")" "head metadata shape"
  assert_eq "$etag" "$(py 'd["ETag"]' <<<"$head")" "head ETag"
  assert_eq "True" "$(py 'bool(d.get("LastModified"))' <<<"$head")" "head LastModified"

  out=$(s3api get-object --bucket "$b" --key dir/obj.bin got.bin)
  assert_files_equal body.bin got.bin "get-object body"
  assert_eq 2 "$(py 'd.get("TagCount")' <<<"$out")" "get-object TagCount"
  local tags
  tags=$(s3api get-object-tagging --bucket "$b" --key dir/obj.bin |
    py '",".join(sorted(t["Key"] + "=" + t["Value"] for t in d["TagSet"]))')
  assert_eq "project=e2e,tier=gold" "$tags" "tags from put-object --tagging"

  # Ranges: first bytes, middle, suffix, open-ended.
  out=$(s3api get-object --bucket "$b" --key dir/obj.bin --range bytes=0-9 r1.bin)
  head -c 10 body.bin >want1.bin
  assert_files_equal want1.bin r1.bin "range 0-9"
  assert_eq "bytes 0-9/100000" "$(py 'd["ContentRange"]' <<<"$out")" "Content-Range 0-9"
  assert_eq 10 "$(py 'd["ContentLength"]' <<<"$out")" "ContentLength of range 0-9"
  s3api get-object --bucket "$b" --key dir/obj.bin --range bytes=1000-1999 r2.bin >/dev/null
  head -c 2000 body.bin | tail -c 1000 >want2.bin
  assert_files_equal want2.bin r2.bin "range 1000-1999"
  out=$(s3api get-object --bucket "$b" --key dir/obj.bin --range bytes=-5 r3.bin)
  tail -c 5 body.bin >want3.bin
  assert_files_equal want3.bin r3.bin "suffix range -5"
  assert_eq "bytes 99995-99999/100000" "$(py 'd["ContentRange"]' <<<"$out")" "Content-Range of -5"
  s3api get-object --bucket "$b" --key dir/obj.bin --range bytes=99990- r4.bin >/dev/null
  tail -c 10 body.bin >want4.bin
  assert_files_equal want4.bin r4.bin "open range 99990-"
  expect_fail "InvalidRange" "range past the end" \
    s3api get-object --bucket "$b" --key dir/obj.bin --range bytes=200000-200010 r5.bin

  # Conditional reads.
  s3api get-object --bucket "$b" --key dir/obj.bin --if-match "$etag" c1.bin >/dev/null
  assert_files_equal body.bin c1.bin "get with matching If-Match"
  expect_fail "PreconditionFailed" "If-Match with another ETag" \
    s3api get-object --bucket "$b" --key dir/obj.bin --if-match '"0123456789abcdef0123456789abcdef"' c2.bin
  expect_fail "(304)" "If-None-Match with the current ETag" \
    s3api get-object --bucket "$b" --key dir/obj.bin --if-none-match "$etag" c3.bin
  s3api get-object --bucket "$b" --key dir/obj.bin --if-none-match '"0123456789abcdef0123456789abcdef"' \
    c4.bin >/dev/null
  assert_files_equal body.bin c4.bin "get with non-matching If-None-Match"

  # A Content-MD5 that does not match the body: BadDigest, nothing stored.
  mkfile other.bin 100
  expect_fail "BadDigest" "put-object with a wrong Content-MD5" \
    s3api put-object --bucket "$b" --key bad-md5 --body body.bin --content-md5 "$(md5_b64 other.bin)"
  expect_fail "(404)" "object after BadDigest" s3api head-object --bucket "$b" --key bad-md5

  # Missing things.
  expect_fail "NoSuchKey" "get of a missing key" s3api get-object --bucket "$b" --key nope nope.bin
  expect_fail "(404)" "head of a missing key" s3api head-object --bucket "$b" --key nope
  expect_fail "NoSuchBucket" "put into a missing bucket" \
    s3api put-object --bucket awscli-missing --key k --body other.bin

  # An empty object and a key that needs URL encoding.
  : >empty.bin
  s3api put-object --bucket "$b" --key "empty" --body empty.bin >/dev/null
  assert_eq 0 "$(s3api head-object --bucket "$b" --key empty | py 'd["ContentLength"]')" "empty object"
  local odd='spaces and+plus/ünï cödé/%41?&=#.txt'
  s3api put-object --bucket "$b" --key "$odd" --body other.bin >/dev/null
  s3api get-object --bucket "$b" --key "$odd" odd.bin >/dev/null
  assert_files_equal other.bin odd.bin "key with spaces, plus, UTF-8 and reserved characters"
  assert_contains "$odd" "$(s3api list-objects-v2 --bucket "$b" | py '"\n".join(o["Key"] for o in d["Contents"])')" \
    "odd key listed verbatim"

  s3api delete-object --bucket "$b" --key dir/obj.bin
  expect_fail "(404)" "head after delete" s3api head-object --bucket "$b" --key dir/obj.bin
  # Deleting a missing key succeeds (204), as S3 does.
  s3api delete-object --bucket "$b" --key never-existed
}

# --------------------------------------------------------------------- copy
case_copy_object() {
  local b=awscli-copy
  s3api create-bucket --bucket "$b"
  s3api create-bucket --bucket "$b-dst"
  mkfile src.bin 4096
  s3api put-object --bucket "$b" --key src --body src.bin --metadata origin=src \
    --content-type text/x-src --tagging 'k1=v1' >/dev/null

  local out
  out=$(s3api copy-object --bucket "$b-dst" --key copied --copy-source "$b/src")
  assert_eq "\"$(md5_hex src.bin)\"" "$(py 'd["CopyObjectResult"]["ETag"]' <<<"$out")" "CopyObjectResult ETag"
  local head
  head=$(s3api head-object --bucket "$b-dst" --key copied)
  assert_eq text/x-src "$(py 'd["ContentType"]' <<<"$head")" "COPY keeps the content type"
  assert_eq src "$(py 'd["Metadata"].get("origin")' <<<"$head")" "COPY keeps the metadata"
  s3api get-object --bucket "$b-dst" --key copied copied.bin >/dev/null
  assert_files_equal src.bin copied.bin "copied body"
  assert_eq "k1=v1" "$(s3api get-object-tagging --bucket "$b-dst" --key copied |
    py '",".join(t["Key"] + "=" + t["Value"] for t in d["TagSet"])')" "tagging directive COPY (default)"

  s3api copy-object --bucket "$b" --key replaced --copy-source "$b/src" --metadata-directive REPLACE \
    --metadata origin=replaced,extra=1 --content-type application/x-replaced >/dev/null
  head=$(s3api head-object --bucket "$b" --key replaced)
  assert_eq application/x-replaced "$(py 'd["ContentType"]' <<<"$head")" "REPLACE sets the content type"
  assert_eq replaced "$(py 'd["Metadata"].get("origin")' <<<"$head")" "REPLACE sets the metadata"
  assert_eq 1 "$(py 'd["Metadata"].get("extra")' <<<"$head")" "REPLACE adds metadata"

  # Copying an object onto itself without changing anything is illegal.
  expect_fail "InvalidRequest" "copy onto itself with COPY" \
    s3api copy-object --bucket "$b" --key src --copy-source "$b/src"
  # ... but allowed with REPLACE (the usual way to change metadata in place).
  s3api copy-object --bucket "$b" --key src --copy-source "$b/src" --metadata-directive REPLACE \
    --metadata origin=self >/dev/null
  assert_eq self "$(s3api head-object --bucket "$b" --key src | py 'd["Metadata"].get("origin")')" \
    "self-copy with REPLACE"
  # Conditional copy.
  expect_fail "PreconditionFailed" "copy-source-if-match with another ETag" \
    s3api copy-object --bucket "$b" --key c2 --copy-source "$b/src" \
    --copy-source-if-match '"0123456789abcdef0123456789abcdef"'
  expect_fail "NoSuchKey" "copy of a missing source" \
    s3api copy-object --bucket "$b" --key c3 --copy-source "$b/missing"
}

# ----------------------------------------------------------- delete-objects
case_delete_objects() {
  local b=awscli-del
  s3api create-bucket --bucket "$b"
  mkfile small.bin 10
  for k in k1 k2 k3 k4 k5; do s3api put-object --bucket "$b" --key "$k" --body small.bin >/dev/null; done
  local out
  out=$(s3api delete-objects --bucket "$b" \
    --delete '{"Objects":[{"Key":"k1"},{"Key":"k2"},{"Key":"k3"},{"Key":"not-there"}]}')
  assert_eq "k1,k2,k3,not-there" "$(py '",".join(sorted(x["Key"] for x in d.get("Deleted", [])))' <<<"$out")" \
    "delete-objects reports every key (missing ones too) as deleted"
  assert_eq 0 "$(py 'len(d.get("Errors", []))' <<<"$out")" "delete-objects errors"
  assert_eq "k4,k5" "$(s3api list-objects-v2 --bucket "$b" | py '",".join(o["Key"] for o in d.get("Contents", []))')" \
    "keys left after delete-objects"
  out=$(s3api delete-objects --bucket "$b" --delete '{"Objects":[{"Key":"k4"}],"Quiet":true}')
  [[ -z "$out" ]] || assert_eq 0 "$(py 'len(d.get("Deleted", []))' <<<"$out")" "quiet mode lists no Deleted"
  assert_eq "k5" "$(s3api list-objects-v2 --bucket "$b" | py '",".join(o["Key"] for o in d.get("Contents", []))')" \
    "keys left after the quiet delete"
}

# ------------------------------------------------------------------ listing
case_listing() {
  local b=awscli-list
  s3api create-bucket --bucket "$b"
  mkfile small.bin 7
  local keys=(list/a/1.txt list/a/2.txt list/a/b/3.txt list/c.txt list/d/4.txt list/e.txt other.txt)
  for k in "${keys[@]}"; do s3api put-object --bucket "$b" --key "$k" --body small.bin >/dev/null; done
  local ckeys='",".join(o["Key"] for o in d.get("Contents", []))'
  local cpfx='",".join(p["Prefix"] for p in d.get("CommonPrefixes", []))'
  local out

  # v2: prefix, delimiter.
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --delimiter /)
  assert_eq "list/c.txt,list/e.txt" "$(py "$ckeys" <<<"$out")" "v2 prefix+delimiter Contents"
  assert_eq "list/a/,list/d/" "$(py "$cpfx" <<<"$out")" "v2 prefix+delimiter CommonPrefixes"
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/a/)
  assert_eq "list/a/1.txt,list/a/2.txt,list/a/b/3.txt" "$(py "$ckeys" <<<"$out")" "v2 prefix"
  assert_eq 7 "$(py 'd["Contents"][0]["Size"]' <<<"$out")" "v2 Size"
  assert_eq "\"$(md5_hex small.bin)\"" "$(py 'd["Contents"][0]["ETag"]' <<<"$out")" "v2 ETag"
  out=$(s3api list-objects-v2 --bucket "$b" --delimiter /)
  assert_eq "other.txt" "$(py "$ckeys" <<<"$out")" "v2 delimiter at the root"
  assert_eq "list/" "$(py "$cpfx" <<<"$out")" "v2 root CommonPrefixes"
  out=$(s3api list-objects-v2 --bucket "$b" --start-after list/c.txt)
  assert_eq "list/d/4.txt,list/e.txt,other.txt" "$(py "$ckeys" <<<"$out")" "v2 start-after"

  # v2: one raw page of max-keys 2, then its continuation token.
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --max-keys 2 --no-paginate)
  assert_eq "list/a/1.txt,list/a/2.txt" "$(py "$ckeys" <<<"$out")" "v2 max-keys 2 page 1"
  assert_eq "True" "$(py 'd["IsTruncated"]' <<<"$out")" "v2 page 1 IsTruncated"
  assert_eq 2 "$(py 'd["KeyCount"]' <<<"$out")" "v2 page 1 KeyCount"
  assert_eq 2 "$(py 'd["MaxKeys"]' <<<"$out")" "v2 page 1 MaxKeys"
  local token
  token=$(py 'd["NextContinuationToken"]' <<<"$out")
  [[ -n "$token" ]] || fail "v2 page 1 has no NextContinuationToken"
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --max-keys 10 --continuation-token "$token" --no-paginate)
  assert_eq "list/a/b/3.txt,list/c.txt,list/d/4.txt,list/e.txt" "$(py "$ckeys" <<<"$out")" "v2 page 2"
  assert_eq "False" "$(py 'd["IsTruncated"]' <<<"$out")" "v2 page 2 IsTruncated"
  # max-keys counts common prefixes too.
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --delimiter / --max-keys 1 --no-paginate)
  assert_eq "list/a/" "$(py "$cpfx" <<<"$out")" "v2 delimiter max-keys 1 page 1 is the prefix"
  assert_eq "" "$(py "$ckeys" <<<"$out")" "v2 delimiter max-keys 1 page 1 has no keys"
  assert_eq "True" "$(py 'd["IsTruncated"]' <<<"$out")" "v2 delimiter max-keys 1 truncated"

  # awscli's paginator: --max-items / --starting-token, --page-size.
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --max-items 2)
  assert_eq "list/a/1.txt,list/a/2.txt" "$(py "$ckeys" <<<"$out")" "paginator --max-items 2"
  token=$(py 'd.get("NextToken")' <<<"$out")
  [[ -n "$token" ]] || fail "paginator gave no NextToken"
  out=$(s3api list-objects-v2 --bucket "$b" --prefix list/ --max-items 2 --starting-token "$token")
  assert_eq "list/a/b/3.txt,list/c.txt" "$(py "$ckeys" <<<"$out")" "paginator --starting-token"
  out=$(s3api list-objects-v2 --bucket "$b" --page-size 1)
  assert_eq "$(IFS=,; echo "${keys[*]}")" "$(py "$ckeys" <<<"$out")" "paginator --page-size 1 sees every key once, in order"
  out=$(s3api list-objects-v2 --bucket "$b" --delimiter / --prefix list/ --page-size 1)
  assert_eq "list/a/,list/d/" "$(py "$cpfx" <<<"$out")" "paginated prefixes"
  assert_eq "list/c.txt,list/e.txt" "$(py "$ckeys" <<<"$out")" "paginated keys with delimiter"

  # v1: prefix, delimiter, max-keys and marker.
  out=$(s3api list-objects --bucket "$b" --prefix list/ --delimiter /)
  assert_eq "list/c.txt,list/e.txt" "$(py "$ckeys" <<<"$out")" "v1 prefix+delimiter Contents"
  assert_eq "list/a/,list/d/" "$(py "$cpfx" <<<"$out")" "v1 CommonPrefixes"
  out=$(s3api list-objects --bucket "$b" --max-keys 3 --no-paginate)
  assert_eq "list/a/1.txt,list/a/2.txt,list/a/b/3.txt" "$(py "$ckeys" <<<"$out")" "v1 max-keys 3"
  assert_eq "True" "$(py 'd["IsTruncated"]' <<<"$out")" "v1 IsTruncated"
  out=$(s3api list-objects --bucket "$b" --marker list/a/b/3.txt --no-paginate)
  assert_eq "list/c.txt,list/d/4.txt,list/e.txt,other.txt" "$(py "$ckeys" <<<"$out")" "v1 marker"
  out=$(s3api list-objects --bucket "$b" --page-size 2)
  assert_eq "$(IFS=,; echo "${keys[*]}")" "$(py "$ckeys" <<<"$out")" "v1 paginated"
  expect_fail "NoSuchBucket" "list of a missing bucket" s3api list-objects-v2 --bucket awscli-missing
}

# --------------------------------------------------------------- versioning
case_versioning() {
  local b=awscli-ver
  s3api create-bucket --bucket "$b"
  local out
  out=$(s3api get-bucket-versioning --bucket "$b")
  # An empty VersioningConfiguration: awscli prints nothing or no Status.
  [[ -z "$out" ]] || assert_eq "" "$(py 'd.get("Status")' <<<"$out")" "new bucket has no versioning status"
  s3api put-bucket-versioning --bucket "$b" --versioning-configuration Status=Enabled
  assert_eq Enabled "$(s3api get-bucket-versioning --bucket "$b" | py 'd.get("Status")')" "versioning Enabled"
  local v=() i
  for i in 1 2 3; do
    echo "content $i" >"v$i.txt"
    v+=("$(s3api put-object --bucket "$b" --key doc --body "v$i.txt" | py 'd["VersionId"]')")
  done
  [[ -n "${v[0]}" && "${v[0]}" != null && "${v[0]}" != "${v[1]}" && "${v[1]}" != "${v[2]}" ]] ||
    fail "three distinct version ids, got: ${v[*]}"
  out=$(s3api list-object-versions --bucket "$b" --prefix doc)
  assert_eq "${v[2]},${v[1]},${v[0]}" "$(py '",".join(x["VersionId"] for x in d["Versions"])' <<<"$out")" \
    "list-object-versions newest first"
  assert_eq "True,False,False" "$(py '",".join(str(x["IsLatest"]) for x in d["Versions"])' <<<"$out")" "IsLatest"
  s3api get-object --bucket "$b" --key doc --version-id "${v[0]}" got1.txt >/dev/null
  assert_files_equal v1.txt got1.txt "get-object --version-id of the first version"
  s3api get-object --bucket "$b" --key doc got.txt >/dev/null
  assert_files_equal v3.txt got.txt "get-object without a version is the latest"
  assert_eq "${v[1]}" "$(s3api head-object --bucket "$b" --key doc --version-id "${v[1]}" | py 'd["VersionId"]')" \
    "head-object --version-id"

  # A delete without a version id writes a delete marker.
  out=$(s3api delete-object --bucket "$b" --key doc)
  assert_eq "True" "$(py 'd.get("DeleteMarker")' <<<"$out")" "delete on a versioned bucket is a delete marker"
  local marker
  marker=$(py 'd["VersionId"]' <<<"$out")
  expect_fail "NoSuchKey" "get behind a delete marker" s3api get-object --bucket "$b" --key doc x.txt
  expect_fail "(404)" "head behind a delete marker" s3api head-object --bucket "$b" --key doc
  out=$(s3api list-object-versions --bucket "$b" --prefix doc)
  assert_eq "$marker" "$(py '",".join(x["VersionId"] for x in d.get("DeleteMarkers", []))' <<<"$out")" \
    "DeleteMarkers lists the marker"
  assert_eq "True" "$(py 'd["DeleteMarkers"][0]["IsLatest"]' <<<"$out")" "the marker is latest"
  assert_eq 3 "$(py 'len(d["Versions"])' <<<"$out")" "versions survive the marker"
  must out s3api list-objects-v2 --bucket "$b"
  assert_eq "" "$(py '",".join(o["Key"] for o in d.get("Contents", []))' <<<"$out")" \
    "a deleted key is not listed"
  s3api get-object --bucket "$b" --key doc --version-id "${v[1]}" got2.txt >/dev/null
  assert_files_equal v2.txt got2.txt "old versions stay readable behind the marker"

  # Deleting the marker brings the object back; deleting a version removes it for good.
  s3api delete-object --bucket "$b" --key doc --version-id "$marker" >/dev/null
  s3api get-object --bucket "$b" --key doc back.txt >/dev/null
  assert_files_equal v3.txt back.txt "removing the delete marker restores the latest version"
  s3api delete-object --bucket "$b" --key doc --version-id "${v[0]}" >/dev/null
  out=$(s3api list-object-versions --bucket "$b" --prefix doc)
  assert_eq "${v[2]},${v[1]}" "$(py '",".join(x["VersionId"] for x in d["Versions"])' <<<"$out")" \
    "a version delete is permanent"
  expect_fail "NoSuch" "get of a deleted version" \
    s3api get-object --bucket "$b" --key doc --version-id "${v[0]}" gone.txt

  # Suspended: new writes get the null version.
  s3api put-bucket-versioning --bucket "$b" --versioning-configuration Status=Suspended
  assert_eq Suspended "$(s3api get-bucket-versioning --bucket "$b" | py 'd.get("Status")')" "versioning Suspended"
  out=$(s3api put-object --bucket "$b" --key doc --body v1.txt)
  local vid
  vid=$(py 'd.get("VersionId")' <<<"$out")
  [[ "$vid" == "null" || -z "$vid" ]] || fail "put while suspended: want the null version, got [$vid]"
  out=$(s3api list-object-versions --bucket "$b" --prefix doc)
  assert_eq "null,${v[2]},${v[1]}" "$(py '",".join(x["VersionId"] for x in d["Versions"])' <<<"$out")" \
    "suspended put adds the null version, keeps the others"
}

# ------------------------------------------------------------------ tagging
case_tagging() {
  local b=awscli-tag
  s3api create-bucket --bucket "$b"
  echo hello >t.txt
  s3api put-object --bucket "$b" --key t --body t.txt >/dev/null
  assert_eq 0 "$(s3api get-object-tagging --bucket "$b" --key t | py 'len(d["TagSet"])')" "no tags at first"
  s3api put-object-tagging --bucket "$b" --key t \
    --tagging 'TagSet=[{Key=env,Value=prod},{Key=owner,Value=team a}]'
  assert_eq "env=prod,owner=team a" "$(s3api get-object-tagging --bucket "$b" --key t |
    py '",".join(sorted(x["Key"] + "=" + x["Value"] for x in d["TagSet"]))')" "put/get-object-tagging"
  # PutObjectTagging replaces the whole set.
  s3api put-object-tagging --bucket "$b" --key t --tagging 'TagSet=[{Key=only,Value=one}]'
  assert_eq "only=one" "$(s3api get-object-tagging --bucket "$b" --key t |
    py '",".join(x["Key"] + "=" + x["Value"] for x in d["TagSet"])')" "tagging replaced"
  s3api delete-object-tagging --bucket "$b" --key t
  assert_eq 0 "$(s3api get-object-tagging --bucket "$b" --key t | py 'len(d["TagSet"])')" "delete-object-tagging"
  # S3 allows at most 10 tags per object; the 11th is refused and the set is unchanged.
  local many
  many=$(for i in $(seq 1 11); do printf '{Key=k%d,Value=v},' "$i"; done)
  expect_fail "error" "11 tags" s3api put-object-tagging --bucket "$b" --key t --tagging "TagSet=[${many%,}]"
  assert_eq 0 "$(s3api get-object-tagging --bucket "$b" --key t | py 'len(d["TagSet"])')" "refused tagging left nothing"
  expect_fail "NoSuchKey" "tagging of a missing key" s3api get-object-tagging --bucket "$b" --key missing
}

# ---------------------------------------------------------------- multipart
case_multipart_api() {
  local b=awscli-mpu
  s3api create-bucket --bucket "$b"
  local part=$((5 * 1024 * 1024))
  mkfile p1.bin "$part"
  mkfile src.bin $((part + 4096))
  mkfile p3.bin 1024
  s3api put-object --bucket "$b" --key copy-source --body src.bin >/dev/null

  local up
  up=$(s3api create-multipart-upload --bucket "$b" --key big --content-type application/x-mpu \
    --metadata stage=mpu | py 'd["UploadId"]')
  [[ -n "$up" ]] || fail "create-multipart-upload gave no UploadId"
  assert_contains "$up" "$(s3api list-multipart-uploads --bucket "$b" | py '",".join(u["UploadId"] for u in d.get("Uploads", []))')" \
    "list-multipart-uploads shows the upload"
  local e1 e2 e3
  e1=$(s3api upload-part --bucket "$b" --key big --upload-id "$up" --part-number 1 --body p1.bin | py 'd["ETag"]')
  assert_eq "\"$(md5_hex p1.bin)\"" "$e1" "upload-part ETag is the part's MD5"
  e2=$(s3api upload-part-copy --bucket "$b" --key big --upload-id "$up" --part-number 2 \
    --copy-source "$b/copy-source" --copy-source-range "bytes=4096-$((part + 4095))" |
    py 'd["CopyPartResult"]["ETag"]')
  tail -c +4097 src.bin >p2.bin
  assert_eq "\"$(md5_hex p2.bin)\"" "$e2" "upload-part-copy ETag is the copied range's MD5"
  e3=$(s3api upload-part --bucket "$b" --key big --upload-id "$up" --part-number 3 --body p3.bin | py 'd["ETag"]')

  local parts
  parts=$(s3api list-parts --bucket "$b" --key big --upload-id "$up")
  assert_eq "1:$part,2:$part,3:1024" "$(py '",".join("%d:%d" % (p["PartNumber"], p["Size"]) for p in d["Parts"])' <<<"$parts")" \
    "list-parts numbers and sizes"
  assert_eq "$e1,$e2,$e3" "$(py '",".join(p["ETag"] for p in d["Parts"])' <<<"$parts")" "list-parts ETags"

  # Wrong completions first: they must not complete the upload.
  expect_fail "InvalidPart" "complete with a wrong ETag" s3api complete-multipart-upload --bucket "$b" --key big \
    --upload-id "$up" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":\"\\\"00000000000000000000000000000000\\\"\"}]}"
  expect_fail "InvalidPartOrder" "complete with parts out of order" s3api complete-multipart-upload --bucket "$b" \
    --key big --upload-id "$up" \
    --multipart-upload "{\"Parts\":[{\"PartNumber\":2,\"ETag\":$(printf '%s' "$e2" | "$E2E_PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')},{\"PartNumber\":1,\"ETag\":$(printf '%s' "$e1" | "$E2E_PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}]}"

  local mpu
  mpu=$(s3api list-parts --bucket "$b" --key big --upload-id "$up" |
    py 'json.dumps({"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in d["Parts"]]})')
  local out
  out=$(s3api complete-multipart-upload --bucket "$b" --key big --upload-id "$up" --multipart-upload "$mpu")
  local etag
  etag=$(py 'd["ETag"]' <<<"$out")
  [[ "$etag" == *-3\" ]] || fail "multipart ETag: want a '-3' suffix, got [$etag]"
  # The multipart ETag is the MD5 of the concatenated binary part MD5s.
  local want_etag
  want_etag=$("$E2E_PY" -c 'import hashlib,sys; print(hashlib.md5(b"".join(hashlib.md5(open(f,"rb").read()).digest() for f in sys.argv[1:])).hexdigest())' p1.bin p2.bin p3.bin)
  assert_eq "\"$want_etag-3\"" "$etag" "multipart ETag value"
  cat p1.bin p2.bin p3.bin >whole.bin
  s3api get-object --bucket "$b" --key big got.bin >/dev/null
  assert_files_equal whole.bin got.bin "completed multipart body"
  local head
  head=$(s3api head-object --bucket "$b" --key big)
  assert_eq $((2 * part + 1024)) "$(py 'd["ContentLength"]' <<<"$head")" "multipart ContentLength"
  assert_eq application/x-mpu "$(py 'd["ContentType"]' <<<"$head")" "multipart keeps the content type"
  assert_eq mpu "$(py 'd["Metadata"].get("stage")' <<<"$head")" "multipart keeps the metadata"
  must out s3api list-multipart-uploads --bucket "$b"
  assert_not_contains "$up" "$(py '",".join(u["UploadId"] for u in d.get("Uploads", []))' <<<"$out")" \
    "a completed upload is no longer listed"

  # A non-last part under 5 MiB: EntityTooSmall.
  up=$(s3api create-multipart-upload --bucket "$b" --key small | py 'd["UploadId"]')
  e1=$(s3api upload-part --bucket "$b" --key small --upload-id "$up" --part-number 1 --body p3.bin | py 'd["ETag"]')
  e2=$(s3api upload-part --bucket "$b" --key small --upload-id "$up" --part-number 2 --body p3.bin | py 'd["ETag"]')
  mpu=$(s3api list-parts --bucket "$b" --key small --upload-id "$up" |
    py 'json.dumps({"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in d["Parts"]]})')
  expect_fail "EntityTooSmall" "complete with a 1 KiB first part" \
    s3api complete-multipart-upload --bucket "$b" --key small --upload-id "$up" --multipart-upload "$mpu"

  # Abort: gone from the listing, list-parts says NoSuchUpload, no object.
  s3api abort-multipart-upload --bucket "$b" --key small --upload-id "$up"
  must out s3api list-multipart-uploads --bucket "$b"
  assert_not_contains "$up" "$(py '",".join(u["UploadId"] for u in d.get("Uploads", []))' <<<"$out")" \
    "an aborted upload is no longer listed"
  expect_fail "NoSuchUpload" "list-parts after abort" s3api list-parts --bucket "$b" --key small --upload-id "$up"
  expect_fail "NoSuchUpload" "upload-part after abort" \
    s3api upload-part --bucket "$b" --key small --upload-id "$up" --part-number 3 --body p3.bin
  expect_fail "(404)" "no object after abort" s3api head-object --bucket "$b" --key small
  expect_fail "NoSuchUpload" "abort of an unknown upload" \
    s3api abort-multipart-upload --bucket "$b" --key small --upload-id does-not-exist
  # Reading one part of the completed upload back by its part number.
  s3api get-object --bucket "$b" --key big --part-number 3 gotp3.bin >/dev/null
  assert_files_equal p3.bin gotp3.bin "get-object --part-number 3"
}

# ---------------------------------------------------- a >= 200 MiB transfer
case_big_multipart() {
  local b=awscli-big
  s3api create-bucket --bucket "$b"
  head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom >big.bin
  local want got t0 t1 t2
  want=$(sha256sum big.bin | cut -d' ' -f1)
  t0=$(date +%s)
  T=300 aws_ s3 cp --only-show-errors big.bin "s3://$b/big.bin"
  t1=$(date +%s)
  local etag
  etag=$(s3api head-object --bucket "$b" --key big.bin | py 'd["ETag"]')
  # awscli's default 8 MiB chunks: a multipart ETag with a part count.
  [[ "$etag" =~ -[0-9]+\"$ ]] || fail "$BIG_MIB MiB upload was not multipart: ETag $etag"
  rm -f big.bin
  T=300 aws_ s3 cp --only-show-errors "s3://$b/big.bin" big.back
  t2=$(date +%s)
  got=$(sha256sum big.back | cut -d' ' -f1)
  assert_eq "$want" "$got" "sha256 of the $BIG_MIB MiB round trip"
  echo "NOTE: big multipart: ${BIG_MIB} MiB up $((t1 - t0)) s, down $((t2 - t1)) s, ETag $etag" >&2
  rm -f big.back
  s3api delete-object --bucket "$b" --key big.bin
}

# ---------------------------------------------------------------- presigned
case_presign() {
  local b=awscli-pre
  s3api create-bucket --bucket "$b"
  mkfile pre.bin 3000
  s3api put-object --bucket "$b" --key "pre sign.bin" --body pre.bin >/dev/null
  local url code
  url=$(aws_ s3 presign "s3://$b/pre sign.bin" --expires-in 300)
  code=$(bounded 40 curl -s -m 30 -o pre.got -w '%{http_code}' "$url")
  assert_eq 200 "$code" "GET on a presigned URL"
  assert_files_equal pre.bin pre.got "presigned GET body"
  # A tampered signature is refused.
  local bad=${url%?}
  [[ "${url: -1}" == 0 ]] && bad+=1 || bad+=0
  code=$(bounded 40 curl -s -m 30 -o bad.xml -w '%{http_code}' "$bad")
  assert_eq 403 "$code" "tampered presigned URL status"
  assert_contains "<Code>SignatureDoesNotMatch</Code>" "$(cat bad.xml)" "tampered presigned URL code"
  # An expired one.
  url=$(aws_ s3 presign "s3://$b/pre sign.bin" --expires-in 1)
  sleep 2
  code=$(bounded 40 curl -s -m 30 -o exp.xml -w '%{http_code}' "$url")
  assert_eq 403 "$code" "expired presigned URL status"
  assert_contains "<Code>AccessDenied</Code>" "$(cat exp.xml)" "expired presigned URL code"
  assert_contains "Request has expired" "$(cat exp.xml)" "expired presigned URL message"
}

# --------------------------------------------------------- SigV4 failures
case_auth_errors() {
  local b=awscli-auth
  # Before any bucket exists: these are answered by authentication alone.
  expect_fail "SignatureDoesNotMatch" "wrong secret" \
    bounded 60 env AWS_SECRET_ACCESS_KEY=not-the-secret "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 30 s3api list-buckets
  expect_fail "InvalidAccessKeyId" "unknown access key" \
    bounded 60 env AWS_ACCESS_KEY_ID=NOSUCHKEY0000000 "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 30 s3api list-buckets
  s3api create-bucket --bucket "$b"
  expect_fail "SignatureDoesNotMatch" "wrong secret on a bucket listing" \
    bounded 60 env AWS_SECRET_ACCESS_KEY=not-the-secret "$E2E_AWS" --endpoint-url "$coffer_endpoint" \
    --cli-connect-timeout 10 --cli-read-timeout 30 s3api list-objects-v2 --bucket "$b"
  # The quickstart's read-only viewer may read but not write.
  echo x >v.txt
  s3api put-object --bucket "$b" --key readable --body v.txt >/dev/null
  expect_fail "AccessDenied" "readonly viewer writing" \
    bounded 60 env AWS_ACCESS_KEY_ID=viewer AWS_SECRET_ACCESS_KEY=$E2E_VIEWER_SECRET "$E2E_AWS" \
    --endpoint-url "$coffer_endpoint" s3api put-object --bucket "$b" --key w --body v.txt
  bounded 60 env AWS_ACCESS_KEY_ID=viewer AWS_SECRET_ACCESS_KEY=$E2E_VIEWER_SECRET "$E2E_AWS" \
    --endpoint-url "$coffer_endpoint" s3api get-object --bucket "$b" --key readable vr.txt >/dev/null
  assert_files_equal v.txt vr.txt "readonly viewer reading"
}

# Three groups, registered as three ctests so that `ctest -j` runs them side by
# side and each stays well inside its budget on a loaded machine (awscli costs
# ~1 s of CPU per call): E2E_GROUP=s3, s3api or s3api_mpu; unset runs all.
group() { [[ -z "${E2E_GROUP:-}" || "$E2E_GROUP" == "$1" ]]; }
if group s3; then
  run_case s3_commands case_s3_commands
  run_case bucket_api case_bucket_api
  run_case presign case_presign
  run_case auth_errors case_auth_errors
  run_case big_multipart case_big_multipart
fi
if group s3api; then
  run_case object_api case_object_api
  run_case copy_object case_copy_object
  run_case delete_objects case_delete_objects
  run_case listing case_listing
fi
if group s3api_mpu; then
  run_case versioning case_versioning
  run_case tagging case_tagging
  run_case multipart_api case_multipart_api
fi
e2e_finish
