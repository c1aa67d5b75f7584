#!/usr/bin/env bash
# Access control through the real AWS CLI: IAM users and policies, STS roles, cross-account
# reads gated by both identity and resource policies, and AWS's AccessDenied messages.
#
# Environment: COFRE_ENDPOINT, COFRE_ACCOUNT_ID, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the
# account root), COFRE_BIN (the cofre binary, for `cofre admin create-account`).
# Prints one line per check and `N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
: "${COFRE_ENDPOINT:?}" "${COFRE_ACCOUNT_ID:?}" "${COFRE_BIN:?}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_PAGER="" AWS_MAX_ATTEMPTS=1
A="$COFRE_ACCOUNT_ID"
R="$AWS_DEFAULT_REGION"
ROOT_A=("$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
PASS=0 FAIL=0 OUT="" ERR="" RC=0

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; shift; printf '       %s\n' "$@"; }
# as KEY SECRET [TOKEN] -- aws args...: runs the CLI with those credentials.
as() {
  local id="$1" secret="$2" token="$3"; shift 4
  set +e
  OUT=$(AWS_ACCESS_KEY_ID="$id" AWS_SECRET_ACCESS_KEY="$secret" AWS_SESSION_TOKEN="$token" \
        aws --endpoint-url "$COFRE_ENDPOINT" --output json "$@" 2>"$TMP/err")
  RC=$?
  set -e
  ERR=$(cat "$TMP/err")
}
expect_ok() { local what="$1"; shift; "$@"; if [ "$RC" = 0 ]; then ok "$what"; else bad "$what" "rc=$RC" "$ERR"; fi; }
expect_err() { # expect_err CODE MESSAGE-SUBSTRING WHAT cmd...
  local code="$1" msg="$2" what="$3"; shift 3; "$@"
  if [ "$RC" != 0 ] && grep -q "($code)" <<<"$ERR" && grep -qF -- "$msg" <<<"$ERR"; then ok "$what"
  else bad "$what" "expected $code with '$msg', rc=$RC" "$ERR" "$OUT"; fi
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1" <<<"$OUT"; }
root() { as "${ROOT_A[0]}" "${ROOT_A[1]}" "" -- "$@"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

# --- setup as the account root ---------------------------------------------------------
expect_ok "root creates prod/db" root secretsmanager create-secret --name prod/db --secret-string prod-pw
PROD_ARN=$(field "['ARN']")
expect_ok "root creates dev/db" root secretsmanager create-secret --name dev/db --secret-string dev-pw
DEV_ARN=$(field "['ARN']")
expect_ok "create user app" root iam create-user --user-name app
[ "$(field "['User']['Arn']")" = "arn:aws:iam::$A:user/app" ] && ok "user ARN has AWS's form" || bad "user ARN" "$OUT"
POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:'$R':'$A':secret:prod/*"}]}'
expect_ok "put-user-policy read-prod" root iam put-user-policy --user-name app --policy-name read-prod --policy-document "$POLICY"
expect_ok "get-user-policy" root iam get-user-policy --user-name app --policy-name read-prod
python3 -c "import json,sys; d=json.load(sys.stdin); p=d['PolicyDocument']; p=p if isinstance(p,dict) else json.loads(p); assert p['Statement'][0]['Action']=='secretsmanager:GetSecretValue'" <<<"$OUT" \
  && ok "policy document reads back" || bad "policy document reads back" "$OUT"
expect_ok "create-access-key for app" root iam create-access-key --user-name app
APP=("$(field "['AccessKey']['AccessKeyId']")" "$(field "['AccessKey']['SecretAccessKey']")")
app() { as "${APP[0]}" "${APP[1]}" "" -- "$@"; }

# --- the user's policy decides -----------------------------------------------------------
expect_ok "app reads prod/db" app secretsmanager get-secret-value --secret-id prod/db
[ "$(field "['SecretString']")" = "prod-pw" ] && ok "app got prod/db's value" || bad "value" "$OUT"
expect_err AccessDeniedException \
  "User: arn:aws:iam::$A:user/app is not authorized to perform: secretsmanager:GetSecretValue on resource: $DEV_ARN because no identity-based policy allows the secretsmanager:GetSecretValue action" \
  "app is denied dev/db with AWS's message" app secretsmanager get-secret-value --secret-id dev/db
expect_err AccessDeniedException "secretsmanager:PutSecretValue" "app is denied PutSecretValue on prod/db" \
  app secretsmanager put-secret-value --secret-id prod/db --secret-string x
expect_err AccessDeniedException "secretsmanager:GetSecretValue" "app can't tell a missing secret from a forbidden one" \
  app secretsmanager get-secret-value --secret-id dev/does-not-exist
expect_err AccessDeniedException "secretsmanager:ListSecrets" "app is denied ListSecrets" app secretsmanager list-secrets
expect_ok "get-caller-identity as app" app sts get-caller-identity
[ "$(field "['Arn']")" = "arn:aws:iam::$A:user/app" ] && [ "$(field "['Account']")" = "$A" ] \
  && ok "caller identity is the user" || bad "caller identity" "$OUT"
expect_ok "get-caller-identity as root" root sts get-caller-identity
[ "$(field "['Arn']")" = "arn:aws:iam::$A:root" ] && ok "caller identity is root" || bad "root identity" "$OUT"
expect_err AccessDenied "iam:CreateUser" "app may not manage IAM" app iam create-user --user-name mallory

# An explicit deny beats the allow.
expect_ok "add an explicit deny" root iam put-user-policy --user-name app --policy-name deny-prod \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:*","Resource":"'"$PROD_ARN"'"}]}'
expect_err AccessDeniedException "with an explicit deny in an identity-based policy" "explicit deny wins" \
  app secretsmanager get-secret-value --secret-id prod/db
expect_ok "remove the deny" root iam delete-user-policy --user-name app --policy-name deny-prod
expect_ok "app reads again" app secretsmanager get-secret-value --secret-id prod/db

# --- roles and STS -----------------------------------------------------------------------
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$A':user/app"},"Action":"sts:AssumeRole"}]}'
expect_ok "create-role dev-reader" root iam create-role --role-name dev-reader --assume-role-policy-document "$TRUST"
ROLE_ARN=$(field "['Role']['Arn']")
expect_ok "put-role-policy" root iam put-role-policy --role-name dev-reader --policy-name read-dev \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"}]}'
expect_ok "app assumes dev-reader" app sts assume-role --role-arn "$ROLE_ARN" --role-session-name ci-run --duration-seconds 900
S=("$(field "['Credentials']['AccessKeyId']")" "$(field "['Credentials']['SecretAccessKey']")" "$(field "['Credentials']['SessionToken']")")
[ "$(field "['AssumedRoleUser']['Arn']")" = "arn:aws:sts::$A:assumed-role/dev-reader/ci-run" ] && ok "assumed-role ARN has AWS's form" || bad "assumed-role ARN" "$OUT"
case "${S[0]}" in ASIA*) ok "temporary key id starts with ASIA";; *) bad "temporary key id" "${S[0]}";; esac
sess() { as "${S[0]}" "${S[1]}" "${S[2]}" -- "$@"; }
expect_ok "session reads dev/db" sess secretsmanager get-secret-value --secret-id dev/db
[ "$(field "['SecretString']")" = "dev-pw" ] && ok "session got dev/db's value" || bad "value" "$OUT"
expect_err AccessDeniedException "arn:aws:sts::$A:assumed-role/dev-reader/ci-run is not authorized to perform: secretsmanager:GetSecretValue" \
  "session is denied prod/db" sess secretsmanager get-secret-value --secret-id prod/db
expect_ok "get-caller-identity as session" sess sts get-caller-identity
[ "$(field "['Arn']")" = "arn:aws:sts::$A:assumed-role/dev-reader/ci-run" ] && ok "caller identity is the session" || bad "session identity" "$OUT"
expect_err UnrecognizedClientException "The security token included in the request is invalid" "a tampered session token is refused" \
  as "${S[0]}" "${S[1]}" "${S[2]}x" -- secretsmanager get-secret-value --secret-id dev/db
expect_ok "root creates an untrusting role" root iam create-role --role-name admin-only \
  --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$A':root"},"Action":"sts:AssumeRole"}]}'
expect_err AccessDenied "sts:AssumeRole" "app may not assume a role that only trusts the account" \
  app sts assume-role --role-arn "arn:aws:iam::$A:role/admin-only" --role-session-name xy

# --- access keys can be switched off -----------------------------------------------------
expect_ok "deactivate app's key" root iam update-access-key --user-name app --access-key-id "${APP[0]}" --status Inactive
expect_err UnrecognizedClientException "The security token included in the request is invalid" "an inactive key is refused" \
  app secretsmanager get-secret-value --secret-id prod/db
expect_ok "reactivate app's key" root iam update-access-key --user-name app --access-key-id "${APP[0]}" --status Active

# --- cross-account: both sides must allow -------------------------------------------------
B=210987654321
ADMIN_OUT=$(AWS_ACCESS_KEY_ID="${ROOT_A[0]}" AWS_SECRET_ACCESS_KEY="${ROOT_A[1]}" "$COFRE_BIN" admin --endpoint "$COFRE_ENDPOINT" create-account "$B" 2>&1) \
  && ok "cofre admin create-account $B" || bad "create-account" "$ADMIN_OUT"
B_ID=$(grep -oE 'AKIA[A-Z0-9]{16}' <<<"$ADMIN_OUT" | head -1)
B_SECRET=$(awk '/[Ss]ecret/ {print $NF}' <<<"$ADMIN_OUT" | head -1)
rootb() { as "$B_ID" "$B_SECRET" "" -- "$@"; }
# As on AWS, a secret shared across accounts must be under a customer managed key whose key
# policy lets the other account decrypt: the AWS-managed aws/secretsmanager key never does.
KEY_POLICY='{"Version":"2012-10-17","Statement":[{"Sid":"B admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$B':root"},"Action":"kms:*","Resource":"*"},{"Sid":"A app decrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$A':user/app"},"Action":"kms:Decrypt","Resource":"*"}]}'
expect_ok "account B creates a shared KMS key" rootb kms create-key --description shared --policy "$KEY_POLICY"
KEY_ARN=$(field "['KeyMetadata']['Arn']")
expect_ok "account B creates shared/x under it" rootb secretsmanager create-secret --name shared/x --secret-string from-b --kms-key-id "$KEY_ARN"
SHARED_ARN=$(field "['ARN']")
case "$SHARED_ARN" in arn:aws:secretsmanager:$R:$B:secret:shared/x-*) ok "B's ARN names B";; *) bad "B's ARN" "$SHARED_ARN";; esac
expect_ok "account B creates managed/x under the AWS-managed key" rootb secretsmanager create-secret --name managed/x --secret-string managed-b
MANAGED_ARN=$(field "['ARN']")
RP='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$A':user/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
IDP='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:'$R':'$B':secret:*"},{"Effect":"Allow","Action":"kms:Decrypt","Resource":"'"$KEY_ARN"'"}]}'
expect_err AccessDeniedException "is not authorized to perform: secretsmanager:GetSecretValue" "no policies: denied" \
  app secretsmanager get-secret-value --secret-id "$SHARED_ARN"
expect_ok "B attaches a resource policy" rootb secretsmanager put-resource-policy --secret-id shared/x --resource-policy "$RP" --block-public-policy
expect_err AccessDeniedException "because no identity-based policy allows" "resource policy alone: denied" \
  app secretsmanager get-secret-value --secret-id "$SHARED_ARN"
expect_ok "A grants app the identity side" root iam put-user-policy --user-name app --policy-name read-b --policy-document "$IDP"
expect_ok "both allow: app reads B's secret" app secretsmanager get-secret-value --secret-id "$SHARED_ARN"
[ "$(field "['SecretString']")" = "from-b" ] && ok "cross-account value" || bad "cross-account value" "$OUT"
expect_ok "B shares managed/x too" rootb secretsmanager put-resource-policy --secret-id managed/x --resource-policy "$RP"
expect_err AccessDeniedException "Access to KMS is not allowed" "the AWS-managed key is never usable across accounts" \
  app secretsmanager get-secret-value --secret-id "$MANAGED_ARN"
expect_ok "B removes the resource policy" rootb secretsmanager delete-resource-policy --secret-id shared/x
expect_err AccessDeniedException "because no resource-based policy allows" "identity policy alone: denied" \
  app secretsmanager get-secret-value --secret-id "$SHARED_ARN"
expect_err AccessDeniedException "because no resource-based policy allows" "a missing secret in B looks the same" \
  app secretsmanager get-secret-value --secret-id "arn:aws:secretsmanager:$R:$B:secret:shared/nothing-AbCdEf"
expect_err PublicPolicyException "broad access" "BlockPublicPolicy refuses Principal *" \
  rootb secretsmanager put-resource-policy --secret-id shared/x --block-public-policy \
  --resource-policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
expect_err MalformedPolicyDocumentException "" "a malformed resource policy is refused" \
  rootb secretsmanager put-resource-policy --secret-id shared/x --resource-policy '{"Statement":'
expect_ok "validate-resource-policy" rootb secretsmanager validate-resource-policy --resource-policy "$RP"
[ "$(field "['PolicyValidationPassed']")" = "True" ] && ok "the policy validates" || bad "validation" "$OUT"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
