#!/usr/bin/env python3
"""A rotation function written for AWS Lambda, run by Cofre as an `exec` function.

`lambda_handler` is AWS's generic rotation template (SecretsManagerRotationTemplate) reduced
to a credential kept in a file: the "service" whose credential rotates is a JSON file
(`ROTATOR_SERVICE_FILE`) that holds the one password it accepts. It talks to Secrets Manager
only through boto3, with the endpoint taken from SECRETS_MANAGER_ENDPOINT, as AWS's
published templates do; the shim at the bottom reads the event from stdin.

Test hooks, all through files so a test can change them while the server runs:
- every step appends "<step> <token>" to ROTATOR_LOG;
- a step fails (exit 1) while the file FAIL_<step> exists in ROTATOR_DIR;
- a step sleeps N seconds first when SLEEP_<step> holds N.
"""
import json
import os
import sys
import time

import boto3
import botocore.exceptions

DIR = os.environ["ROTATOR_DIR"]
SERVICE_FILE = os.path.join(DIR, "service.json")
LOG = os.path.join(DIR, "steps.log")


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])

    metadata = client.describe_secret(SecretId=arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
    if step == "createSecret":
        create_secret(client, arn, token)
    elif step == "setSecret":
        set_secret(client, arn, token)
    elif step == "testSecret":
        test_secret(client, arn, token)
    elif step == "finishSecret":
        finish_secret(client, arn, token)
    else:
        raise ValueError("Invalid step parameter")


def create_secret(client, arn, token):
    current = json.loads(client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    except client.exceptions.ResourceNotFoundException:
        current["password"] = client.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
        client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                SecretString=json.dumps(current), VersionStages=["AWSPENDING"])


def set_secret(client, arn, token):
    pending = json.loads(client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"])
    with open(SERVICE_FILE + ".tmp", "w") as f:
        json.dump({"password": pending["password"]}, f)
    os.replace(SERVICE_FILE + ".tmp", SERVICE_FILE)


def test_secret(client, arn, token):
    pending = json.loads(client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"])
    with open(SERVICE_FILE) as f:
        if json.load(f)["password"] != pending["password"]:
            raise ValueError("the service does not accept the pending password")


def finish_secret(client, arn, token):
    metadata = client.describe_secret(SecretId=arn)
    current_version = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            if version == token:
                return
            current_version = version
            break
    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current_version)


if __name__ == "__main__":
    event = json.load(sys.stdin)
    step = event["Step"]
    with open(LOG, "a") as f:
        f.write("%s %s\n" % (step, event["ClientRequestToken"]))
    sleep_file = os.path.join(DIR, "SLEEP_" + step)
    if os.path.exists(sleep_file):
        time.sleep(float(open(sleep_file).read().strip() or "0"))
    if os.path.exists(os.path.join(DIR, "FAIL_" + step)):
        print("injected failure at %s" % step, file=sys.stderr)
        sys.exit(1)
    try:
        lambda_handler(event, None)
    except (ValueError, botocore.exceptions.ClientError) as e:
        print("%s failed: %s" % (step, e), file=sys.stderr)
        sys.exit(1)
