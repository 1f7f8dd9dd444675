#!/usr/bin/env bash
# Matrix driver for the command-line clients: awscli (Debian's aws CLI 2),
# s3cmd and rclone. Run by conformance/matrix/run with MX_* in the
# environment; writes "feature<TAB>status<TAB>note" lines to $MX_RESULTS.
set -uo pipefail
: "${MX_CLIENT:?}" "${MX_PROTO:?}" "${MX_ENDPOINT:?}" "${MX_BUCKET:?}" "${MX_RESULTS:?}"
: >"$MX_RESULTS"
T=$MX_CALL_TIMEOUT
B=$MX_BUCKET
https=0
[[ $MX_PROTO == https ]] && https=1
curl_tls=()
((https)) && curl_tls=(--cacert "$MX_CA")

fail() { echo "FAIL: $*" >&2; exit 1; }
bounded() { timeout -k 5 "$T" "$@"; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$MX_RESULTS"; }
na() { record "$1" n/a "$2"; }
# cell FEATURE FN: FN runs in a subshell with errexit; pass when it returns 0.
cell() {
  local feature=$1 rc=0
  shift
  echo "== $feature" >&2
  (set -e; "$@") >&2 || rc=$?
  if ((rc == 0)); then
    record "$feature" pass ""
  else
    record "$feature" FAIL "exit $rc"
  fi
}
assert_same() { cmp -s "$1" "$2" || fail "$3: content differs"; }
# Raw SigV4 HEAD/GET with curl as the matrix user: checks what the server stored.
# (curl does not send x-amz-content-sha256 by itself; S3 and Coffer require it.)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
raw() {
  bounded curl -sS "${curl_tls[@]}" -H "x-amz-content-sha256: $EMPTY_SHA256" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$MX_AK:$MX_SK" "$@"
}
# ssec_refused KEY: a GET without the customer key is refused as S3 does.
ssec_refused() {
  local out
  out=$(raw -w '\n%{http_code}' "$MX_ENDPOINT/$B/$1")
  [[ $(tail -1 <<<"$out") == 400 ]] || fail "GET without the key: $out"
  grep -q 'stored using a form of Server Side Encryption' <<<"$out" || fail "GET without the key: $out"
}
raw_head() { raw -I -o /dev/null -D - "$MX_ENDPOINT/$B/$1" | tr -d '\r' | tr 'A-Z' 'a-z'; }
header_of() { grep -i "^$1:" | head -1 | cut -d' ' -f2-; }

# STS AssumeRole for the clients that have no such call: a raw signed POST.
sts_creds() {
  local xml
  xml=$(bounded curl -sS -f --cacert "$MX_CA" --aws-sigv4 "aws:amz:us-east-1:sts" \
    --user "$MX_AK:$MX_SK" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/mx&RoleSessionName=mx&DurationSeconds=900' \
    "$MX_STS_ENDPOINT/") || fail "AssumeRole POST failed"
  STS_AK=$(sed -n 's:.*<AccessKeyId>\(.*\)</AccessKeyId>.*:\1:p' <<<"$xml")
  STS_SK=$(sed -n 's:.*<SecretAccessKey>\(.*\)</SecretAccessKey>.*:\1:p' <<<"$xml")
  STS_TOKEN=$(sed -n 's:.*<SessionToken>\(.*\)</SessionToken>.*:\1:p' <<<"$xml")
  [[ -n "$STS_AK" && -n "$STS_TOKEN" ]] || fail "no credentials in $xml"
}

# Test data.
head -c 20011 /dev/urandom >small.bin
head -c $((11 * 1024 * 1024 + 7)) /dev/urandom >big.bin
mkdir -p listdir/a listdir/b
echo a1 >listdir/a/1
echo a2 >listdir/a/2
echo b1 >listdir/b/1
echo c >listdir/c
echo secret >denied.txt

# ------------------------------------------------------------------ awscli
if [[ $MX_CLIENT == awscli ]]; then
  export AWS_ACCESS_KEY_ID=$MX_AK AWS_SECRET_ACCESS_KEY=$MX_SK
  export AWS_CONFIG_FILE="$PWD/aws-config" AWS_SHARED_CREDENTIALS_FILE="$PWD/aws-creds"
  : >aws-creds
  cat >aws-config <<CFG
[default]
region = us-east-1
output = json
s3 =
  addressing_style = path
  multipart_threshold = 5MB
  multipart_chunksize = 5MB
CFG
  tls=()
  ((https)) && tls=(--ca-bundle "$MX_CA")
  aws_() { bounded /usr/bin/aws --endpoint-url "$MX_ENDPOINT" "${tls[@]}" "$@"; }
  field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

  f_bucket() {
    local tb="mxt-awscli-$MX_PROTO"
    aws_ s3 mb "s3://$tb"
    aws_ s3api head-bucket --bucket "$tb"
    grep -q "\"$tb\"" <<<"$(aws_ s3api list-buckets)" || fail "new bucket not listed"
    aws_ s3 rb "s3://$tb"
    if aws_ s3api head-bucket --bucket "$tb" 2>/dev/null; then fail "bucket still there"; fi
  }
  f_object() {
    aws_ s3api put-object --bucket "$B" --key obj.bin --body small.bin >/dev/null
    local h
    h=$(aws_ s3api head-object --bucket "$B" --key obj.bin)
    [[ $(field ContentLength <<<"$h") == 20011 ]] || fail "head size: $h"
    aws_ s3api get-object --bucket "$B" --key obj.bin got.bin >/dev/null
    assert_same small.bin got.bin "get"
    aws_ s3api delete-object --bucket "$B" --key obj.bin
    if aws_ s3api head-object --bucket "$B" --key obj.bin 2>/dev/null; then fail "object still there"; fi
  }
  f_list() {
    aws_ s3 cp --recursive listdir "s3://$B/list/" >/dev/null
    local l
    l=$(aws_ s3api list-objects-v2 --bucket "$B" --prefix list/ --delimiter / \
      --query '[CommonPrefixes[].Prefix, Contents[].Key]' --output text)
    [[ $(tr -s '\t\n' '  ' <<<"$l" | xargs) == "list/a/ list/b/ list/c" ]] || fail "listing: $l"
  }
  f_multipart() {
    aws_ s3 cp big.bin "s3://$B/mpu.bin" >/dev/null
    local etag
    etag=$(aws_ s3api head-object --bucket "$B" --key mpu.bin | field ETag)
    [[ $etag == *-3\" ]] || fail "not a 3-part upload: ETag $etag"
    aws_ s3 cp "s3://$B/mpu.bin" got.bin >/dev/null
    assert_same big.bin got.bin "multipart round trip"
  }
  f_presign() {
    aws_ s3 cp small.bin "s3://$B/pre.bin" >/dev/null
    local url
    url=$(aws_ s3 presign "s3://$B/pre.bin" --expires-in 300)
    bounded curl -sS -f "${curl_tls[@]}" -o got.bin "$url"
    assert_same small.bin got.bin "presigned GET"
  }
  f_sse_s3() {
    aws_ s3 cp small.bin "s3://$B/sse-s3.bin" --sse AES256 >/dev/null
    [[ $(aws_ s3api head-object --bucket "$B" --key sse-s3.bin | field ServerSideEncryption) == AES256 ]] ||
      fail "head does not say AES256"
    aws_ s3 cp "s3://$B/sse-s3.bin" got.bin >/dev/null
    assert_same small.bin got.bin "SSE-S3 round trip"
  }
  f_sse_kms() {
    aws_ s3 cp small.bin "s3://$B/sse-kms.bin" --sse aws:kms --sse-kms-key-id "$MX_KMS_KEY" >/dev/null
    local h
    h=$(aws_ s3api head-object --bucket "$B" --key sse-kms.bin)
    [[ $(field ServerSideEncryption <<<"$h") == aws:kms ]] || fail "head: $h"
    [[ $(field SSEKMSKeyId <<<"$h") == *"$MX_KMS_KEY"* ]] || fail "head key id: $h"
    aws_ s3 cp "s3://$B/sse-kms.bin" got.bin >/dev/null
    assert_same small.bin got.bin "SSE-KMS round trip"
  }
  f_sse_c() {
    aws_ s3 cp small.bin "s3://$B/sse-c.bin" --sse-c AES256 --sse-c-key "$MX_SSEC_KEY" >/dev/null
    ssec_refused sse-c.bin
    aws_ s3 cp "s3://$B/sse-c.bin" got.bin --sse-c AES256 --sse-c-key "$MX_SSEC_KEY" >/dev/null
    assert_same small.bin got.bin "SSE-C round trip"
  }
  f_sts() {
    aws_ s3 cp small.bin "s3://$B/sts.bin" >/dev/null
    local j
    j=$(bounded /usr/bin/aws --endpoint-url "$MX_STS_ENDPOINT" --ca-bundle "$MX_CA" sts assume-role \
      --role-arn arn:aws:iam::123456789012:role/mx --role-session-name mx)
    local ak sk tok
    ak=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Credentials"]["AccessKeyId"])' <<<"$j")
    sk=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Credentials"]["SecretAccessKey"])' <<<"$j")
    tok=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Credentials"]["SessionToken"])' <<<"$j")
    AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$tok \
      aws_ s3api get-object --bucket "$B" --key sts.bin got.bin >/dev/null
    assert_same small.bin got.bin "GET with session credentials"
  }
  f_denied() {
    local out rc=0
    out=$(aws_ s3api put-object --bucket "$B" --key denied/x.txt --body denied.txt 2>&1) || rc=$?
    ((rc != 0)) || fail "denied PUT succeeded"
    grep -q AccessDenied <<<"$out" || fail "no AccessDenied in: $out"
  }
fi

# ------------------------------------------------------------------ s3cmd
if [[ $MX_CLIENT == s3cmd ]]; then
  write_cfg() {  # write_cfg FILE AK SK [TOKEN]
    cat >"$1" <<CFG
[default]
access_key = $2
secret_key = $3
access_token = ${4:-}
host_base = 127.0.0.1:$MX_PORT
host_bucket = 127.0.0.1:$MX_PORT
bucket_location = us-east-1
use_https = $( ((https)) && echo True || echo False)
ca_certs_file = $( ((https)) && echo "$MX_CA")
check_ssl_certificate = True
check_ssl_hostname = False
signature_v2 = False
multipart_chunk_size_mb = 5
CFG
  }
  write_cfg s3cfg "$MX_AK" "$MX_SK"
  s3c() { bounded s3cmd -c "$PWD/s3cfg" "$@"; }
  f_bucket() {
    local tb="mxt-s3cmd-$MX_PROTO"
    s3c mb "s3://$tb"
    grep -q "s3://$tb\$" <<<"$(s3c ls)" || fail "new bucket not listed"
    s3c rb "s3://$tb"
    if grep -q "s3://$tb\$" <<<"$(s3c ls)"; then fail "bucket still listed"; fi
  }
  f_object() {
    s3c put small.bin "s3://$B/obj.bin"
    grep -q 'File size: *20011' <<<"$(s3c info "s3://$B/obj.bin")" || fail "info size"
    s3c get --force "s3://$B/obj.bin" got.bin
    assert_same small.bin got.bin "get"
    s3c del "s3://$B/obj.bin"
    if s3c info "s3://$B/obj.bin" 2>/dev/null; then fail "object still there"; fi
  }
  f_list() {
    s3c put --recursive listdir/ "s3://$B/list/"
    local l
    l=$(s3c ls "s3://$B/list/" | awk '{print $NF}' | xargs)
    [[ $l == "s3://$B/list/a/ s3://$B/list/b/ s3://$B/list/c" ]] || fail "listing: $l"
  }
  f_multipart() {
    s3c put big.bin "s3://$B/mpu.bin"
    local etag
    etag=$(raw_head mpu.bin | header_of etag)
    [[ $etag == *-3\" ]] || fail "not a 3-part upload: ETag $etag"
    s3c get --force "s3://$B/mpu.bin" got.bin
    assert_same big.bin got.bin "multipart round trip"
  }
  f_presign() {
    s3c put small.bin "s3://$B/pre.bin"
    local url
    url=$(s3c signurl "s3://$B/pre.bin" +300)
    echo "url: $url"
    bounded curl -sS -f "${curl_tls[@]}" -o got.bin "$url"
    assert_same small.bin got.bin "presigned GET"
  }
  f_sse_s3() {
    s3c put --server-side-encryption small.bin "s3://$B/sse-s3.bin"
    [[ $(raw_head sse-s3.bin | header_of x-amz-server-side-encryption) == aes256 ]] || fail "not stored AES256"
    s3c get --force "s3://$B/sse-s3.bin" got.bin
    assert_same small.bin got.bin "SSE-S3 round trip"
  }
  f_sse_kms() {
    s3c put --server-side-encryption-kms-id="$MX_KMS_KEY" small.bin "s3://$B/sse-kms.bin"
    [[ $(raw_head sse-kms.bin | header_of x-amz-server-side-encryption) == aws:kms ]] || fail "not stored aws:kms"
    s3c get --force "s3://$B/sse-kms.bin" got.bin
    assert_same small.bin got.bin "SSE-KMS round trip"
  }
  f_sts() {
    s3c put small.bin "s3://$B/sts.bin"
    sts_creds
    write_cfg s3cfg-sts "$STS_AK" "$STS_SK" "$STS_TOKEN"
    bounded s3cmd -c "$PWD/s3cfg-sts" get --force "s3://$B/sts.bin" got.bin
    assert_same small.bin got.bin "GET with session credentials"
  }
  f_denied() {
    local out rc=0
    out=$(s3c put denied.txt "s3://$B/denied/x.txt" 2>&1) || rc=$?
    ((rc != 0)) || fail "denied PUT succeeded"
    grep -q AccessDenied <<<"$out" || fail "no AccessDenied in: $out"
  }
fi

# ------------------------------------------------------------------ rclone
if [[ $MX_CLIENT == rclone ]]; then
  # rclone fails outright while AWS_CA_BUNDLE is set (TESTING-NOTES).
  unset AWS_CA_BUNDLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  : >rclone.conf
  export RCLONE_CONFIG="$PWD/rclone.conf"
  export RCLONE_CONFIG_MX_TYPE=s3 RCLONE_CONFIG_MX_PROVIDER=Other RCLONE_CONFIG_MX_ENV_AUTH=false \
    RCLONE_CONFIG_MX_ACCESS_KEY_ID=$MX_AK RCLONE_CONFIG_MX_SECRET_ACCESS_KEY=$MX_SK \
    RCLONE_CONFIG_MX_ENDPOINT=$MX_ENDPOINT RCLONE_CONFIG_MX_REGION=us-east-1 \
    RCLONE_CONFIG_MX_FORCE_PATH_STYLE=true
  tls=()
  ((https)) && tls=(--ca-cert "$MX_CA")
  rc_() { bounded rclone --retries 1 --low-level-retries 1 "${tls[@]}" "$@"; }
  f_bucket() {
    local tb="mxt-rclone-$MX_PROTO"
    rc_ mkdir "MX:$tb"
    grep -q " $tb\$" <<<"$(rc_ lsd MX:)" || fail "new bucket not listed"
    rc_ rmdir "MX:$tb"
    if grep -q " $tb\$" <<<"$(rc_ lsd MX:)"; then fail "bucket still listed"; fi
  }
  f_object() {
    rc_ copyto small.bin "MX:$B/obj.bin"
    [[ $(rc_ size --json "MX:$B/obj.bin") == *'"bytes":20011'* ]] || fail "size"
    rc_ copyto "MX:$B/obj.bin" got.bin
    assert_same small.bin got.bin "get"
    rc_ deletefile "MX:$B/obj.bin"
    [[ -z $(rc_ lsf "MX:$B/obj.bin" 2>/dev/null) ]] || fail "object still there"
  }
  f_list() {
    rc_ copy listdir "MX:$B/list"
    local l
    l=$(rc_ lsf "MX:$B/list" | sort | xargs)
    [[ $l == "a/ b/ c" ]] || fail "listing: $l"
  }
  f_multipart() {
    rc_ --s3-upload-cutoff 5M --s3-chunk-size 5M copyto big.bin "MX:$B/mpu.bin"
    local etag
    etag=$(raw_head mpu.bin | header_of etag)
    [[ $etag == *-3\" ]] || fail "not a 3-part upload: ETag $etag"
    rc_ copyto "MX:$B/mpu.bin" got.bin
    assert_same big.bin got.bin "multipart round trip"
  }
  f_presign() {
    rc_ copyto small.bin "MX:$B/pre.bin"
    local url
    url=$(rc_ link --expire 5m "MX:$B/pre.bin")
    echo "url: $url"
    bounded curl -sS -f "${curl_tls[@]}" -o got.bin "$url"
    assert_same small.bin got.bin "presigned GET"
  }
  f_sse_s3() {
    rc_ --s3-server-side-encryption AES256 copyto small.bin "MX:$B/sse-s3.bin"
    [[ $(raw_head sse-s3.bin | header_of x-amz-server-side-encryption) == aes256 ]] || fail "not stored AES256"
    rc_ copyto "MX:$B/sse-s3.bin" got.bin
    assert_same small.bin got.bin "SSE-S3 round trip"
  }
  f_sse_kms() {
    rc_ --s3-server-side-encryption aws:kms --s3-sse-kms-key-id "$MX_KMS_KEY" copyto small.bin "MX:$B/sse-kms.bin"
    [[ $(raw_head sse-kms.bin | header_of x-amz-server-side-encryption) == aws:kms ]] || fail "not stored aws:kms"
    rc_ copyto "MX:$B/sse-kms.bin" got.bin
    assert_same small.bin got.bin "SSE-KMS round trip"
  }
  f_sse_c() {
    local k=(--s3-sse-customer-algorithm AES256 --s3-sse-customer-key "$MX_SSEC_KEY")
    rc_ "${k[@]}" copyto small.bin "MX:$B/sse-c.bin"
    ssec_refused sse-c.bin
    rc_ "${k[@]}" copyto "MX:$B/sse-c.bin" got.bin
    assert_same small.bin got.bin "SSE-C round trip"
  }
  f_sts() {
    rc_ copyto small.bin "MX:$B/sts.bin"
    sts_creds
    RCLONE_CONFIG_MX_ACCESS_KEY_ID=$STS_AK RCLONE_CONFIG_MX_SECRET_ACCESS_KEY=$STS_SK \
      RCLONE_CONFIG_MX_SESSION_TOKEN=$STS_TOKEN rc_ copyto "MX:$B/sts.bin" got.bin
    assert_same small.bin got.bin "GET with session credentials"
  }
  f_denied() {
    local out rc=0
    out=$(rc_ --no-check-dest copyto denied.txt "MX:$B/denied/x.txt" 2>&1) || rc=$?
    ((rc != 0)) || fail "denied PUT succeeded"
    grep -q AccessDenied <<<"$out" || fail "no AccessDenied in: $out"
  }
fi

cell bucket f_bucket
cell object f_object
cell list f_list
cell multipart f_multipart
if [[ $MX_CLIENT == s3cmd ]]; then
  na presign "s3cmd-sigv2-presign"
else
  cell presign f_presign
fi
cell sse-s3 f_sse_s3
cell sse-kms f_sse_kms
if ((!https)); then
  na sse-c "plain-http-ssec"
elif [[ $MX_CLIENT == s3cmd ]]; then
  na sse-c "s3cmd-no-ssec"
else
  cell sse-c f_sse_c
fi
if ((!https)); then
  na sts "plain-http-sts"
else
  cell sts f_sts
fi
cell denied f_denied
