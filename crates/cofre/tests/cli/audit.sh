#!/usr/bin/env bash
# The audit trail through the real AWS CLI: `aws cloudtrail lookup-events` lists this run's
# reads, each with the caller's ARN, source IP and outcome, and a denied read by a policy-less
# IAM user with errorCode AccessDenied; LookupEvents itself is authorized; /health, /ready and
# /metrics answer without credentials.
#
# Environment: COFRE_ENDPOINT, COFRE_ACCOUNT_ID, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the
# account root), COFRE_AUDIT_VALUE and COFRE_AUDIT_VALUE2 (this run's secret values), and
# optionally COFRE_BIN (then `cofre audit query` is checked too, if the binary has it) and
# COFRE_EXPECT_FILE_SINK=1 (the server runs with --audit-file: its counters are checked).
# Prints one line per check and `N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
: "${COFRE_ENDPOINT:?}" "${COFRE_ACCOUNT_ID:?}" "${COFRE_AUDIT_VALUE:?}" "${COFRE_AUDIT_VALUE2:?}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_PAGER="" AWS_MAX_ATTEMPTS=1
A="$COFRE_ACCOUNT_ID"
ROOT=("$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
PASS=0 FAIL=0 OUT="" ERR="" RC=0

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; shift; printf '       %s\n' "$@"; }
# as KEY SECRET -- aws args...: runs the CLI with those credentials.
as() {
  local id="$1" secret="$2"; shift 3
  set +e
  OUT=$(AWS_ACCESS_KEY_ID="$id" AWS_SECRET_ACCESS_KEY="$secret" \
        aws --endpoint-url "$COFRE_ENDPOINT" --output json "$@" 2>"$TMP/err")
  RC=$?
  set -e
  ERR=$(cat "$TMP/err")
}
expect_ok() { local what="$1"; shift; "$@"; if [ "$RC" = 0 ]; then ok "$what"; else bad "$what" "rc=$RC" "$ERR"; fi; }
expect_err() { # expect_err CODE WHAT cmd...
  local code="$1" what="$2"; shift 2; "$@"
  if [ "$RC" != 0 ] && grep -q "($code)" <<<"$ERR"; then ok "$what"
  else bad "$what" "expected $code, rc=$RC" "$ERR" "$OUT"; fi
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1" <<<"$OUT"; }
root() { as "${ROOT[0]}" "${ROOT[1]}" -- "$@"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

# --- the calls the trail should show -----------------------------------------------------
expect_ok "root creates audit/db" root secretsmanager create-secret --name audit/db --secret-string "$COFRE_AUDIT_VALUE"
expect_ok "root puts a second value" root secretsmanager put-secret-value --secret-id audit/db --secret-string "$COFRE_AUDIT_VALUE2"
expect_ok "root reads audit/db (1)" root secretsmanager get-secret-value --secret-id audit/db
[ "$(field "['SecretString']")" = "$COFRE_AUDIT_VALUE2" ] && ok "root got the current value" || bad "value" "$OUT"
expect_ok "root reads audit/db (2)" root secretsmanager get-secret-value --secret-id audit/db --version-stage AWSPREVIOUS
expect_ok "create policy-less user nobody" root iam create-user --user-name nobody
expect_ok "create-access-key for nobody" root iam create-access-key --user-name nobody
NOBODY=("$(field "['AccessKey']['AccessKeyId']")" "$(field "['AccessKey']['SecretAccessKey']")")
nobody() { as "${NOBODY[0]}" "${NOBODY[1]}" -- "$@"; }
expect_err AccessDeniedException "nobody is denied audit/db" nobody secretsmanager get-secret-value --secret-id audit/db
expect_err AccessDeniedException "nobody may not look up events (cloudtrail:LookupEvents)" \
  nobody cloudtrail lookup-events --max-results 5

# --- aws cloudtrail lookup-events ----------------------------------------------------------
# The trail is written before a call is answered; nothing to wait for.
expect_ok "lookup-events EventName=GetSecretValue" root cloudtrail lookup-events \
  --lookup-attributes AttributeKey=EventName,AttributeValue=GetSecretValue
echo "$OUT" >"$TMP/lookup.json"
python3 - "$TMP/lookup.json" "$A" "${NOBODY[0]}" >"$TMP/check" 2>&1 <<'PY' && ok "the reads are listed with ARN, source IP and outcome" || bad "lookup-events content" "$(cat "$TMP/check")"
import json, sys
page = json.load(open(sys.argv[1]))
account, nobody_key = sys.argv[2], sys.argv[3]
events = page["Events"]
print(f"{'time':<26} {'event':<16} {'caller ARN':<36} {'source IP':<10} outcome")
rows = []
for e in events:
    r = json.loads(e["CloudTrailEvent"])
    assert e["EventName"] == "GetSecretValue" == r["eventName"], e
    assert e["ReadOnly"] == "true", e
    assert e["EventSource"] == r["eventSource"] == "secretsmanager.amazonaws.com", e
    assert e["EventId"] == r["eventID"], e
    outcome = r.get("errorCode") or "ok"
    rows.append((r["userIdentity"]["arn"], r["sourceIPAddress"], outcome, e["AccessKeyId"]))
    print(f"{str(e['EventTime']):<26} {e['EventName']:<16} {r['userIdentity']['arn']:<36} {r['sourceIPAddress']:<10} {outcome}")
times = [e["EventTime"] for e in events]
assert times == sorted(times, reverse=True), "not newest first"
root_arn, nobody_arn = f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:user/nobody"
ok_reads = [r for r in rows if r[0] == root_arn and r[2] == "ok"]
denied = [r for r in rows if r[0] == nobody_arn]
assert len(ok_reads) == 2, rows
assert len(denied) == 1 and denied[0][2] in ("AccessDenied", "AccessDeniedException"), rows
assert denied[0][3] == nobody_key, rows
assert all(r[1] == "127.0.0.1" for r in rows), rows
assert len(rows) == 3, rows
PY
cat "$TMP/check"

expect_ok "lookup-events EventName=PutSecretValue" root cloudtrail lookup-events --max-results 50 \
  --lookup-attributes "AttributeKey=EventName,AttributeValue=PutSecretValue"
python3 -c "
import json,sys
d=json.load(sys.stdin); ev=d['Events']
assert len(ev)==1, ev
r=json.loads(ev[0]['CloudTrailEvent'])
assert r['readOnly'] is False and r['userIdentity']['arn'].endswith(':root'), r
" <<<"$OUT" && ok "the write is listed once, readOnly false" || bad "PutSecretValue event" "$OUT"

expect_ok "describe audit/db" root secretsmanager describe-secret --secret-id audit/db
ARN=$(field "['ARN']")
expect_ok "lookup-events ResourceName=<secret ARN>" root cloudtrail lookup-events \
  --lookup-attributes "AttributeKey=ResourceName,AttributeValue=$ARN"
python3 -c "
import json,sys
ev=json.load(sys.stdin)['Events']
names=sorted(e['EventName'] for e in ev)
for e in ev: assert any(r['ResourceName']=='$ARN' for r in e['Resources']), e
# The denied read named the secret by name only and got no answer naming its ARN.
assert names==['CreateSecret','DescribeSecret','GetSecretValue','GetSecretValue','PutSecretValue'], names
" <<<"$OUT" && ok "the secret's events are found by its ARN" || bad "ResourceName lookup" "$OUT"

expect_ok "paging: MaxResults 1 then NextToken" root cloudtrail lookup-events --max-results 1 \
  --lookup-attributes AttributeKey=EventName,AttributeValue=GetSecretValue --no-paginate
TOKEN=$(field ".get('NextToken','')")
FIRST=$(field "['Events'][0]['EventId']")
expect_ok "second page" root cloudtrail lookup-events --max-results 1 --no-paginate \
  --lookup-attributes AttributeKey=EventName,AttributeValue=GetSecretValue --next-token "$TOKEN"
[ -n "$TOKEN" ] && [ "$(field "['Events'][0]['EventId']")" != "$FIRST" ] && ok "pages do not repeat" || bad "paging" "$TOKEN" "$OUT"

expect_err InvalidLookupAttributesException "two lookup attributes are refused, as AWS does" \
  root cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=A AttributeKey=Username,AttributeValue=b
expect_err InvalidTimeRangeException "a start after the end is refused" \
  root cloudtrail lookup-events --start-time 2030-01-02T00:00:00Z --end-time 2030-01-01T00:00:00Z
expect_ok "a time range in the future lists nothing" root cloudtrail lookup-events \
  --start-time 2099-01-01T00:00:00Z --end-time 2099-01-02T00:00:00Z
[ "$(field "['Events']")" = "[]" ] && ok "no events in 2099" || bad "future range" "$OUT"

# --- cofre audit query (when the binary has it) ---------------------------------------------
if [ -n "${COFRE_BIN:-}" ] && "$COFRE_BIN" audit query --help >/dev/null 2>&1; then
  set +e
  AWS_ACCESS_KEY_ID="${ROOT[0]}" AWS_SECRET_ACCESS_KEY="${ROOT[1]}" "$COFRE_BIN" audit query \
    --endpoint "$COFRE_ENDPOINT" --attribute EventName=GetSecretValue --start 2000-01-01T00:00:00Z >"$TMP/q" 2>"$TMP/qerr"
  RC=$?
  set -e
  N=$(grep -c '"eventName":"GetSecretValue"' "$TMP/q" || true)
  [ "$RC" = 0 ] && [ "$N" = 3 ] && ok "cofre audit query lists the 3 reads" || bad "cofre audit query" "rc=$RC n=$N" "$(cat "$TMP/q" "$TMP/qerr")"
fi

# --- operational endpoints, no credentials ---------------------------------------------------
[ "$(curl -s -o /dev/null -w '%{http_code}' "$COFRE_ENDPOINT/health")" = 200 ] && ok "/health 200" || bad "/health"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$COFRE_ENDPOINT/ready")" = 200 ] && ok "/ready 200" || bad "/ready"
METRICS=$(curl -s "$COFRE_ENDPOINT/metrics")
grep -q '^cofre_requests_total{operation="GetSecretValue",outcome="ok"} 2$' <<<"$METRICS" \
  && ok "/metrics counts the two reads" || bad "/metrics requests" "$(grep cofre_requests_total <<<"$METRICS")"
grep -q '^cofre_requests_total{operation="GetSecretValue",outcome="client_error"} 1$' <<<"$METRICS" \
  && ok "/metrics counts the denied read" || bad "/metrics denied" "$(grep cofre_requests_total <<<"$METRICS")"
grep -q '^cofre_request_duration_seconds_count{operation="GetSecretValue"} 3$' <<<"$METRICS" \
  && ok "/metrics has the latency histogram" || bad "/metrics histogram" "$(grep duration_seconds_count <<<"$METRICS")"
grep -q '^cofre_audit_available 1$' <<<"$METRICS" && ok "/metrics: audit available" || bad "/metrics audit" "$METRICS"
if [ -n "${COFRE_EXPECT_FILE_SINK:-}" ]; then
  grep -Eq '^cofre_audit_sink_delivered_total\{sink="file"\} [1-9][0-9]*$' <<<"$METRICS" \
    && grep -q '^cofre_audit_sink_dropped_total{sink="file"} 0$' <<<"$METRICS" \
    && ok "/metrics: the file sink delivered, dropped nothing" || bad "/metrics sink" "$(grep sink <<<"$METRICS")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
