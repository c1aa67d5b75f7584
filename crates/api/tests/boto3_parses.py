#!/usr/bin/env python3
"""Cross-checks Cofre's awsQuery wire format against botocore (boto3's core), with the
real IAM and STS service models botocore ships.

Run by crates/api/tests/query_boto3.rs; two modes:

    boto3_parses.py serialize OUT.json
        botocore's QuerySerializer encodes a fixed set of requests; writes
        [{"service", "operation", "body"}] for the Rust side to decode.

    boto3_parses.py parse CASES_DIR
        reads CASES_DIR/cases.json, written by the Rust side:
        [{"service", "operation", "status", "file", "request_id",
          "expected": {...} | null, "error": {"Code", "Message", "Type"} | null}]
        and parses each CASES_DIR/<file> with botocore's QueryParser against the
        operation's output shape, comparing with "expected" (timestamps as ISO 8601
        strings with offset) or, for an error status, with "error".

Exit status 0 when everything matches, 1 on a mismatch, 2 when botocore is missing.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

try:
    import botocore.parsers
    import botocore.serialize
    import botocore.session
except ImportError as e:  # pragma: no cover - environment check
    print(
        f"boto3_parses.py: botocore is not importable ({e}); install boto3 with "
        "`python3 -m pip install boto3` to run the boto3 compatibility test.",
        file=sys.stderr,
    )
    sys.exit(2)

SESSION = botocore.session.get_session()
MODELS: dict = {}


def model(service: str):
    if service not in MODELS:
        MODELS[service] = SESSION.get_service_model(service)
    return MODELS[service]


# Requests botocore serializes for the Rust side (client-side validation is bypassed:
# the serializer is used directly, as the client would after validating).
REQUESTS = [
    ("iam", "CreateUser", {
        "UserName": "alice",
        "Path": "/eng/",
        "PermissionsBoundary": "arn:aws:iam::123456789012:policy/boundary",
        "Tags": [{"Key": "team", "Value": "infra + ops"}, {"Key": "Équipe", "Value": "東京 1"}],
    }),
    ("iam", "UntagRole", {"RoleName": "deployer", "TagKeys": []}),
    ("iam", "ListPolicies", {
        "Scope": "Local", "OnlyAttached": True, "MaxItems": 5,
        "PolicyUsageFilter": "PermissionsBoundary", "PathPrefix": "/a/",
    }),
    ("iam", "PutUserPolicy", {
        "UserName": "alice", "PolicyName": "p",
        "PolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    }),
    ("sts", "AssumeRole", {
        "RoleArn": "arn:aws:iam::123456789012:role/demo",
        "RoleSessionName": "testAR",
        "PolicyArns": [{"arn": "arn:aws:iam::123456789012:policy/demopolicy1"},
                       {"arn": "arn:aws:iam::123456789012:policy/demopolicy2"}],
        "DurationSeconds": 3600,
        "Tags": [{"Key": "Project", "Value": "Pegasus"}, {"Key": "Cost-Center", "Value": "12345"}],
        "TransitiveTagKeys": ["Project", "Cost-Center"],
        "ExternalId": "123ABC",
        "ProvidedContexts": [{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter",
                              "ContextAssertion": "abcd+/="}],
    }),
    ("sts", "GetCallerIdentity", {}),
]


def serialize(out: Path) -> int:
    result = []
    for service, operation, params in REQUESTS:
        m = model(service)
        serializer = botocore.serialize.create_serializer(m.metadata["protocol"])
        request = serializer.serialize_to_request(params, m.operation_model(operation))
        body = request["body"]
        if isinstance(body, dict):
            # botocore's AWSRequest encodes a dict body this way.
            from urllib.parse import urlencode
            body = urlencode(body, doseq=True)
        result.append({"service": service, "operation": operation, "body": body,
                       "content_type": request["headers"].get("Content-Type")})
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"boto3_parses.py: serialized {len(result)} requests with botocore {botocore.__version__}")
    return 0


def normalize(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def prune(expected, shape, path: str, dropped: list[str]):
    """`expected` without the members this botocore's (possibly older) model lacks."""
    if shape is None:
        return expected
    if shape.type_name == "structure" and isinstance(expected, dict):
        out = {}
        for key, value in expected.items():
            if key in shape.members:
                out[key] = prune(value, shape.members[key], f"{path}.{key}", dropped)
            else:
                dropped.append(f"{path}.{key}")
        return out
    if shape.type_name == "list" and isinstance(expected, list):
        return [prune(v, shape.member, f"{path}[]", dropped) for v in expected]
    return expected


def parse(cases_dir: Path) -> int:
    cases = json.loads((cases_dir / "cases.json").read_text())
    failures = 0
    for case in cases:
        m = model(case["service"])
        op = m.operation_model(case["operation"])
        parser = botocore.parsers.create_parser(m.metadata["protocol"])
        body = (cases_dir / case["file"]).read_bytes()
        response = {"body": body, "headers": {"x-amzn-requestid": case["request_id"]},
                    "status_code": case["status"]}
        label = f"{case['service']}:{case['operation']} ({case['file']}, HTTP {case['status']})"
        try:
            parsed = normalize(parser.parse(response, op.output_shape))
        except Exception as e:  # noqa: BLE001 - report any parser failure as a mismatch
            print(f"FAIL {label}: botocore could not parse the body: {e!r}")
            failures += 1
            continue
        metadata = parsed.pop("ResponseMetadata", {})
        problems = []
        if metadata.get("RequestId") != case["request_id"]:
            problems.append(f"RequestId {metadata.get('RequestId')!r} != {case['request_id']!r}")
        if case.get("error") is not None:
            got = parsed.get("Error", {})
            for key, want in case["error"].items():
                if got.get(key) != want:
                    problems.append(f"Error.{key}: {got.get(key)!r} != {want!r}")
        else:
            dropped: list[str] = []
            expected = prune(case["expected"], op.output_shape, case["operation"], dropped)
            if dropped:
                print(f"note {label}: this botocore's model lacks {', '.join(dropped)} (not compared)")
            if parsed != expected:
                problems.append(f"parsed {json.dumps(parsed, ensure_ascii=False, sort_keys=True)}\n"
                                f"   expected {json.dumps(expected, ensure_ascii=False, sort_keys=True)}")
        if problems:
            failures += 1
            print(f"FAIL {label}:\n   " + "\n   ".join(problems))
        else:
            print(f"ok   {label}")
    print(f"boto3_parses.py: {len(cases) - failures} passed, {failures} failed "
          f"(botocore {botocore.__version__})")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "serialize":
        return serialize(Path(argv[2]))
    if len(argv) == 3 and argv[1] == "parse":
        return parse(Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
