#!/usr/bin/env python3
"""Writes the seed corpora of the request_decoding, sigv4, policy and schedule targets.

    python3 fuzz/make_corpus.py        # from the repository root; rewrites those four dirs

Sources (see corpus/README.md):

- request_decoding: every request of AWS's Secrets Manager examples
  (../shared/api-models/secretsmanager.examples.json); for every operation of the five
  services, a request built from its model (../shared/api-models/<service>.json) with the
  required members only and with every member; `{}` / an empty form for each; and every
  awsQuery request string in Cofre's own tests (crates/**/*.rs).
- sigv4: AWS's SigV4 test-suite requests (crates/sigv4/tests/vectors/*/header-signed-request.txt)
  and the presigned-URL example of AWS's documentation.
- policy: every policy document written out in Cofre's tests and benches (raw strings that
  mention a Statement).
- schedule: every rate()/cron() expression of crates/core/src/rotation/schedule_tests.rs (with
  the Duration it is tested with, if any) and its AutomaticallyAfterDays values.

The first byte of a request_decoding input picks the operation in the order of the generated
`ALL` arrays (crates/api/src/generated/*.rs), read here; `tests/corpus.rs` checks that each
file's name still matches its first byte.
"""

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "api-models")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

# (service, generated file, model, protocol, X-Amz-Target prefix)
SERVICES = [
    ("secretsmanager", "secretsmanager.rs", "secretsmanager.json", "json", "secretsmanager."),
    ("kms", "kms.rs", "kms.json", "json", "TrentService."),
    ("cloudtrail", "cloudtrail.rs", "cloudtrail.json", "json",
     "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."),
    ("iam", "iam.rs", "iam.json", "query", None),
    ("sts", "sts.rs", "sts.json", "query", None),
]
API_VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}


def operation_order(generated):
    text = open(os.path.join(ROOT, "crates", "api", "src", "generated", generated)).read()
    for ty, body in re.findall(r"pub const ALL: \[(\w+); \d+\] = \[(.*?)\];", text, re.S):
        if ty.endswith("Operation"):
            return re.findall(r"\w+::(\w+)", body)
    raise SystemExit(f"no operation list in {generated}")


ARN = {
    "secretsmanager": "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
    "kms": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "cloudtrail": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
    "iam": "arn:aws:iam::111122223333:policy/ReadProd",
    "sts": "arn:aws:iam::111122223333:role/AppRole",
}
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                  "Action": "sts:AssumeRole"},
})
NAMED = {
    "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "DestinationKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "AliasName": "alias/ExampleAlias",
    "SecretId": "MyTestDatabaseSecret",
    "Name": "MyTestDatabaseSecret",
    "ClientRequestToken": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1",
    "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1",
    "UserName": "alice",
    "RoleName": "AppRole",
    "GroupName": "admins",
    "PolicyName": "ReadProd",
    "RoleSessionName": "session-1",
    "Path": "/",
    "PathPrefix": "/",
    "PolicyDocument": POLICY,
    "ResourcePolicy": POLICY,
    "Policy": POLICY,
    "AssumeRolePolicyDocument": TRUST,
    "PolicyArn": ARN["iam"],
    "RoleArn": ARN["sts"],
    "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "SerialNumber": "arn:aws:iam::111122223333:mfa/alice",
    "TokenCode": "123456",
    "Region": "us-west-2",
    "ScheduleExpression": "cron(0 16 1,15 * ? *)",
    "Duration": "2h",
    "Marker": "marker",
    "NextToken": "token",
}


def string_value(name, shape, service):
    if "enum" in shape:
        return shape["enum"][0]
    if name in NAMED:
        value = NAMED[name]
    elif name.endswith("Arn") or name.endswith("ARN"):
        value = ARN[service]
    else:
        value = "example"
    lo, hi = shape.get("min", 0), shape.get("max")
    if len(value) < lo:
        value += "a" * (lo - len(value))
    if hi is not None:
        value = value[:hi]
    return value


def synth(model, service, shape_name, name, full, depth=0):
    """A value of `shape_name` for member `name`, in plain Python types (blobs as bytes,
    timestamps as ("ts", epoch seconds))."""
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        if depth > 4:
            return {}
        wanted = shape["members"] if full else {m: shape["members"][m] for m in shape.get("required", [])}
        return {m: synth(model, service, spec["shape"], m, full, depth + 1) for m, spec in wanted.items()}
    if kind == "list":
        return [] if depth > 4 else [synth(model, service, shape["member"]["shape"], name, full, depth + 1)]
    if kind == "map":
        return {} if depth > 4 else {"key": synth(model, service, shape["value"]["shape"], name, full, depth + 1)}
    if kind == "string":
        return string_value(name, shape, service)
    if kind in ("integer", "long"):
        return max(1, shape.get("min", 1))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return ("ts", 1700000000)
    if kind == "blob":
        return b"\x01\x02\x03\x04"
    if kind in ("double", "float"):
        return 1.5
    raise SystemExit(f"unknown shape type {kind}")


def to_json(value):
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, tuple):
        return value[1]
    return value


def to_query(model, shape_name, value, prefix, out):
    """botocore's QuerySerializer."""
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        for member, v in value.items():
            spec = shape["members"][member]
            key = spec.get("locationName", member)
            to_query(model, spec["shape"], v, f"{prefix}.{key}" if prefix else key, out)
    elif kind == "list":
        if not value:
            out.append((prefix, ""))
        member = shape["member"]
        if shape.get("flattened"):
            base = prefix
        else:
            base = f"{prefix}.{member.get('locationName', 'member')}"
        for i, v in enumerate(value, 1):
            to_query(model, member["shape"], v, f"{base}.{i}", out)
    elif kind == "map":
        base = prefix if shape.get("flattened") else f"{prefix}.entry"
        kname = shape["key"].get("locationName", "key")
        vname = shape["value"].get("locationName", "value")
        for i, (k, v) in enumerate(value.items(), 1):
            out.append((f"{base}.{i}.{kname}", k))
            to_query(model, shape["value"]["shape"], v, f"{base}.{i}.{vname}", out)
    elif isinstance(value, bytes):
        out.append((prefix, base64.b64encode(value).decode()))
    elif isinstance(value, tuple):
        out.append((prefix, "2023-11-14T22:13:20Z"))
    elif isinstance(value, bool):
        out.append((prefix, "true" if value else "false"))
    else:
        out.append((prefix, str(value)))


def form(pairs):
    return "&".join(f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(str(v), safe='')}"
                    for k, v in pairs).encode()


def reset(name):
    path = os.path.join(CORPUS, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(directory, stem, data):
    digest = hashlib.sha1(data).hexdigest()[:8]
    with open(os.path.join(directory, f"{stem}-{digest}"), "wb") as f:
        f.write(data)


def rust_sources(*patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if "/target/" not in path and "/fuzz/" not in path:
                yield path, open(path, encoding="utf-8").read()


def request_decoding():
    out = reset("request_decoding")
    index = {}
    order = []
    for service, generated, *_ in SERVICES:
        for op in operation_order(generated):
            index[(service, op)] = len(order)
            order.append((service, op))
    raw = {service: len(order) + i for i, (service, *_) in enumerate(SERVICES)}

    examples = json.load(open(os.path.join(MODELS, "secretsmanager.examples.json")))["examples"]
    for op, cases in sorted(examples.items()):
        for case in cases:
            body = json.dumps(case.get("input", {}), separators=(",", ":")).encode()
            write(out, f"secretsmanager-{op}-example", bytes([index[("secretsmanager", op)]]) + body)

    for service, _, model_file, protocol, target in SERVICES:
        model = json.load(open(os.path.join(MODELS, model_file)))
        for op_service, op in order:
            if op_service != service:
                continue
            selector = bytes([index[(service, op)]])
            spec = model["operations"][op]
            input_shape = spec.get("input", {}).get("shape")
            variants = [{}]
            if input_shape:
                variants = [synth(model, service, input_shape, "", full) for full in (False, True)]
            for value in variants:
                if protocol == "json":
                    body = json.dumps(to_json(value), separators=(",", ":")).encode()
                else:
                    pairs = []
                    if input_shape:
                        to_query(model, input_shape, value, "", pairs)
                    body = form(pairs)
                write(out, f"{service}-{op}-model", selector + body)
            if protocol == "json":
                # Routed by its X-Amz-Target header, with the model's full request.
                write(out, f"{service}-raw-{op}",
                      bytes([raw[service]]) + f"{target}{op}\n".encode() + body)
            else:
                write(out, f"{service}-raw-{op}",
                      bytes([raw[service]]) + b"\n"
                      + form([("Action", op), ("Version", API_VERSIONS[service])]) + b"&" + body)

    # awsQuery request strings from Cofre's own tests, routed by their own Action.
    seen = set()
    for _, text in rust_sources("crates/**/*.rs"):
        for query in re.findall(r'"((?:[A-Za-z0-9._%~+-]+=[^"&\s]*&)*Action=[A-Za-z]+(?:&[^"\s]*)?)"', text):
            if "{" in query or query in seen:
                continue
            seen.add(query)
            action = re.search(r"Action=([A-Za-z]+)", query).group(1)
            service = "sts" if ("sts", action) in index else "iam"
            write(out, f"{service}-raw-tests", bytes([raw[service]]) + b"\n" + query.encode())
    print(f"request_decoding: {len(os.listdir(out))} files ({len(order)} operations)")


def sigv4():
    out = reset("sigv4")
    for path in sorted(glob.glob(os.path.join(ROOT, "crates/sigv4/tests/vectors/*/header-signed-request.txt"))):
        name = os.path.basename(os.path.dirname(path))
        write(out, f"suite-{name}", open(path, "rb").read())
    # AWS's documentation, "Authentication methods" / presigned URL example (IAM ListUsers).
    write(out, "docs-presigned",
          b"GET /?Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256"
          b"&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request"
          b"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=content-type%3Bhost"
          b"&X-Amz-Signature=37ac2f4fde00b0ac9bd9eadeb459b1bbee224158d66e7ae5fcadb70b2d181d02 HTTP/1.1\n"
          b"Host:iam.amazonaws.com\nContent-Type:application/x-www-form-urlencoded; charset=utf-8\n\n")
    print(f"sigv4: {len(os.listdir(out))} files")


def policy():
    out = reset("policy")
    seen = set()
    sources = rust_sources("crates/policy/tests/**/*.rs", "crates/policy/benches/*.rs",
                           "crates/policy/src/**/*.rs", "crates/core/src/**/*.rs",
                           "crates/cofre/tests/**/*.rs")
    for path, text in sources:
        stem = os.path.splitext(os.path.basename(path))[0]
        for doc in re.findall(r'r#"(.*?)"#', text, re.S):
            if "Statement" not in doc or "{{" in doc or doc in seen:
                continue
            seen.add(doc)
            write(out, f"{stem}", doc.encode())
    print(f"policy: {len(os.listdir(out))} files")


def schedule():
    out = reset("schedule")
    text = open(os.path.join(ROOT, "crates/core/src/rotation/schedule_tests.rs")).read()
    now = "n=1767225600000\nl=1697440682000\n"
    pairs = set()
    for expr, duration in re.findall(r'"((?:rate|cron)\([^"]*\))",\s*Some\("([^"]*)"\)', text):
        pairs.add((expr, duration))
    exprs = set(re.findall(r'"((?:rate|cron)\([^"]*\))"', text))
    for expr in sorted(exprs):
        write(out, "expr", f"e={expr}\n{now}".encode())
    for expr, duration in sorted(pairs):
        write(out, "expr-duration", f"e={expr}\nd={duration}\n{now}".encode())
    for days, duration in sorted(set(re.findall(r"after_days\((-?\d+),\s*(None|Some\(\"[^\"]*\"\))", text))):
        d = re.match(r'Some\("([^"]*)"\)', duration)
        write(out, "after-days", f"a={days}\n{'d=' + d.group(1) + chr(10) if d else ''}{now}".encode())
    print(f"schedule: {len(os.listdir(out))} files ({len(exprs)} expressions)")


if __name__ == "__main__":
    request_decoding()
    sigv4()
    policy()
    schedule()
