#!/usr/bin/env python3
"""boto3 smoke test for Cofre.

Drives Cofre through boto3 (botocore's own serializer, signer, paginators and error
parsing) and checks the answers.

Environment:
    COFRE_ENDPOINT         server URL, e.g. http://127.0.0.1:8700 (required)
    AWS_ACCESS_KEY_ID      credentials the server knows (required)
    AWS_SECRET_ACCESS_KEY
    AWS_DEFAULT_REGION     defaults to us-east-1
    COFRE_ACCOUNT_ID       optional: the account the ARNs must name

Prints one line per check and a final `N passed, M failed`; exits non-zero on any failure.
Run by crates/cofre/tests/cli.rs against a fresh server; safe against any server (every
name carries a unique prefix).
"""

import datetime
import os
import re
import sys
import time
import traceback
import uuid

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - reported by cli.rs as well
    print("boto3 is not installed: pip install boto3", file=sys.stderr)
    sys.exit(2)

ENDPOINT = os.environ.get("COFRE_ENDPOINT")
if not ENDPOINT:
    print("set COFRE_ENDPOINT to the server URL, e.g. http://127.0.0.1:8700", file=sys.stderr)
    sys.exit(2)
REGION = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
OTHER_REGION = "eu-west-1"
ACCOUNT = os.environ.get("COFRE_ACCOUNT_ID") or r"\d{12}"
PFX = "boto3-%d-%d-%s" % (int(time.time()), os.getpid(), uuid.uuid4().hex[:6])

PASSED = 0
FAILED = 0


def ok(desc):
    global PASSED
    PASSED += 1
    print("ok   - %s" % desc)


def fail(desc, detail=""):
    global FAILED
    FAILED += 1
    print("FAIL - %s" % desc)
    if detail:
        for line in str(detail).splitlines():
            print("       %s" % line)


def check(desc, cond, detail=""):
    if cond:
        ok(desc)
    else:
        fail(desc, detail)
    return cond


def attempt(desc, fn, *args, **kwargs):
    """Calls fn; counts a check that it succeeded; returns its result (None on failure)."""
    try:
        out = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        fail(desc, describe(e))
        return None
    ok(desc)
    return out


def expect_error(desc, codes, fn, *args, **kwargs):
    """Calls fn, which must raise ClientError with one of `codes`; returns the error."""
    if isinstance(codes, str):
        codes = (codes,)
    try:
        out = fn(*args, **kwargs)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in codes and status is not None and 400 <= status < 500:
            ok(desc)
        else:
            fail(desc, "expected %s (4xx), got %s (HTTP %s): %s" % ("|".join(codes), code, status, e))
        return e
    except Exception as e:  # noqa: BLE001
        fail(desc, "expected ClientError %s, got %s" % ("|".join(codes), describe(e)))
        return None
    fail(desc, "expected ClientError %s, got success: %r" % ("|".join(codes), out))
    return None


def describe(e):
    if isinstance(e, ClientError):
        return "%s: %s" % (e.response.get("Error", {}).get("Code"), e)
    return "".join(traceback.format_exception_only(type(e), e)).strip()


def arn_ok(arn, name, region=REGION):
    pattern = r"arn:aws:secretsmanager:%s:%s:secret:%s-[A-Za-z0-9]{6}" % (
        re.escape(region),
        ACCOUNT,
        re.escape(name),
    )
    return re.fullmatch(pattern, arn or "") is not None


def near_now(t, slack=300):
    return (
        isinstance(t, datetime.datetime)
        and t.tzinfo is not None
        and abs(t.timestamp() - time.time()) < slack
    )


def client(region=REGION):
    return boto3.session.Session().client(
        "secretsmanager",
        endpoint_url=ENDPOINT,
        region_name=region,
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def main():
    sm = client()

    # --- create / get / put / describe ---------------------------------------------------
    name = PFX + "/app/db"
    created = attempt(
        "create_secret",
        sm.create_secret,
        Name=name,
        Description="first",
        SecretString='{"user":"admin"}',
        Tags=[{"Key": "env", "Value": "test"}],
    )
    if created is None:
        return
    check("create_secret returns an ARN of the AWS form", arn_ok(created["ARN"], name), created)
    check("create_secret returns the name", created["Name"] == name, created)
    v1 = created.get("VersionId", "")
    check("create_secret returns a version id", len(v1) >= 32, created)
    meta = created["ResponseMetadata"]
    check("responses carry a request id (x-amzn-RequestId)", bool(meta.get("RequestId")), meta)
    check(
        "responses are application/x-amz-json-1.1",
        meta.get("HTTPHeaders", {}).get("content-type", "").startswith("application/x-amz-json-1.1"),
        meta,
    )

    got = attempt("get_secret_value", sm.get_secret_value, SecretId=name)
    if got:
        check(
            "get_secret_value returns the value and AWSCURRENT",
            got["SecretString"] == '{"user":"admin"}'
            and got["VersionId"] == v1
            and got["VersionStages"] == ["AWSCURRENT"]
            and got["ARN"] == created["ARN"],
            got,
        )
        check("CreatedDate parses as a timestamp near now", near_now(got.get("CreatedDate")), got)
        check("get_secret_value has no SecretBinary for a string secret", "SecretBinary" not in got, got)
    got = attempt("get_secret_value by ARN", sm.get_secret_value, SecretId=created["ARN"])
    if got:
        check("... returns the same secret", got["Name"] == name, got)

    put = attempt("put_secret_value", sm.put_secret_value, SecretId=name, SecretString="second")
    v2 = put["VersionId"] if put else ""
    if put:
        check("put_secret_value makes the version AWSCURRENT", "AWSCURRENT" in put["VersionStages"], put)
    got = attempt("get_secret_value AWSPREVIOUS", sm.get_secret_value, SecretId=name, VersionStage="AWSPREVIOUS")
    if got:
        check("AWSPREVIOUS is the first value", got["SecretString"] == '{"user":"admin"}' and got["VersionId"] == v1, got)
    desc = attempt("describe_secret", sm.describe_secret, SecretId=name)
    if desc:
        check(
            "describe_secret reports stages, description and tags",
            desc["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
            and desc["Description"] == "first"
            and desc["Tags"] == [{"Key": "env", "Value": "test"}],
            desc,
        )
        check(
            "describe_secret dates are timestamps",
            near_now(desc.get("CreatedDate")) and near_now(desc.get("LastChangedDate")),
            desc,
        )

    # --- errors --------------------------------------------------------------------------
    err = expect_error("get_secret_value of a missing secret", "ResourceNotFoundException",
                       sm.get_secret_value, SecretId=PFX + "/missing")
    if err is not None:
        check(
            "... with AWS's message",
            "Secrets Manager can't find the specified secret" in err.response["Error"].get("Message", ""),
            err,
        )
    try:
        sm.describe_secret(SecretId=PFX + "/missing")
        fail("the modelled exception class catches not-found", "no error")
    except sm.exceptions.ResourceNotFoundException:
        ok("the modelled exception class catches not-found")
    except Exception as e:  # noqa: BLE001
        fail("the modelled exception class catches not-found", describe(e))
    expect_error("create_secret on an existing name", "ResourceExistsException",
                 sm.create_secret, Name=name, SecretString="x")
    expect_error("delete_secret RecoveryWindowInDays=3", "InvalidParameterException",
                 sm.delete_secret, SecretId=name, RecoveryWindowInDays=3)
    expect_error("delete_secret RecoveryWindowInDays=31", "InvalidParameterException",
                 sm.delete_secret, SecretId=name, RecoveryWindowInDays=31)
    expect_error("delete_secret with ForceDeleteWithoutRecovery and a window", "InvalidParameterException",
                 sm.delete_secret, SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    expect_error("create_secret with both SecretString and SecretBinary", "InvalidParameterException",
                 sm.create_secret, Name=PFX + "-both", SecretString="a", SecretBinary=b"b")
    expect_error("list_secrets with a garbage NextToken",
                 ("InvalidNextTokenException", "InvalidParameterException", "ValidationException"),
                 sm.list_secrets, NextToken="not-a-token")
    secret_marker = "BOTO3-MARKER-" + uuid.uuid4().hex
    err = expect_error("put_secret_value on a missing secret", "ResourceNotFoundException",
                       sm.put_secret_value, SecretId=PFX + "/missing", SecretString=secret_marker)
    if err is not None:
        check("... and the error does not echo the value", secret_marker not in str(err.response), err.response)
    err = expect_error("rotate_secret without a rotation function", "InvalidRequestException",
                       sm.rotate_secret, SecretId=name)
    if err is not None:
        check("... saying so", "No Lambda rotation function" in err.response["Error"].get("Message", ""), err)

    # --- secret without a value ----------------------------------------------------------
    empty = attempt("create_secret without a value", sm.create_secret, Name=PFX + "-empty")
    if empty:
        check("... returns no VersionId", "VersionId" not in empty, empty)
        expect_error("get_secret_value of a secret without a value", "ResourceNotFoundException",
                     sm.get_secret_value, SecretId=PFX + "-empty")

    # --- binary --------------------------------------------------------------------------
    blob = bytes(range(256)) * 4 + b"\x00\xff\xfe"
    bname = PFX + "-binary"
    if attempt("create_secret with SecretBinary", sm.create_secret, Name=bname, SecretBinary=blob):
        got = attempt("get_secret_value of a binary secret", sm.get_secret_value, SecretId=bname)
        if got:
            check("SecretBinary round-trips byte for byte",
                  got.get("SecretBinary") == blob and "SecretString" not in got, got)
        attempt("put_secret_value with SecretBinary", sm.put_secret_value, SecretId=bname, SecretBinary=b"\x00")
        got = attempt("get_secret_value after the binary put", sm.get_secret_value, SecretId=bname)
        if got:
            check("the new binary value is returned", got.get("SecretBinary") == b"\x00", got)

    # --- idempotency tokens --------------------------------------------------------------
    tname = PFX + "-token"
    token = str(uuid.uuid4())
    first = attempt("create_secret with a ClientRequestToken", sm.create_secret,
                    Name=tname, SecretString="v", ClientRequestToken=token)
    again = attempt("create_secret retried with the same token and value", sm.create_secret,
                    Name=tname, SecretString="v", ClientRequestToken=token)
    if first and again:
        check("the token is the VersionId and the retry returns the same one",
              first["VersionId"] == token and again["VersionId"] == token and again["ARN"] == first["ARN"],
              (first, again))
    expect_error("create_secret with the same token and another value", "ResourceExistsException",
                 sm.create_secret, Name=tname, SecretString="w", ClientRequestToken=token)
    expect_error("create_secret with another token on an existing name", "ResourceExistsException",
                 sm.create_secret, Name=tname, SecretString="v", ClientRequestToken=str(uuid.uuid4()))
    token2 = str(uuid.uuid4())
    p1 = attempt("put_secret_value with a ClientRequestToken", sm.put_secret_value,
                 SecretId=tname, SecretString="v2", ClientRequestToken=token2)
    p2 = attempt("put_secret_value retried with the same token and value", sm.put_secret_value,
                 SecretId=tname, SecretString="v2", ClientRequestToken=token2)
    if p1 and p2:
        check("the put retry returns the same VersionId",
              p1["VersionId"] == token2 and p2["VersionId"] == token2, (p1, p2))
    expect_error("put_secret_value with the same token and another value", "ResourceExistsException",
                 sm.put_secret_value, SecretId=tname, SecretString="v3", ClientRequestToken=token2)
    got = attempt("get_secret_value after the token checks", sm.get_secret_value, SecretId=tname)
    if got:
        check("the refused put changed nothing", got["SecretString"] == "v2" and got["VersionId"] == token2, got)

    # --- list_secrets pagination ---------------------------------------------------------
    page_names = sorted("%s-page-%02d" % (PFX, i) for i in range(7))
    for n in page_names:
        attempt("create_secret %s" % n, sm.create_secret, Name=n, SecretString="value-" + n[-2:])
    flt = [{"Key": "name", "Values": [PFX + "-page-"]}]
    paginator = sm.get_paginator("list_secrets")
    try:
        pages = list(paginator.paginate(Filters=flt, PaginationConfig={"PageSize": 2}))
        seen = [s["Name"] for p in pages for s in p["SecretList"]]
        check("the list_secrets paginator crosses more than 2 pages (%d)" % len(pages), len(pages) >= 4, pages)
        check("every page holds at most MaxResults entries",
              all(len(p["SecretList"]) <= 2 for p in pages), [len(p["SecretList"]) for p in pages])
        check("the pages hold every secret exactly once", sorted(seen) == page_names, seen)
        check("listed secrets carry ARNs and dates",
              all(arn_ok(s["ARN"], s["Name"]) and near_now(s.get("CreatedDate"))
                  for p in pages for s in p["SecretList"]), pages)
    except Exception as e:  # noqa: BLE001
        fail("the list_secrets paginator", describe(e))
    try:
        part = paginator.paginate(Filters=flt, PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()
        rest = paginator.paginate(
            Filters=flt, PaginationConfig={"PageSize": 2, "MaxItems": 10, "StartingToken": part.get("NextToken")}
        ).build_full_result()
        first3 = [s["Name"] for s in part["SecretList"]]
        check("MaxItems=3 stops after 3 with a NextToken", len(first3) == 3 and part.get("NextToken"), part)
        check("StartingToken resumes where MaxItems stopped",
              sorted(first3 + [s["Name"] for s in rest["SecretList"]]) == page_names, (part, rest))
    except Exception as e:  # noqa: BLE001
        fail("paginating with MaxItems and StartingToken", describe(e))
    manual, token, rounds = [], None, 0
    try:
        while rounds < 10:
            kwargs = {"Filters": flt, "MaxResults": 3}
            if token:
                kwargs["NextToken"] = token
            page = sm.list_secrets(**kwargs)
            manual += [s["Name"] for s in page["SecretList"]]
            token = page.get("NextToken")
            rounds += 1
            if not token:
                break
        check("manual MaxResults/NextToken paging visits every secret once (%d pages)" % rounds,
              sorted(manual) == page_names and rounds >= 3, manual)
    except Exception as e:  # noqa: BLE001
        fail("manual list_secrets paging", describe(e))
    listed = attempt("list_secrets with a name and a tag-key filter", sm.list_secrets,
                     Filters=[{"Key": "name", "Values": [PFX]}, {"Key": "tag-key", "Values": ["env"]}])
    if listed:
        check("... finds only the tagged secret", [s["Name"] for s in listed["SecretList"]] == [name], listed)
    expect_error("list_secrets MaxResults=500", "ValidationException", sm.list_secrets, MaxResults=500)

    # --- batch_get_secret_value ----------------------------------------------------------
    batch = attempt("batch_get_secret_value by ids", sm.batch_get_secret_value,
                    SecretIdList=[name, bname, PFX + "/missing"])
    if batch:
        values = {v["Name"]: v for v in batch["SecretValues"]}
        check("batch_get returns string and binary values",
              values.get(name, {}).get("SecretString") == "second"
              and values.get(bname, {}).get("SecretBinary") == b"\x00", batch)
        check("batch_get reports the missing id",
              [(e["SecretId"], e["ErrorCode"]) for e in batch["Errors"]]
              == [(PFX + "/missing", "ResourceNotFoundException")], batch)
    batch = attempt("batch_get_secret_value by filter", sm.batch_get_secret_value, Filters=flt)
    if batch:
        check("batch_get with a filter returns the matching values",
              sorted(v["Name"] for v in batch["SecretValues"]) == page_names
              and all(v["SecretString"] == "value-" + v["Name"][-2:] for v in batch["SecretValues"]), batch)

    # --- random passwords ----------------------------------------------------------------
    pw = attempt("get_random_password", sm.get_random_password, PasswordLength=64,
                 ExcludeCharacters="abcXYZ019", RequireEachIncludedType=True)
    if pw:
        p = pw["RandomPassword"]
        check("the password has the length and none of the excluded characters",
              len(p) == 64 and not set(p) & set("abcXYZ019"), p)
        check("the password has every character type",
              any(c.islower() for c in p) and any(c.isupper() for c in p)
              and any(c.isdigit() for c in p) and any(not c.isalnum() for c in p), p)
    pw = attempt("get_random_password with IncludeSpace and no punctuation", sm.get_random_password,
                 PasswordLength=200, IncludeSpace=True, ExcludePunctuation=True)
    if pw:
        p = pw["RandomPassword"]
        check("... only letters, digits and spaces", len(p) == 200 and all(c.isalnum() or c == " " for c in p), p)

    # --- regions are namespaces -----------------------------------------------------------
    other = client(OTHER_REGION)
    expect_error("a secret is not visible from another region", "ResourceNotFoundException",
                 other.get_secret_value, SecretId=name)
    made = attempt("the same name can be created in another region", other.create_secret,
                   Name=name, SecretString="elsewhere")
    if made:
        check("... with an ARN in that region", arn_ok(made["ARN"], name, OTHER_REGION), made)
        got = attempt("get_secret_value in the first region", sm.get_secret_value, SecretId=name)
        if got:
            check("... still returns the first region's value", got["SecretString"] == "second", got)

    # --- delete / restore ----------------------------------------------------------------
    dname = PFX + "-deleted"
    attempt("create_secret to delete", sm.create_secret, Name=dname, SecretString="doomed")
    deleted = attempt("delete_secret with a 7-day window", sm.delete_secret, SecretId=dname, RecoveryWindowInDays=7)
    if deleted:
        dd = deleted.get("DeletionDate")
        check("DeletionDate is 7 days away",
              isinstance(dd, datetime.datetime) and abs(dd.timestamp() - time.time() - 7 * 86400) < 3600, deleted)
    expect_error("get_secret_value of a deleted secret", "InvalidRequestException",
                 sm.get_secret_value, SecretId=dname)
    attempt("restore_secret", sm.restore_secret, SecretId=dname)
    got = attempt("get_secret_value after restore", sm.get_secret_value, SecretId=dname)
    if got:
        check("... returns the value", got["SecretString"] == "doomed", got)
    attempt("delete_secret ForceDeleteWithoutRecovery", sm.delete_secret, SecretId=dname,
            ForceDeleteWithoutRecovery=True)
    expect_error("get_secret_value after a forced deletion", "ResourceNotFoundException",
                 sm.get_secret_value, SecretId=dname)


if __name__ == "__main__":
    print("# boto3 %s, endpoint %s, region %s" % (boto3.__version__, ENDPOINT, REGION))
    try:
        main()
    except Exception:  # noqa: BLE001 - an unexpected crash is a failure, with its traceback
        fail("unexpected exception", traceback.format_exc())
    print("%d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)
