#!/usr/bin/env bash
# AWS CLI smoke test for Cofre.
#
# Drives every operation Cofre implements through the real `aws` CLI (v1 or v2), along the
# success paths and the main error paths, and checks the answers.
#
# Environment:
#   COFRE_ENDPOINT          server URL, e.g. http://127.0.0.1:8700 (required)
#   AWS_ACCESS_KEY_ID       credentials the server knows (required)
#   AWS_SECRET_ACCESS_KEY
#   AWS_DEFAULT_REGION      defaults to us-east-1
#   COFRE_ACCOUNT_ID        optional: the account the ARNs must name
#
# Prints one line per check and a final `N passed, M failed`; exits non-zero on any failure.
# Run by crates/cofre/tests/cli.rs against a fresh server; safe to run against any server
# (every name carries a unique prefix).
set -euo pipefail

: "${COFRE_ENDPOINT:?set COFRE_ENDPOINT to the server URL, e.g. http://127.0.0.1:8700}"
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""                                  # CLI v2: never page output
export AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-1}"     # fail fast: no retries
export AWS_EC2_METADATA_DISABLED=true
ACCOUNT="${COFRE_ACCOUNT_ID:-}"
REGION="$AWS_DEFAULT_REGION"
OTHER_REGION="eu-west-1"

command -v aws >/dev/null 2>&1 || { echo "the aws CLI is not installed: pip install awscli" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
trap 'echo "ABORTED at line $LINENO (after $PASS passed, $FAIL failed)"' ERR

PASS=0
FAIL=0
OUT=""
ERR=""
RC=0

echo "# $(aws --version 2>&1)"
echo "# endpoint $COFRE_ENDPOINT, region $REGION"

pass() {
    PASS=$((PASS + 1))
    echo "ok   - $1"
}

fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL - $1"
    shift
    local line
    for line in "$@"; do
        echo "       $line"
    done
}

# sm ARGS...: runs `aws secretsmanager ARGS...` and sets OUT, ERR and RC. A later `--region`
# in ARGS overrides the default one.
sm() {
    RC=0
    aws --endpoint-url "$COFRE_ENDPOINT" --region "$REGION" --output json \
        secretsmanager "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
    OUT="$(cat "$TMP/out")"
    ERR="$(cat "$TMP/err")"
}

# expect_ok DESC ARGS...: the command succeeds.
expect_ok() {
    local desc=$1
    shift
    sm "$@"
    if [ "$RC" -eq 0 ]; then
        pass "$desc"
    else
        fail "$desc" "exit $RC" "stderr: $ERR"
    fi
}

# expect_err CODES DESC ARGS...: the command fails with one of the error codes in CODES (an
# extended regex such as `ResourceNotFoundException` or `A|B`).
expect_err() {
    local codes=$1 desc=$2
    shift 2
    sm "$@"
    if [ "$RC" -ne 0 ] && printf '%s' "$ERR" | grep -Eq "\\(($codes)\\)"; then
        pass "$desc"
    else
        fail "$desc" "expected error ($codes), got exit $RC" "stderr: $ERR" "stdout: ${OUT:0:500}"
    fi
}

# stderr_has DESC TEXT: the last command's stderr contains TEXT.
stderr_has() {
    if printf '%s' "$ERR" | grep -Fq -- "$2"; then
        pass "$1"
    else
        fail "$1" "stderr lacks '$2'" "stderr: $ERR"
    fi
}

# Python run by jcheck/jval: `d` is the last command's JSON output, `A` the extra arguments.
PY_PRELUDE='
import base64, datetime, json, re, sys, time
A = sys.argv[1:]
_raw = sys.stdin.read()
d = json.loads(_raw) if _raw.strip() else {}
def ts(x):
    """A CLI timestamp (epoch number in v1, ISO 8601 text in v2) as epoch seconds."""
    if isinstance(x, (int, float)):
        return float(x)
    return datetime.datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp()
def names(x=None):
    return sorted(s["Name"] for s in (d if x is None else x).get("SecretList", []))
def stages(vid):
    return sorted(d.get("VersionIdsToStages", {}).get(vid, []))
def tags():
    return {t["Key"]: t["Value"] for t in d.get("Tags", [])}
def arn_ok(arn, name):
    acct = A[-1] if A and re.fullmatch(r"\d{12}", A[-1]) else r"\d{12}"
    return re.fullmatch(r"arn:aws:secretsmanager:%s:%s:secret:%s-[A-Za-z0-9]{6}"
                        % (re.escape(REGION), acct, re.escape(name)), arn) is not None
'

# jcheck DESC EXPR [ARG...]: the Python expression EXPR is true of the last output.
jcheck() {
    local desc=$1 expr=$2 res
    shift 2
    if res="$(printf '%s' "$OUT" | REGION="$REGION" python3 -c "$PY_PRELUDE
import os
REGION = os.environ['REGION']
try:
    ok = bool($expr)
except Exception as e:
    print('python error: %r' % (e,))
    sys.exit(1)
sys.exit(0 if ok else 1)" "$@" 2>&1)"; then
        pass "$desc"
    else
        fail "$desc" "check: $expr ${*:+(args: $*)}" ${res:+"$res"} "output: ${OUT:0:1500}"
    fi
}

# jval EXPR [ARG...]: prints EXPR evaluated on the last output ('' if it cannot be).
jval() {
    local expr=$1
    shift
    printf '%s' "$OUT" | python3 -c "$PY_PRELUDE
try:
    v = ($expr)
except Exception:
    v = ''
print(v if isinstance(v, str) else json.dumps(v))" "$@" 2>/dev/null || true
}

uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

PFX="smoke-$(date +%s)-$$-$RANDOM"
S1="$PFX/app/db"
V1_VALUE='{"user":"admin","password":"p4ss w0rd!"}'

echo "# --- create-secret / get-secret-value"
expect_ok "create-secret" create-secret --name "$S1" --description "first" \
    --secret-string "$V1_VALUE" --tags Key=env,Value=test
jcheck "create-secret returns an ARN of the form arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX" \
    'arn_ok(d["ARN"], A[0])' "$S1" $ACCOUNT
jcheck "create-secret returns the name and a version id" 'd["Name"] == A[0] and len(d["VersionId"]) >= 32' "$S1"
ARN1="$(jval 'd["ARN"]')"
V1="$(jval 'd["VersionId"]')"

expect_ok "get-secret-value by name" get-secret-value --secret-id "$S1"
jcheck "get-secret-value returns the value, version and AWSCURRENT" \
    'd["SecretString"] == A[0] and d["VersionId"] == A[1] and d["VersionStages"] == ["AWSCURRENT"] and d["Name"] == A[2] and d["ARN"] == A[3]' \
    "$V1_VALUE" "$V1" "$S1" "$ARN1"
jcheck "get-secret-value has a CreatedDate near now" 'abs(ts(d["CreatedDate"]) - time.time()) < 300'

expect_ok "get-secret-value by ARN" get-secret-value --secret-id "$ARN1"
jcheck "get-secret-value by ARN returns the same secret" 'd["Name"] == A[0] and d["SecretString"] == A[1]' "$S1" "$V1_VALUE"

expect_err ResourceExistsException "create-secret on an existing name fails" \
    create-secret --name "$S1" --secret-string other
expect_err ResourceNotFoundException "get-secret-value of a missing secret fails" \
    get-secret-value --secret-id "$PFX/missing"
stderr_has "the not-found error has AWS's message" "Secrets Manager can't find the specified secret"
expect_err ResourceNotFoundException "describe-secret of a missing secret fails" \
    describe-secret --secret-id "$PFX/missing"
expect_err ResourceNotFoundException "secrets are per region: not visible from $OTHER_REGION" \
    get-secret-value --secret-id "$S1" --region "$OTHER_REGION"

echo "# --- put-secret-value / versions"
expect_ok "put-secret-value" put-secret-value --secret-id "$S1" --secret-string "value-2"
jcheck "put-secret-value makes the new version AWSCURRENT" \
    '"AWSCURRENT" in d["VersionStages"] and d["VersionId"] != A[0] and d["Name"] == A[1]' "$V1" "$S1"
V2="$(jval 'd["VersionId"]')"
expect_ok "get-secret-value after put" get-secret-value --secret-id "$S1"
jcheck "get-secret-value returns the new value" 'd["SecretString"] == "value-2" and d["VersionId"] == A[0]' "$V2"
expect_ok "get-secret-value --version-stage AWSPREVIOUS" get-secret-value --secret-id "$S1" --version-stage AWSPREVIOUS
jcheck "AWSPREVIOUS is the first version" \
    'd["SecretString"] == A[0] and d["VersionId"] == A[1] and "AWSPREVIOUS" in d["VersionStages"]' "$V1_VALUE" "$V1"
expect_ok "get-secret-value --version-id" get-secret-value --secret-id "$S1" --version-id "$V1"
jcheck "get-secret-value --version-id returns that version" 'd["SecretString"] == A[0]' "$V1_VALUE"
expect_err ResourceNotFoundException "get-secret-value of a label no version has fails" \
    get-secret-value --secret-id "$S1" --version-stage AWSPENDING

TOKEN="$(uuid)"
expect_ok "put-secret-value with a client request token" \
    put-secret-value --secret-id "$S1" --secret-string "value-3" --client-request-token "$TOKEN"
jcheck "the client request token becomes the version id" 'd["VersionId"] == A[0]' "$TOKEN"
V3="$TOKEN"
expect_ok "put-secret-value retried with the same token and value" \
    put-secret-value --secret-id "$S1" --secret-string "value-3" --client-request-token "$TOKEN"
jcheck "the retry is idempotent (same version id)" 'd["VersionId"] == A[0]' "$TOKEN"
expect_err ResourceExistsException "put-secret-value with the same token and another value fails" \
    put-secret-value --secret-id "$S1" --secret-string "value-3b" --client-request-token "$TOKEN"

expect_ok "describe-secret" describe-secret --secret-id "$S1"
jcheck "describe-secret: name, ARN, description, tags" \
    'd["Name"] == A[0] and d["ARN"] == A[1] and d["Description"] == "first" and tags() == {"env": "test"}' "$S1" "$ARN1"
jcheck "describe-secret: AWSCURRENT on v3, AWSPREVIOUS on v2, v1 deprecated" \
    'stages(A[0]) == ["AWSCURRENT"] and stages(A[1]) == ["AWSPREVIOUS"] and A[2] not in d["VersionIdsToStages"]' \
    "$V3" "$V2" "$V1"
jcheck "describe-secret: dates present, no DeletedDate" \
    'abs(ts(d["CreatedDate"]) - time.time()) < 300 and ts(d["LastChangedDate"]) >= ts(d["CreatedDate"]) - 1 and "DeletedDate" not in d'

expect_ok "list-secret-version-ids" list-secret-version-ids --secret-id "$S1"
jcheck "list-secret-version-ids lists only labelled versions" \
    'sorted(v["VersionId"] for v in d["Versions"]) == sorted(A[0:2]) and d["Name"] == A[2]' "$V2" "$V3" "$S1"
expect_ok "list-secret-version-ids --include-deprecated" list-secret-version-ids --secret-id "$S1" --include-deprecated
jcheck "--include-deprecated adds the unlabelled version" \
    'sorted(v["VersionId"] for v in d["Versions"]) == sorted(A[0:3]) and [v.get("VersionStages", []) for v in d["Versions"] if v["VersionId"] == A[0]] == [[]]' \
    "$V1" "$V2" "$V3"

echo "# --- update-secret-version-stage"
expect_ok "attach a custom label to an old version" \
    update-secret-version-stage --secret-id "$S1" --version-stage STAGING --move-to-version-id "$V1"
jcheck "update-secret-version-stage returns name and ARN" 'd["Name"] == A[0] and d["ARN"] == A[1]' "$S1" "$ARN1"
expect_ok "describe-secret after labelling" describe-secret --secret-id "$S1"
jcheck "the old version now has STAGING" 'stages(A[0]) == ["STAGING"]' "$V1"
expect_err "InvalidParameterException|InvalidRequestException" \
    "moving AWSCURRENT without --remove-from-version-id fails" \
    update-secret-version-stage --secret-id "$S1" --version-stage AWSCURRENT --move-to-version-id "$V1"
expect_ok "move AWSCURRENT back to the first version" \
    update-secret-version-stage --secret-id "$S1" --version-stage AWSCURRENT \
    --move-to-version-id "$V1" --remove-from-version-id "$V3"
expect_ok "describe-secret after moving AWSCURRENT" describe-secret --secret-id "$S1"
jcheck "AWSCURRENT moved and AWSPREVIOUS followed it" \
    'stages(A[0]) == ["AWSCURRENT", "STAGING"] and stages(A[1]) == ["AWSPREVIOUS"] and A[2] not in d["VersionIdsToStages"]' \
    "$V1" "$V3" "$V2"
expect_ok "get-secret-value after moving AWSCURRENT" get-secret-value --secret-id "$S1"
jcheck "get-secret-value follows AWSCURRENT" 'd["SecretString"] == A[0] and d["VersionId"] == A[1]' "$V1_VALUE" "$V1"
expect_ok "remove a custom label" \
    update-secret-version-stage --secret-id "$S1" --version-stage STAGING --remove-from-version-id "$V1"
expect_ok "describe-secret after removing the label" describe-secret --secret-id "$S1"
jcheck "STAGING is gone" 'stages(A[0]) == ["AWSCURRENT"]' "$V1"

echo "# --- update-secret"
expect_ok "update-secret --description" update-secret --secret-id "$S1" --description "second"
jcheck "update-secret returns name and ARN" 'd["Name"] == A[0] and d["ARN"] == A[1]' "$S1" "$ARN1"
expect_ok "update-secret --secret-string" update-secret --secret-id "$S1" --secret-string "value-4"
jcheck "update-secret with a value creates a version" 'len(d.get("VersionId", "")) >= 32'
V4="$(jval 'd["VersionId"]')"
expect_ok "describe-secret after update-secret" describe-secret --secret-id "$S1"
jcheck "description changed and the new version is AWSCURRENT" \
    'd["Description"] == "second" and stages(A[0]) == ["AWSCURRENT"]' "$V4"
expect_ok "get-secret-value after update-secret" get-secret-value --secret-id "$S1"
jcheck "get-secret-value returns the updated value" 'd["SecretString"] == "value-4"'

echo "# --- tag-resource / untag-resource"
expect_ok "tag-resource" tag-resource --secret-id "$S1" --tags Key=team,Value=core Key=tier,Value=gold
expect_ok "describe-secret after tagging" describe-secret --secret-id "$S1"
jcheck "tags were added" 'tags() == {"env": "test", "team": "core", "tier": "gold"}'
expect_ok "untag-resource" untag-resource --secret-id "$S1" --tag-keys team tier
expect_ok "describe-secret after untagging" describe-secret --secret-id "$S1"
jcheck "tags were removed" 'tags() == {"env": "test"}'
expect_err ResourceNotFoundException "tag-resource on a missing secret fails" \
    tag-resource --secret-id "$PFX/missing" --tags Key=a,Value=b

echo "# --- list-secrets"
for i in 1 2 3 4 5; do
    expect_ok "create-secret page-$i" create-secret --name "$PFX-page-$i" --secret-string "page-value-$i"
done
PAGE_NAMES=("$PFX-page-1" "$PFX-page-2" "$PFX-page-3" "$PFX-page-4" "$PFX-page-5")
expect_ok "list-secrets --filters Key=name" list-secrets --filters "Key=name,Values=$PFX-page-"
jcheck "the name filter is a prefix match" 'names() == sorted(A)' "${PAGE_NAMES[@]}"
UPPER_PFX="$(printf '%s' "$PFX-page-" | tr '[:lower:]' '[:upper:]')"
expect_ok "list-secrets with an upper-cased name prefix" list-secrets --filters "Key=name,Values=$UPPER_PFX"
jcheck "the name filter is case-sensitive" '"SecretList" in d and names() == []'
expect_ok "list-secrets --filters name + tag-key" \
    list-secrets --filters "Key=name,Values=$PFX" "Key=tag-key,Values=env"
jcheck "filters on different keys are combined" 'names() == [A[0]]' "$S1"

expect_ok "list-secrets --max-results 2" list-secrets --filters "Key=name,Values=$PFX-page-" --max-results 2
jcheck "--max-results 2 returns at most 2 and a NextToken" 'len(d["SecretList"]) <= 2 and d.get("NextToken")'
SEEN="$(jval 'json.dumps(names())')"
NEXT="$(jval 'd.get("NextToken") or ""')"
PAGES=1
while [ -n "$NEXT" ] && [ "$PAGES" -lt 10 ]; do
    sm list-secrets --filters "Key=name,Values=$PFX-page-" --max-results 2 --next-token "$NEXT"
    if [ "$RC" -ne 0 ]; then
        fail "list-secrets --next-token (page $((PAGES + 1)))" "exit $RC" "stderr: $ERR"
        break
    fi
    PAGES=$((PAGES + 1))
    SEEN="$(jval 'json.dumps(json.loads(A[0]) + names())' "$SEEN")"
    NEXT="$(jval 'd.get("NextToken") or ""')"
    jcheck "list-secrets page $PAGES has at most 2 entries" 'len(d["SecretList"]) <= 2'
done
OUT="$SEEN"
jcheck "paging with --next-token visits every secret exactly once ($PAGES pages)" \
    'sorted(d) == sorted(A[1:]) and int(A[0]) >= 3' "$PAGES" "${PAGE_NAMES[@]}"

expect_ok "list-secrets --page-size 2 (CLI auto-pagination)" \
    list-secrets --filters "Key=name,Values=$PFX-page-" --page-size 2
jcheck "auto-pagination collects every page" 'names() == sorted(A) and not d.get("NextToken")' "${PAGE_NAMES[@]}"
expect_ok "list-secrets --max-items 3 --page-size 2" \
    list-secrets --filters "Key=name,Values=$PFX-page-" --max-items 3 --page-size 2
jcheck "--max-items 3 stops after 3 with a NextToken" 'len(d["SecretList"]) == 3 and d.get("NextToken")'
FIRST3="$(jval 'json.dumps(names())')"
START="$(jval 'd["NextToken"]')"
expect_ok "list-secrets --starting-token" \
    list-secrets --filters "Key=name,Values=$PFX-page-" --max-items 3 --page-size 2 --starting-token "$START"
jcheck "--starting-token resumes where --max-items stopped" \
    'sorted(json.loads(A[0]) + names()) == sorted(A[1:]) and len(d["SecretList"]) == 2' "$FIRST3" "${PAGE_NAMES[@]}"
expect_err ValidationException "list-secrets --max-results 500 fails validation" list-secrets --max-results 500

echo "# --- get-random-password"
expect_ok "get-random-password (defaults)" get-random-password
jcheck "the default password has 32 characters" 'len(d["RandomPassword"]) == 32'
expect_ok "get-random-password --password-length 40 --exclude-characters --exclude-punctuation" \
    get-random-password --password-length 40 --exclude-characters abcdefABCDEF0123 --exclude-punctuation
jcheck "length and exclusions are honoured" \
    'len(d["RandomPassword"]) == 40 and d["RandomPassword"].isalnum() and not set(d["RandomPassword"]) & set("abcdefABCDEF0123")'
expect_ok "get-random-password digits only" \
    get-random-password --password-length 12 --exclude-uppercase --exclude-lowercase --exclude-punctuation
jcheck "only digits remain" 'len(d["RandomPassword"]) == 12 and d["RandomPassword"].isdigit()'

echo "# --- batch-get-secret-value"
expect_ok "batch-get-secret-value --secret-id-list" \
    batch-get-secret-value --secret-id-list "$S1" "$PFX-page-1" "$PFX/missing"
jcheck "batch-get returns the values it found" \
    'sorted((v["Name"], v["SecretString"]) for v in d["SecretValues"]) == sorted([(A[0], "value-4"), (A[1], "page-value-1")])' \
    "$S1" "$PFX-page-1"
jcheck "batch-get reports the missing secret in Errors" \
    '[(e["SecretId"], e["ErrorCode"]) for e in d["Errors"]] == [(A[0], "ResourceNotFoundException")]' "$PFX/missing"
expect_ok "batch-get-secret-value --filters" batch-get-secret-value --filters "Key=name,Values=$PFX-page-"
jcheck "batch-get with a filter returns every matching value" \
    'sorted((v["Name"], v["SecretString"]) for v in d["SecretValues"]) == sorted((n, "page-value-" + n[-1]) for n in A)' \
    "${PAGE_NAMES[@]}"

echo "# --- binary secrets"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) + b"\x00\xff cofre")' >"$TMP/blob.bin"
expect_ok "create-secret --secret-binary fileb://" create-secret --name "$PFX-binary" --secret-binary "fileb://$TMP/blob.bin"
expect_ok "get-secret-value of a binary secret" get-secret-value --secret-id "$PFX-binary"
jcheck "SecretBinary round-trips byte for byte" \
    'base64.b64decode(d["SecretBinary"]) == open(A[0], "rb").read() and "SecretString" not in d' "$TMP/blob.bin"

echo "# --- delete-secret / restore-secret"
SD="$PFX-deleted"
expect_ok "create-secret to delete" create-secret --name "$SD" --secret-string "to-be-deleted"
expect_err InvalidParameterException "delete-secret --recovery-window-in-days 3 fails" \
    delete-secret --secret-id "$SD" --recovery-window-in-days 3
expect_err InvalidParameterException "delete-secret with both --force-delete-without-recovery and a window fails" \
    delete-secret --secret-id "$SD" --recovery-window-in-days 7 --force-delete-without-recovery
expect_ok "delete-secret --recovery-window-in-days 7" delete-secret --secret-id "$SD" --recovery-window-in-days 7
jcheck "DeletionDate is 7 days away" \
    'd["Name"] == A[0] and abs(ts(d["DeletionDate"]) - (time.time() + 7 * 86400)) < 3600' "$SD"
expect_err InvalidRequestException "get-secret-value of a secret scheduled for deletion fails" \
    get-secret-value --secret-id "$SD"
stderr_has "the error says the secret is marked for deletion" "marked for deletion"
expect_err InvalidRequestException "put-secret-value on a secret scheduled for deletion fails" \
    put-secret-value --secret-id "$SD" --secret-string x
expect_err InvalidRequestException "create-secret with the name of a secret scheduled for deletion fails" \
    create-secret --name "$SD" --secret-string x
expect_ok "describe-secret of a secret scheduled for deletion" describe-secret --secret-id "$SD"
jcheck "describe-secret shows DeletedDate" 'abs(ts(d["DeletedDate"]) - time.time()) < 300'
expect_ok "list-secrets hides secrets scheduled for deletion" list-secrets --filters "Key=name,Values=$SD"
jcheck "... the deleted secret is not listed" '"SecretList" in d and names() == []'
expect_ok "list-secrets --include-planned-deletion" \
    list-secrets --filters "Key=name,Values=$SD" --include-planned-deletion
jcheck "... lists it with its DeletedDate" 'names() == [A[0]] and "DeletedDate" in d["SecretList"][0]' "$SD"
expect_ok "restore-secret" restore-secret --secret-id "$SD"
jcheck "restore-secret returns name and ARN" 'd["Name"] == A[0] and d["ARN"].startswith("arn:aws:secretsmanager:")' "$SD"
expect_ok "get-secret-value after restore" get-secret-value --secret-id "$SD"
jcheck "the restored secret has its value" 'd["SecretString"] == "to-be-deleted"'
expect_ok "delete-secret --force-delete-without-recovery" delete-secret --secret-id "$SD" --force-delete-without-recovery
jcheck "the forced deletion is dated now" 'abs(ts(d["DeletionDate"]) - time.time()) < 300'
expect_err ResourceNotFoundException "get-secret-value after a forced deletion fails" get-secret-value --secret-id "$SD"
expect_err ResourceNotFoundException "restore-secret after a forced deletion fails" restore-secret --secret-id "$SD"
expect_ok "the name is free again after a forced deletion" create-secret --name "$SD" --secret-string "again"

echo "# --- rotation without a rotation function"
expect_err InvalidRequestException "rotate-secret without a function is refused" rotate-secret --secret-id "$S1"
stderr_has "... saying no function is associated" "No Lambda rotation function ARN is associated with this secret."
expect_ok "cancel-rotate-secret with nothing to cancel" cancel-rotate-secret --secret-id "$S1"

trap - ERR
echo "$PASS passed, $FAIL failed"
if [ "$FAIL" -ne 0 ]; then
    exit 1
fi
