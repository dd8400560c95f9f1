#!/usr/bin/env bash
# The test server works as the shared tier needs: against the radosgw that the
# CTest fixture started (tools/radosgw.sh; its env file in $SCOPEFS_TEST_S3_ENV),
# SigV4-signed requests as libcurl 7.88 sends them create a bucket, PUT with
# If-None-Match: * (the second gets 412, also when 8 race), reject a body whose
# x-amz-content-sha256 is wrong, GET a byte range, list with a prefix, refuse
# an unsigned or wrongly signed request, and DELETE. Finally an outage: radosgw
# stopped and started again (tools/radosgw.sh stop-rgw / start-rgw) comes
# back on the same endpoint with the same objects.
set -euo pipefail

env_file=${SCOPEFS_TEST_S3_ENV:?set by the CTest fixture: the env file of tools/radosgw.sh}
set -a
source "$env_file"
set +a
endpoint=$SCOPEFS_TEST_S3_ENDPOINT
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bucket=smoke-$$-$RANDOM
failures=0

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}

# s3 METHOD PATH_AND_QUERY BODY_FILE [curl args...]: a signed request; prints
# the HTTP status, the response body lands in $tmp/out. The query must come
# sorted and percent-encoded (curl signs it as given). The keys go to curl in a
# config on stdin, so they never appear on a command line. SHA overrides the
# body's x-amz-content-sha256.
s3() {
  local method=$1 path=$2 body=$3
  shift 3
  local sha=${SHA:-}
  [ -n "$sha" ] || sha=$(sha256sum <"$body" | cut -d' ' -f1)
  printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
    curl -sS -K - --max-time 10 -X "$method" --aws-sigv4 "aws:amz:$SCOPEFS_TEST_S3_REGION:s3" \
      -H "x-amz-content-sha256: $sha" --data-binary "@$body" \
      -o "$tmp/out" -w '%{http_code}' "$@" "$endpoint$path"
}

# expect WHAT WANTED_STATUS METHOD PATH BODY [curl args...]
expect() {
  local what=$1 want=$2
  shift 2
  local got
  got=$(s3 "$@") || got="curl failed ($?)"
  if [ "$got" = "$want" ]; then
    printf 'ok: %s (%s)\n' "$what" "$got"
  else
    fail "$what: HTTP $got, wanted $want: $(head -c 300 "$tmp/out" 2>/dev/null)"
  fi
}

empty=$tmp/empty
: >"$empty"
printf '0123456789abcdef' >"$tmp/v1"
printf 'a different body' >"$tmp/v2"

expect "create bucket" 200 PUT "/$bucket" "$empty"
expect "first PUT with If-None-Match: *" 200 PUT "/$bucket/scopes/k1/manifest" "$tmp/v1" -H 'If-None-Match: *'
expect "second PUT with If-None-Match: * is refused" 412 PUT "/$bucket/scopes/k1/manifest" "$tmp/v2" -H 'If-None-Match: *'
expect "GET after the refused PUT" 200 GET "/$bucket/scopes/k1/manifest" "$empty"
cmp -s "$tmp/out" "$tmp/v1" || fail "the refused PUT changed the object: $(cat "$tmp/out")"

# Eight conditional PUTs of one new key at once: exactly one wins.
for i in 1 2 3 4 5 6 7 8; do
  printf 'racer %s' "$i" >"$tmp/r$i"
  (
    tmp=$tmp/race$i
    mkdir -p "$tmp"
    s3 PUT "/$bucket/scopes/race/manifest" "$tmp/../r$i" -H 'If-None-Match: *' >"$tmp/status"
    echo >>"$tmp/status"
  ) &
done
wait
statuses=$(cat "$tmp"/race*/status | sort | uniq -c | tr -s ' \n' ' ')
if [ "$(cat "$tmp"/race*/status | grep -c '^200$')" = 1 ] &&
  [ "$(cat "$tmp"/race*/status | grep -c '^412$')" = 7 ]; then
  printf 'ok: 8 racing conditional PUTs: one 200, seven 412\n'
else
  fail "8 racing conditional PUTs gave:$statuses"
fi

SHA=$(printf 'not the body' | sha256sum | cut -d' ' -f1) \
  expect "a body that does not match x-amz-content-sha256 is refused" 400 PUT "/$bucket/scopes/k1/damaged" "$tmp/v1"
grep -q XAmzContentSHA256Mismatch "$tmp/out" || fail "no XAmzContentSHA256Mismatch: $(cat "$tmp/out")"
expect "the damaged object is absent" 404 GET "/$bucket/scopes/k1/damaged" "$empty"

expect "range GET" 206 GET "/$bucket/scopes/k1/manifest" "$empty" -H 'Range: bytes=4-9'
[ "$(cat "$tmp/out")" = 456789 ] || fail "range GET returned '$(cat "$tmp/out")', wanted 456789"

expect "PUT a second key" 200 PUT "/$bucket/scopes/k2/manifest" "$tmp/v2"
expect "PUT a key outside the prefix" 200 PUT "/$bucket/leases/k1" "$tmp/v2"
expect "list with a prefix" 200 GET "/$bucket?list-type=2&prefix=scopes%2F" "$empty"
keys=$(grep -o '<Key>[^<]*</Key>' "$tmp/out" | sed 's/<[^>]*>//g' | tr '\n' ' ')
[ "$keys" = "scopes/k1/manifest scopes/k2/manifest scopes/race/manifest " ] ||
  fail "prefix listing gave '$keys'"

# Authentication is on: no signature, or a wrong secret, gets 403.
got=$(curl -sS -o /dev/null -w '%{http_code}' "$endpoint/$bucket/scopes/k1/manifest")
[ "$got" = 403 ] && echo "ok: unsigned GET refused (403)" || fail "unsigned GET: HTTP $got"
got=$(printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" wrongsecretwrongsecretwrongsecretwrongs |
  curl -sS -K - -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$SCOPEFS_TEST_S3_REGION:s3" \
    -H "x-amz-content-sha256: $(sha256sum <"$empty" | cut -d' ' -f1)" "$endpoint/$bucket/scopes/k1/manifest")
[ "$got" = 403 ] && echo "ok: wrong secret refused (403)" || fail "wrong secret: HTTP $got"

# An outage: the endpoint refuses connections, then serves the same data.
"$RADOSGW_SH" stop-rgw "$RADOSGW_DIR"
if curl -sS -o /dev/null --max-time 5 "$endpoint/" 2>/dev/null; then
  fail "radosgw still answers after stop-rgw"
else
  echo "ok: no answer while radosgw is stopped"
fi
"$RADOSGW_SH" start-rgw "$RADOSGW_DIR"
expect "same object after the restart" 200 GET "/$bucket/scopes/k1/manifest" "$empty"
cmp -s "$tmp/out" "$tmp/v1" || fail "after the restart the object reads '$(cat "$tmp/out")'"

for key in scopes/k1/manifest scopes/k2/manifest scopes/race/manifest leases/k1; do
  expect "DELETE $key" 204 DELETE "/$bucket/$key" "$empty"
done
expect "GET a deleted key" 404 GET "/$bucket/scopes/k1/manifest" "$empty"
expect "DELETE the empty bucket" 204 DELETE "/$bucket" "$empty"

if [ "$failures" -ne 0 ]; then
  printf '%d check(s) failed\n' "$failures" >&2
  exit 1
fi
echo "S3 smoke test: every check passed"
