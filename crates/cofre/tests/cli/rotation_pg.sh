#!/usr/bin/env bash
# One rotation of a PostgreSQL secret, done with the AWS CLI only.
#
# Creates `demo/postgres` (AWS's RDS secret JSON for an existing PostgreSQL user), turns on
# rotation with Cofre's built-in `cofre-postgres-single-user` function, waits for the first
# rotation to finish, and checks the result in the database (the new password logs in, the
# old one no longer does) and in describe-secret. Every command is printed as it is run
# (`+ aws ...`) with its output, so the output reads as a transcript; passwords are never
# printed (they are masked as `****`).
#
# Environment:
#   COFRE_ENDPOINT          server URL, e.g. http://127.0.0.1:8700 (required)
#   AWS_ACCESS_KEY_ID       credentials the server knows (required)
#   AWS_SECRET_ACCESS_KEY
#   AWS_DEFAULT_REGION      defaults to us-east-1
#   COFRE_ACCOUNT_ID        the server's account (required: it is in the function's ARN)
#   PG_HOST, PG_PORT        the PostgreSQL server (required)
#   PG_USER, PG_PASSWORD    the application user and its current password (required)
#
# Prints one `ok - ...` / `not ok - ...` line per check and a final `N passed, M failed`;
# exits non-zero if any check failed. Run by crates/cofre/tests/cli_rotation.rs against a
# fresh server and a private PostgreSQL cluster. It changes PG_USER's password, and the
# secret name is fixed: run it by hand only against a server and a user meant for the demo.
set -euo pipefail

: "${COFRE_ENDPOINT:?set COFRE_ENDPOINT to the server URL, e.g. http://127.0.0.1:8700}"
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY}"
: "${COFRE_ACCOUNT_ID:?set COFRE_ACCOUNT_ID to the server's account id}"
: "${PG_HOST:?set PG_HOST}"
: "${PG_PORT:?set PG_PORT}"
: "${PG_USER:?set PG_USER to the application user}"
: "${PG_PASSWORD:?set PG_PASSWORD to the application user's current password}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""                                  # CLI v2: never page output
export AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-1}"     # fail fast: no retries
export AWS_EC2_METADATA_DISABLED=true
export PGCONNECT_TIMEOUT=5
REGION="$AWS_DEFAULT_REGION"
NAME="demo/postgres"
FUNCTION_ARN="arn:aws:lambda:$REGION:$COFRE_ACCOUNT_ID:function:cofre-postgres-single-user"
ROTATION_TIMEOUT=60

command -v aws >/dev/null 2>&1 || { echo "the aws CLI is not installed: pip install awscli" >&2; exit 2; }
command -v psql >/dev/null 2>&1 || { echo "psql is required" >&2; exit 2; }
if command -v jq >/dev/null 2>&1; then
    JSON=jq
elif command -v python3 >/dev/null 2>&1; then
    JSON=python3
else
    echo "jq or python3 is required" >&2
    exit 2
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

PASS=0
FAIL=0
OUT=""
ERR=""
RC=0
# Values never printed: every printed line has them replaced by `****`.
SECRETS=("$PG_PASSWORD")

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; shift; [ "$#" -eq 0 ] || printf '       %s\n' "$@"; }

# redact: copies stdin to stdout with every value of SECRETS replaced by `****`.
redact() {
    local line s
    while IFS= read -r line || [ -n "$line" ]; do
        for s in "${SECRETS[@]}"; do
            [ -n "$s" ] && line="${line//"$s"/****}"
        done
        printf '%s\n' "$line"
    done
}

# shown ARG...: the arguments as one shell command line (quoted only where needed).
shown() {
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s' "${out# }"
}

# sm [-q] ARGS...: prints `+ aws secretsmanager ARGS...`, runs it, sets OUT, ERR and RC, and
# prints its output (unless -q: then the caller prints what it wants of OUT).
sm() {
    local quiet=""
    if [ "$1" = "-q" ]; then
        quiet=1
        shift
    fi
    echo "+ $(shown aws secretsmanager "$@")" | redact
    RC=0
    aws --endpoint-url "$COFRE_ENDPOINT" --region "$REGION" --output json \
        secretsmanager "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
    OUT="$(cat "$TMP/out")"
    ERR="$(cat "$TMP/err")"
    if [ -z "$quiet" ] && [ -n "$OUT" ]; then
        printf '%s\n' "$OUT" | redact
    fi
    if [ -n "$ERR" ]; then
        printf '%s\n' "$ERR" | redact
    fi
    if [ "$RC" -ne 0 ]; then
        echo "(exit $RC)"
    fi
}

# jv JSON KEY...: the value at KEY... in the JSON text (strings raw, anything else as compact
# JSON, `null` when absent).
jv() {
    local json=$1
    shift
    if [ "$JSON" = jq ]; then
        printf '%s' "$json" | jq -r 'getpath($ARGS.positional) | if type == "string" then . else tojson end' \
            --args "$@" 2>/dev/null || echo null
    else
        printf '%s' "$json" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read() or "null")
for k in sys.argv[1:]:
    d = d.get(k) if isinstance(d, dict) else None
print(d if isinstance(d, str) else json.dumps(d, separators=(",", ":")))' "$@" 2>/dev/null || echo null
    fi
}

# has_stage JSON VERSION STAGE: describe-secret output JSON has STAGE on VERSION.
has_stage() {
    case "$(jv "$1" VersionIdsToStages "$2")" in
        *"\"$3\""*) return 0 ;;
        *) return 1 ;;
    esac
}

# masked_secret_value JSON: get-secret-value output with the secret's password shown as ****.
masked_secret_value() {
    if [ "$JSON" = jq ]; then
        printf '%s' "$1" | jq --indent 4 \
            '.SecretString = (.SecretString | try (fromjson | .password = "****" | tojson) catch "****")'
    else
        printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
try:
    s = json.loads(d["SecretString"])
    s["password"] = "****"
    d["SecretString"] = json.dumps(s, separators=(",", ":"))
except Exception:
    d["SecretString"] = "****"
print(json.dumps(d, indent=4))'
    fi
}

# login DESC PASSWORD SHOULD: prints and runs the psql login with PASSWORD; checks that it
# succeeds (SHOULD=yes) or is refused (SHOULD=no).
login() {
    local desc=$1 password=$2 should=$3 rc=0 out
    echo "+ PGPASSWORD=**** $(shown psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc 'select 1')"
    out="$(PGPASSWORD="$password" psql -w -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
        -tAc 'select 1' 2>&1)" || rc=$?
    printf '%s\n' "$out" | redact
    if [ "$should" = yes ]; then
        if [ "$rc" -eq 0 ] && [ "$out" = 1 ]; then ok "$desc"; else not_ok "$desc" "psql exit $rc"; fi
    else
        if [ "$rc" -ne 0 ]; then ok "$desc"; else not_ok "$desc" "psql logged in (exit 0)"; fi
    fi
}

secret_json() {
    if [ "$JSON" = jq ]; then
        jq -cn --arg host "$PG_HOST" --arg port "$PG_PORT" --arg user "$PG_USER" --arg pw "$PG_PASSWORD" \
            '{engine: "postgres", host: $host, port: ($port | tonumber), username: $user, password: $pw, dbname: "postgres"}'
    else
        python3 -c '
import json, sys
h, p, u, pw = sys.argv[1:]
print(json.dumps({"engine": "postgres", "host": h, "port": int(p), "username": u,
                  "password": pw, "dbname": "postgres"}, separators=(",", ":")))' \
            "$PG_HOST" "$PG_PORT" "$PG_USER" "$PG_PASSWORD"
    fi
}

echo "# $(aws --version 2>&1)"
echo "# endpoint $COFRE_ENDPOINT, region $REGION, PostgreSQL $PG_HOST:$PG_PORT, user $PG_USER"

echo
echo "# --- the application's secret, as AWS's RDS secret JSON"
sm create-secret --name "$NAME" --secret-string "$(secret_json)"
if [ "$RC" -ne 0 ]; then
    not_ok "create-secret"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
V1="$(jv "$OUT" VersionId)"

echo
echo "# --- BEFORE"
sm describe-secret --secret-id "$NAME"
BEFORE="$OUT"
[ "$RC" -eq 0 ] || not_ok "describe-secret (BEFORE)"

echo
echo "# --- rotate with the built-in PostgreSQL single-user function, every 30 days"
sm rotate-secret --secret-id "$NAME" --rotation-lambda-arn "$FUNCTION_ARN" \
    --rotation-rules '{"AutomaticallyAfterDays":30}'
if [ "$RC" -ne 0 ]; then
    not_ok "rotate-secret"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
TOKEN="$(jv "$OUT" VersionId)"

echo
echo "# --- wait for the rotation: LastRotatedDate set and AWSCURRENT on $TOKEN (at most ${ROTATION_TIMEOUT} s)"
echo "+ $(shown aws secretsmanager describe-secret --secret-id "$NAME")  # every second"
START=$SECONDS
POLLS=0
ROTATED=""
LAST=""
while [ $((SECONDS - START)) -lt "$ROTATION_TIMEOUT" ]; do
    POLLS=$((POLLS + 1))
    if LAST="$(aws --endpoint-url "$COFRE_ENDPOINT" --region "$REGION" --output json \
        secretsmanager describe-secret --secret-id "$NAME" 2>"$TMP/poll-err")"; then
        if [ "$(jv "$LAST" LastRotatedDate)" != null ] && has_stage "$LAST" "$TOKEN" AWSCURRENT; then
            ROTATED=1
            break
        fi
    fi
    sleep 1
done
if [ -n "$ROTATED" ]; then
    echo "# rotated after $((SECONDS - START)) s ($POLLS describe-secret calls)"
else
    echo "# not rotated after $((SECONDS - START)) s ($POLLS describe-secret calls); last answer:"
    printf '%s\n' "$LAST" | redact
    redact <"$TMP/poll-err"
fi

echo
echo "# --- AFTER"
sm describe-secret --secret-id "$NAME"
AFTER="$OUT"
[ "$RC" -eq 0 ] || not_ok "describe-secret (AFTER)"

echo
echo "# --- the new AWSCURRENT value (password masked)"
sm -q get-secret-value --secret-id "$NAME"
NEW_PASSWORD=""
NEW_VERSION=""
if [ "$RC" -eq 0 ]; then
    NEW_PASSWORD="$(jv "$(jv "$OUT" SecretString)" password)"
    NEW_VERSION="$(jv "$OUT" VersionId)"
    SECRETS+=("$NEW_PASSWORD")
    masked_secret_value "$OUT" | redact
fi

echo
echo "# --- checks"
if [ -n "$ROTATED" ]; then
    ok "the rotation finished within ${ROTATION_TIMEOUT} s"
else
    not_ok "the rotation finished within ${ROTATION_TIMEOUT} s"
fi
if [ "$(jv "$BEFORE" RotationEnabled)" = null ]; then
    ok "BEFORE: describe-secret shows no RotationEnabled"
else
    not_ok "BEFORE: describe-secret shows no RotationEnabled" "RotationEnabled: $(jv "$BEFORE" RotationEnabled)"
fi
if [ "$NEW_VERSION" = "$TOKEN" ] && [ -n "$NEW_PASSWORD" ] && [ "$NEW_PASSWORD" != null ] \
    && [ "$NEW_PASSWORD" != "$PG_PASSWORD" ]; then
    ok "AWSCURRENT is rotate-secret's version, with a new password"
else
    not_ok "AWSCURRENT is rotate-secret's version, with a new password" \
        "AWSCURRENT version $NEW_VERSION, rotate-secret version $TOKEN" \
        "password present: $([ -n "$NEW_PASSWORD" ] && [ "$NEW_PASSWORD" != null ] && echo yes || echo no)," \
        "changed: $([ "$NEW_PASSWORD" != "$PG_PASSWORD" ] && echo yes || echo no)"
fi
if [ "$(jv "$AFTER" RotationEnabled)" = true ]; then
    ok "AFTER: RotationEnabled is true"
else
    not_ok "AFTER: RotationEnabled is true" "RotationEnabled: $(jv "$AFTER" RotationEnabled)"
fi
if [ "$(jv "$AFTER" RotationLambdaARN)" = "$FUNCTION_ARN" ]; then
    ok "AFTER: RotationLambdaARN is $FUNCTION_ARN"
else
    not_ok "AFTER: RotationLambdaARN is $FUNCTION_ARN" "RotationLambdaARN: $(jv "$AFTER" RotationLambdaARN)"
fi
if [ "$(jv "$AFTER" RotationRules AutomaticallyAfterDays)" = 30 ]; then
    ok "AFTER: RotationRules.AutomaticallyAfterDays is 30"
else
    not_ok "AFTER: RotationRules.AutomaticallyAfterDays is 30" "RotationRules: $(jv "$AFTER" RotationRules)"
fi
if [ "$(jv "$AFTER" LastRotatedDate)" != null ] && [ "$(jv "$AFTER" NextRotationDate)" != null ]; then
    ok "AFTER: LastRotatedDate and NextRotationDate are present"
else
    not_ok "AFTER: LastRotatedDate and NextRotationDate are present" \
        "LastRotatedDate: $(jv "$AFTER" LastRotatedDate)" "NextRotationDate: $(jv "$AFTER" NextRotationDate)"
fi
if has_stage "$AFTER" "$TOKEN" AWSCURRENT && has_stage "$AFTER" "$V1" AWSPREVIOUS; then
    ok "AFTER: the new version is AWSCURRENT, the old one AWSPREVIOUS"
else
    not_ok "AFTER: the new version is AWSCURRENT, the old one AWSPREVIOUS" \
        "VersionIdsToStages: $(jv "$AFTER" VersionIdsToStages)" "new $TOKEN, old $V1"
fi

echo
echo "# --- the database: log in with the new AWSCURRENT password, then with the old one"
if [ -n "$NEW_PASSWORD" ] && [ "$NEW_PASSWORD" != null ]; then
    login "the new AWSCURRENT password logs in" "$NEW_PASSWORD" yes
else
    not_ok "the new AWSCURRENT password logs in" "no AWSCURRENT password to try"
fi
login "the old password no longer logs in" "$PG_PASSWORD" no

echo
echo "$PASS passed, $FAIL failed"
if [ "$FAIL" -ne 0 ]; then
    exit 1
fi
