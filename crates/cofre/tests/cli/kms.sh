#!/usr/bin/env bash
# KMS through the real AWS CLI (`aws kms ...`), and Secrets Manager over a customer managed
# key: a secret under an alias stops reading while its key is disabled or pending deletion and
# reads again once it is back; on-demand rotation keeps old versions readable; a user needs
# kms:Decrypt on the key as well as secretsmanager:GetSecretValue. Also the wire shapes of
# DescribeKey, ListAliases and friends, Encrypt/Decrypt with an encryption context, and what
# Cofre refuses.
#
# Environment: COFRE_ENDPOINT, COFRE_ACCOUNT_ID, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the
# account root). Run by hand against any server:
#   COFRE_ENDPOINT=http://127.0.0.1:8080 COFRE_ACCOUNT_ID=123456789012 bash kms.sh
# Prints one line per check and `N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
: "${COFRE_ENDPOINT:?}" "${COFRE_ACCOUNT_ID:?}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_PAGER="" AWS_MAX_ATTEMPTS=1
A="$COFRE_ACCOUNT_ID"
R="$AWS_DEFAULT_REGION"
ROOT=("$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
PASS=0 FAIL=0 OUT="" ERR="" RC=0
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
printf x >"$TMP/x"

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; shift; printf '       %s\n' "$@"; }
# as KEY SECRET -- aws args...: runs the CLI with those credentials (JSON output).
as() {
  local id="$1" secret="$2"; shift 3
  set +e
  OUT=$(AWS_ACCESS_KEY_ID="$id" AWS_SECRET_ACCESS_KEY="$secret" \
        aws --endpoint-url "$COFRE_ENDPOINT" --output json "$@" 2>"$TMP/err")
  RC=$?
  set -e
  ERR=$(cat "$TMP/err")
}
root() { as "${ROOT[0]}" "${ROOT[1]}" -- "$@"; }
expect_ok() { local what="$1"; shift; "$@"; if [ "$RC" = 0 ]; then ok "$what"; else bad "$what" "rc=$RC" "$ERR"; fi; }
expect_err() { # expect_err CODE MESSAGE-SUBSTRING WHAT cmd...
  local code="$1" msg="$2" what="$3"; shift 3; "$@"
  if [ "$RC" != 0 ] && grep -q "($code)" <<<"$ERR" && grep -qF -- "$msg" <<<"$ERR"; then ok "$what"
  else bad "$what" "expected $code with '$msg', rc=$RC" "$ERR" "$OUT"; fi
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1" <<<"$OUT"; }
# check WHAT PYTHON-EXPRESSION: the expression must be true of the last output, `d` (and `m`,
# its KeyMetadata if any).
check() {
  if python3 -c "import json,sys; d=json.load(sys.stdin); m=d.get('KeyMetadata'); sys.exit(0 if eval('(' + sys.argv[1] + ')') else 1)" "$2" <<<"$OUT" 2>"$TMP/py"
  then ok "$1"; else bad "$1" "$2" "$OUT" "$(cat "$TMP/py")"; fi
}
b64d() { python3 -c "import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.stdin.read()))"; }

# --- a key, its metadata, an alias ------------------------------------------------------
# (The CLI pages list-* calls itself and drops Truncated/NextMarker from what it prints.)
expect_ok "create-key" root kms create-key --description "cofre app key" --tags TagKey=team,TagValue=payments
KEY_ID=$(field "['KeyMetadata']['KeyId']")
KEY_ARN="arn:aws:kms:$R:$A:key/$KEY_ID"
check "create-key: KeyMetadata has AWS's shape" "
  m['Arn'] == '$KEY_ARN' and m['AWSAccountId'] == '$A' and m['Enabled'] is True
  and m['KeyState'] == 'Enabled' and m['KeyUsage'] == 'ENCRYPT_DECRYPT' and m['KeySpec'] == 'SYMMETRIC_DEFAULT'
  and m['CustomerMasterKeySpec'] == 'SYMMETRIC_DEFAULT' and m['EncryptionAlgorithms'] == ['SYMMETRIC_DEFAULT']
  and m['Origin'] == 'AWS_KMS' and m['KeyManager'] == 'CUSTOMER' and m['MultiRegion'] is False
  and m['Description'] == 'cofre app key' and isinstance(m['CreationDate'], (int, float)) and 'DeletionDate' not in m"
expect_ok "create-alias alias/cofre-app" root kms create-alias --alias-name alias/cofre-app --target-key-id "$KEY_ID"
expect_ok "describe-key by alias" root kms describe-key --key-id alias/cofre-app
check "describe-key by alias names the key" "d['KeyMetadata']['KeyId'] == '$KEY_ID' and d['KeyMetadata']['Arn'] == '$KEY_ARN'"
expect_ok "describe-key by alias ARN" root kms describe-key --key-id "arn:aws:kms:$R:$A:alias/cofre-app"
check "describe-key by alias ARN names the key" "d['KeyMetadata']['KeyId'] == '$KEY_ID'"
expect_ok "list-aliases" root kms list-aliases
check "list-aliases: the alias with AWS's shape" "
  [a for a in d['Aliases'] if a['AliasName'] == 'alias/cofre-app' and a['AliasArn'] == 'arn:aws:kms:$R:$A:alias/cofre-app'
   and a['TargetKeyId'] == '$KEY_ID' and isinstance(a['CreationDate'], (int, float))
   and isinstance(a['LastUpdatedDate'], (int, float))]"
expect_ok "list-aliases --key-id" root kms list-aliases --key-id "$KEY_ID"
check "list-aliases --key-id: only that key's alias" "[a['AliasName'] for a in d['Aliases']] == ['alias/cofre-app']"
expect_ok "list-keys" root kms list-keys
check "list-keys lists the key" "{'KeyId': '$KEY_ID', 'KeyArn': '$KEY_ARN'} in d['Keys']"
expect_ok "list-resource-tags" root kms list-resource-tags --key-id "$KEY_ID"
check "the key's tags" "d['Tags'] == [{'TagKey': 'team', 'TagValue': 'payments'}]"
expect_ok "list-key-policies" root kms list-key-policies --key-id "$KEY_ID"
check "one policy, named default" "d['PolicyNames'] == ['default']"
expect_ok "get-key-policy" root kms get-key-policy --key-id "$KEY_ID" --policy-name default
check "the default key policy delegates to the account" "
  any(s.get('Principal', {}).get('AWS') == 'arn:aws:iam::$A:root' for s in json.loads(d['Policy'])['Statement'])"

# --- a secret under the alias -----------------------------------------------------------
expect_ok "create-secret under alias/cofre-app" root secretsmanager create-secret --name app/db \
  --kms-key-id alias/cofre-app --secret-string v1
SECRET_ARN=$(field "['ARN']")
expect_ok "describe-secret" root secretsmanager describe-secret --secret-id app/db
check "describe-secret names the key" "d.get('KmsKeyId') in ('alias/cofre-app', 'arn:aws:kms:$R:$A:alias/cofre-app', '$KEY_ARN', '$KEY_ID')"
expect_ok "get-secret-value" root secretsmanager get-secret-value --secret-id app/db
[ "$(field "['SecretString']")" = v1 ] && ok "the value reads back" || bad "value" "$OUT"

# --- disabled: the secret does not read ---------------------------------------------------
expect_ok "disable-key" root kms disable-key --key-id alias/cofre-app
expect_ok "describe-key after disable" root kms describe-key --key-id "$KEY_ID"
check "disabled key's metadata" "d['KeyMetadata']['Enabled'] is False and d['KeyMetadata']['KeyState'] == 'Disabled'"
expect_err DecryptionFailure "" "get-secret-value fails while the key is disabled" \
  root secretsmanager get-secret-value --secret-id app/db
expect_err DisabledException "$KEY_ARN is disabled." "encrypt refuses a disabled key" \
  root kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/x"
expect_ok "enable-key" root kms enable-key --key-id "$KEY_ID"
expect_ok "get-secret-value after enable" root secretsmanager get-secret-value --secret-id app/db
[ "$(field "['SecretString']")" = v1 ] && ok "the value reads again" || bad "value after enable" "$OUT"

# --- rotation on demand: old versions still open, new ones use the new material ----------
printf 'before rotation' >"$TMP/pt-before"
expect_ok "encrypt before rotation" root kms encrypt --key-id alias/cofre-app --plaintext "fileb://$TMP/pt-before"
field "['CiphertextBlob']" | b64d >"$TMP/ct-before"
expect_ok "rotate-key-on-demand" root kms rotate-key-on-demand --key-id alias/cofre-app
check "rotate-key-on-demand answers the key id" "d['KeyId'] == '$KEY_ID'"
expect_ok "put-secret-value v2" root secretsmanager put-secret-value --secret-id app/db --secret-string v2
expect_ok "get-secret-value (new version)" root secretsmanager get-secret-value --secret-id app/db
[ "$(field "['SecretString']")" = v2 ] && ok "v2 reads" || bad "v2" "$OUT"
expect_ok "get-secret-value AWSPREVIOUS" root secretsmanager get-secret-value --secret-id app/db --version-stage AWSPREVIOUS
[ "$(field "['SecretString']")" = v1 ] && ok "v1 (sealed before rotation) still reads" || bad "v1 after rotation" "$OUT"
expect_ok "list-secret-version-ids" root secretsmanager list-secret-version-ids --secret-id app/db
check "both versions are under the key" "
  len(d['Versions']) == 2 and all(set(v.get('KmsKeyIds', [])) & {'$KEY_ARN', '$KEY_ID', 'alias/cofre-app', 'arn:aws:kms:$R:$A:alias/cofre-app'} for v in d['Versions'])"
expect_ok "decrypt data encrypted before rotation" root kms decrypt --ciphertext-blob "fileb://$TMP/ct-before"
[ "$(field "['Plaintext']" | b64d)" = "before rotation" ] && ok "old ciphertext decrypts after rotation" || bad "old ciphertext" "$OUT"
check "decrypt names the key" "d['KeyId'] == '$KEY_ARN' and d['EncryptionAlgorithm'] == 'SYMMETRIC_DEFAULT'"
expect_ok "encrypt after rotation" root kms encrypt --key-id alias/cofre-app --plaintext "fileb://$TMP/pt-before"
field "['CiphertextBlob']" | b64d >"$TMP/ct-after"
cmp -s "$TMP/ct-before" "$TMP/ct-after" && bad "new ciphertext differs" || ok "new ciphertext differs"
expect_ok "decrypt data encrypted after rotation" root kms decrypt --ciphertext-blob "fileb://$TMP/ct-after"
[ "$(field "['Plaintext']" | b64d)" = "before rotation" ] && ok "new ciphertext decrypts" || bad "new ciphertext" "$OUT"

# --- pending deletion: the secret does not read; cancelled (and enabled) it does ---------
expect_ok "schedule-key-deletion" root kms schedule-key-deletion --key-id "$KEY_ID" --pending-window-in-days 7
check "schedule-key-deletion's answer" "d['KeyId'] == '$KEY_ARN' and d['KeyState'] == 'PendingDeletion'
  and d['PendingWindowInDays'] == 7 and isinstance(d['DeletionDate'], (int, float))"
expect_ok "describe-key while pending deletion" root kms describe-key --key-id alias/cofre-app
check "pending-deletion metadata" "m['KeyState'] == 'PendingDeletion' and m['Enabled'] is False
  and m['PendingDeletionWindowInDays'] == 7 and isinstance(m['DeletionDate'], (int, float))"
expect_err DecryptionFailure "" "get-secret-value fails while the key is pending deletion" \
  root secretsmanager get-secret-value --secret-id app/db
expect_err KMSInvalidStateException "$KEY_ARN is pending deletion." "encrypt refuses a key pending deletion" \
  root kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/x"
expect_ok "cancel-key-deletion" root kms cancel-key-deletion --key-id "$KEY_ID"
check "cancel-key-deletion answers the key ARN" "d['KeyId'] == '$KEY_ARN'"
expect_ok "describe-key after cancel" root kms describe-key --key-id "$KEY_ID"
check "a cancelled key is disabled" "d['KeyMetadata']['KeyState'] == 'Disabled' and 'DeletionDate' not in d['KeyMetadata']"
expect_ok "enable-key after cancel" root kms enable-key --key-id "$KEY_ID"
expect_ok "get-secret-value after cancel + enable" root secretsmanager get-secret-value --secret-id app/db
[ "$(field "['SecretString']")" = v2 ] && ok "the secret reads again" || bad "value after cancel" "$OUT"

# --- encrypt/decrypt with an encryption context -----------------------------------------
printf 'attack at dawn' >"$TMP/pt"
expect_ok "encrypt with a context" root kms encrypt --key-id alias/cofre-app --plaintext "fileb://$TMP/pt" \
  --encryption-context purpose=test,app=cofre
check "encrypt's answer" "d['KeyId'] == '$KEY_ARN' and d['EncryptionAlgorithm'] == 'SYMMETRIC_DEFAULT'"
field "['CiphertextBlob']" | b64d >"$TMP/ct"
expect_ok "decrypt with the context" root kms decrypt --ciphertext-blob "fileb://$TMP/ct" --encryption-context app=cofre,purpose=test
[ "$(field "['Plaintext']" | b64d)" = "attack at dawn" ] && ok "round trip" || bad "round trip" "$OUT"
expect_err InvalidCiphertextException "" "decrypt with another context fails" \
  root kms decrypt --ciphertext-blob "fileb://$TMP/ct" --encryption-context purpose=other,app=cofre
expect_err InvalidCiphertextException "" "decrypt without the context fails" \
  root kms decrypt --ciphertext-blob "fileb://$TMP/ct"
expect_ok "generate-data-key AES_256" root kms generate-data-key --key-id alias/cofre-app --key-spec AES_256
field "['Plaintext']" | b64d >"$TMP/dk"
field "['CiphertextBlob']" | b64d >"$TMP/dk.ct"
[ "$(wc -c <"$TMP/dk")" = 32 ] && ok "a 32-byte data key" || bad "data key length" "$OUT"
expect_ok "decrypt the data key" root kms decrypt --ciphertext-blob "fileb://$TMP/dk.ct" --key-id "$KEY_ID"
field "['Plaintext']" | b64d >"$TMP/dk2"
cmp -s "$TMP/dk" "$TMP/dk2" && ok "the data key decrypts to itself" || bad "data key round trip" "$OUT"

# --- a user needs kms:Decrypt on the key, not only GetSecretValue --------------------------
expect_ok "create user reader" root iam create-user --user-name reader
expect_ok "reader may GetSecretValue" root iam put-user-policy --user-name reader --policy-name read \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
expect_ok "create-access-key for reader" root iam create-access-key --user-name reader
READER=("$(field "['AccessKey']['AccessKeyId']")" "$(field "['AccessKey']['SecretAccessKey']")")
reader() { as "${READER[0]}" "${READER[1]}" -- "$@"; }
expect_err AccessDeniedException "" "without kms:Decrypt, reader cannot read the secret" \
  reader secretsmanager get-secret-value --secret-id app/db
expect_err AccessDeniedException "is not authorized to perform: kms:Decrypt" "nor decrypt with the key" \
  reader kms decrypt --ciphertext-blob "fileb://$TMP/ct" --encryption-context app=cofre,purpose=test
expect_ok "grant reader kms:Decrypt on the key" root iam put-user-policy --user-name reader --policy-name decrypt \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"'"$KEY_ARN"'"}]}'
expect_ok "with kms:Decrypt, reader reads the secret" reader secretsmanager get-secret-value --secret-id app/db
[ "$(field "['SecretString']")" = v2 ] && ok "reader got the value" || bad "reader's value" "$OUT"
expect_err AccessDeniedException "is not authorized to perform: kms:DescribeKey" "reader may not describe the key" \
  reader kms describe-key --key-id "$KEY_ID"
expect_err AccessDeniedException "kms:DescribeKey" "nor learn whether a key exists" \
  reader kms describe-key --key-id 00000000-0000-4000-8000-000000000000

# --- what Cofre refuses, and AWS's errors ---------------------------------------------------
expect_err NotFoundException "does not exist" "describe-key of a missing key" \
  root kms describe-key --key-id 00000000-0000-4000-8000-000000000000
expect_err NotFoundException "alias/nothing" "describe-key of a missing alias" root kms describe-key --key-id alias/nothing
expect_err AlreadyExistsException "" "create-alias twice" \
  root kms create-alias --alias-name alias/cofre-app --target-key-id "$KEY_ID"
expect_err UnsupportedOperationException "RSA_2048" "create-key refuses asymmetric keys" \
  root kms create-key --key-spec RSA_2048 --key-usage ENCRYPT_DECRYPT
expect_err UnsupportedOperationException "Cofre does not support Sign yet." "unimplemented operations say so" \
  root kms sign --key-id "$KEY_ID" --message "fileb://$TMP/x" --signing-algorithm RSASSA_PSS_SHA_256
expect_err ValidationException "" "generate-data-key needs a length" root kms generate-data-key --key-id "$KEY_ID"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
