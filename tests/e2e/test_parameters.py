"""Every parameter of template.yaml can be overridden locally, and each value reaches its resource.

One local stack is started with every parameter overridden by its environment variable, each to a
value unlike its default; each parameter is then checked through what it configures: the resource
in moto, the front's answers, or the functions' behaviour. The parameters are enumerated from
template.yaml, so a parameter added without a check here fails its own test. A parameter that
configures only what SAM's transform creates on AWS (the local front invokes functions directly,
without aliases or CodeDeploy) is checked on the transformed template instead.
"""

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import rsa
from botocore.signers import CloudFrontSigner

from local import template as tpl
from local.provision import STACK_NAME
from local.stack import environment_name
from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess
from tests.support.media import PNG, post_upload
from tests.support.tokens import claims_of
from tests.template import test_sam_transform

TEMPLATE = tpl.load()

OVERRIDES = {
    "Environment": "prod",
    "AccessTokenValidityMinutes": "7",
    "RefreshTokenValidityDays": "45",
    "TombstoneRetentionDays": "1.5",
    "TrashRetentionDays": "2",
    "RevisionRetentionDays": "3",
    "RevisionsPerNote": "4",
    "UploadUrlTtlSeconds": "123",
    "CdnKeyGroupId": "KGLOCALTEST",
    "CdnKeyPairId": "K2LOCALTESTPAIR",
    "CdnPrivateKeyParameterName": "notes-sync-test-cdn-private-key",
    "LogLevel": "WARNING",
    "LogRetentionDays": "14",
    "CorsAllowedOrigins": "https://one.example,https://two.example",
    "ThrottlingRateLimit": "0.05",  # a token every 20 s
    "ThrottlingBurstLimit": "5",
    "AuthAttemptsPerSourceIpPerMinute": "1",  # the stack's own user signs in once
    "AuthEmailsPerSourceIpPerDay": "1",  # ... and signs up once
    "SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
    "SesFromAddress": "notes-sync <no-reply@example.com>",
    "AlarmEmail": "alarms@example.com",
    "Api5xxRateThresholdPercent": "2.5",
    "ApiLatencyP99ThresholdMs": "1500",
    "FcmPlatformApplicationArn": "arn:aws:sns:us-east-1:123456789012:app/GCM/notes-sync-parameters",
    "ApnsPlatformApplicationArn": "arn:aws:sns:us-east-1:123456789012:app/APNS/notes-sync-parameters",
    "ApnsSandboxPlatformApplicationArn": "arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/notes-sync-parameters",
}
# What each is checked by (on every deployment group SAM's transform makes, per environment).
CHECKED_ON_THE_TRANSFORM: dict[str, Callable[..., None]] = {
    "DeploymentType": test_sam_transform.test_each_environment_deploys_every_function_as_samconfig_says,
}


def _only(items: list[Any]) -> Any:
    (item,) = items
    return item


class Stack:
    """The local stack started with OVERRIDES, a client of its front, and clients of its moto."""

    def __init__(self) -> None:
        self.process = LocalProcess({environment_name(name): value for name, value in OVERRIDES.items()})
        try:
            self.client = Client(self.process.base_url, requests.Session())
            self.cdn_key = rsa.newkeys(1024)
            # The functions read the CDN key on first use, so it can be put after the start.
            self.aws("ssm").put_parameter(
                Name=OVERRIDES["CdnPrivateKeyParameterName"],
                Value=self.cdn_key[1].save_pkcs1().decode(),
                Type="SecureString",
            )
            self.user = self.client.sign_up_and_in()
            self.user_id = claims_of(self.user["access_token"])["sub"]
        except BaseException:
            self.process.stop()
            raise

    def aws(self, service: str) -> Any:
        return self.process.aws(service)

    def authorized(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.client.request(method, path, token=self.user["access_token"], **kwargs)

    @cached_property
    def photo_link(self) -> str:
        """The user's profile photo link, once the media worker has accepted an uploaded photo."""
        reply = self.authorized("POST", "/v1/account/photo", json={"content_type": "image/png", "size": len(PNG)})
        assert post_upload(reply.json()["upload"], PNG) == 204
        dynamodb = self.aws("dynamodb")
        table = _only(dynamodb.list_tables()["TableNames"])

        def accepted() -> bool:  # watched in the table: the API's routes are throttled in this stack
            items = dynamodb.query(
                TableName=table,
                KeyConditionExpression="user_id = :sub",
                ExpressionAttributeValues={":sub": {"S": self.user_id}},
            )["Items"]
            return any("photo" in item for item in items)

        deadline = time.monotonic() + 15
        while not accepted() and time.monotonic() < deadline:
            time.sleep(0.2)
        link: str = self.authorized("GET", "/v1/account").json()["photo_url"]
        return link

    @cached_property
    def throttled_statuses(self) -> tuple[list[int], list[int], requests.Response]:
        """Seven requests in a row to one route, one more after a pause, and the answer to a last one."""

        def statuses(count: int) -> list[int]:
            return [self.client.request("GET", "/v1/openapi.json").status_code for _ in range(count)]

        burst = statuses(7)
        time.sleep(0.2)
        return burst, statuses(1), self.client.request("GET", "/v1/openapi.json")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    started = Stack()
    yield started
    started.process.stop()


# ---------------------------------------------------------------- one check per parameter
def _environment(stack: Stack) -> None:
    # IsProd: the user pool and the table are protected from deletion
    pool = _only(stack.aws("cognito-idp").list_user_pools(MaxResults=10)["UserPools"])
    table = _only(stack.aws("dynamodb").list_tables()["TableNames"])
    described_pool = stack.aws("cognito-idp").describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described_pool["DeletionProtection"] == "ACTIVE"
    assert stack.aws("dynamodb").describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True


def _app_client(stack: Stack) -> dict[str, Any]:
    idp = stack.aws("cognito-idp")
    pool = _only(idp.list_user_pools(MaxResults=10)["UserPools"])
    client = _only(idp.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"])
    described: dict[str, Any] = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])[
        "UserPoolClient"
    ]
    return described


def _access_token_validity(stack: Stack) -> None:
    client = _app_client(stack)
    assert (client["AccessTokenValidity"], client["IdTokenValidity"]) == (7, 7)
    # and the tokens a sign-in gets last 7 minutes
    access, identity = claims_of(stack.user["access_token"]), claims_of(stack.user["id_token"])
    assert stack.user["expires_in"] == access["exp"] - access["iat"] == identity["exp"] - identity["iat"] == 420


def _refresh_token_validity(stack: Stack) -> None:
    client = _app_client(stack)
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (45, "days")


def _tombstone_retention(stack: Stack) -> None:
    # A cursor (white box: {"s": sequence, "t": complete since}) 2 days old is past 1.5 days of
    # tombstones; one a day old is not (with the default 90 days, both are).
    def pull(age_days: float) -> int:
        fields = {"s": 0, "t": int(time.time() - age_days * 86400)}
        cursor = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
        return stack.authorized("GET", "/v1/sync", params={"cursor": cursor}).status_code

    assert (pull(2), pull(1)) == (410, 200)


def _items(stack: Stack, id_prefix: str) -> list[dict[str, Any]]:
    table = _only(stack.aws("dynamodb").list_tables()["TableNames"])
    items: list[dict[str, Any]] = stack.aws("dynamodb").query(
        TableName=table,
        KeyConditionExpression="user_id = :sub AND begins_with(id, :prefix)",
        ExpressionAttributeValues={":sub": {"S": stack.user_id}, ":prefix": {"S": id_prefix}},
    )["Items"]
    return items


def _trash_retention(stack: Stack) -> None:
    # A note created in the trash (one push: the routes are throttled here) may be purged 2 days on
    note_id = str(uuid.uuid4())
    change = {"op": "upsert", "id": note_id, "base_version": None, "title": "t", "content": "c", "trashed": True}
    note = stack.authorized("POST", "/v1/sync", json={"changes": [change]}).json()["results"][0]["note"]
    (item,) = (item for item in _items(stack, note_id) if item["id"]["S"] == note_id)
    trashed_at = datetime.fromisoformat(note["trashed_at"])
    assert datetime.fromisoformat(item["purge_after"]["S"]) - trashed_at == timedelta(days=2)


def _revision_retention(stack: Stack) -> None:
    # A revision (a note's first version's) expires 3 days on
    note_id = stack.authorized("POST", "/v1/notes", json={"title": "t", "content": "c"}).json()["id"]
    (revision,) = _items(stack, f"{note_id}#rev#")
    assert abs(int(revision["expires_at"]["N"]) - (time.time() + 3 * 86400)) < 60


def _revisions_per_note(stack: Stack) -> None:
    # A note edited four times (versions 1 to 5) keeps 4 revisions: version 5's slot was version 1's
    note_id = stack.authorized("POST", "/v1/notes", json={"title": "t", "content": "v1"}).json()["id"]
    for version in range(1, 5):
        edit = {"content": f"v{version + 1}"}
        assert stack.authorized("PATCH", f"/v1/notes/{note_id}", json=edit, headers={"if-match": f'"{version}"'}).ok
    listed = stack.authorized("GET", f"/v1/notes/{note_id}/revisions").json()["revisions"]
    assert [revision["version"] for revision in listed] == [5, 4, 3, 2]
    assert stack.authorized("GET", f"/v1/notes/{note_id}/revisions/1").status_code == 404


def _upload_url_ttl(stack: Stack) -> None:
    before = int(time.time())
    reply = stack.authorized("POST", "/v1/account/photo", json={"content_type": "image/png", "size": len(PNG)})
    after = int(time.time())

    expires_at = datetime.fromisoformat(reply.json()["expires_at"]).timestamp()
    assert before + 123 <= expires_at <= after + 123


def _photo_link(stack: Stack) -> tuple[str, dict[str, str]]:
    return stack.photo_link, dict(parse_qsl(urlsplit(stack.photo_link).query))


def _cdn_key_group(stack: Stack) -> None:
    # The distribution trusts the key group, and download links are CloudFront links
    cloudfront = stack.aws("cloudfront")
    distribution = _only(cloudfront.list_distributions()["DistributionList"]["Items"])
    config = cloudfront.get_distribution_config(Id=distribution["Id"])["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["TrustedKeyGroups"]["Items"] == ["KGLOCALTEST"]
    link, _ = _photo_link(stack)
    assert link.startswith(f"https://{distribution['DomainName']}/photos/{stack.user_id}/profile?")


def _cdn_key_pair(stack: Stack) -> None:
    _, query = _photo_link(stack)
    assert query["Key-Pair-Id"] == "K2LOCALTESTPAIR"


def _cdn_private_key_parameter(stack: Stack) -> None:
    # The link is signed with the key the stack reads from that SSM parameter (RSA-SHA1 over
    # CloudFront's canned policy)
    link, query = _photo_link(stack)
    resource = link.split("?", 1)[0]
    policy = CloudFrontSigner(query["Key-Pair-Id"], lambda message: b"").build_policy(
        resource, datetime.fromtimestamp(int(query["Expires"]), UTC)
    )
    signature = base64.b64decode(query["Signature"].replace("-", "+").replace("_", "=").replace("~", "/"))
    assert rsa.verify(policy.encode(), signature, stack.cdn_key[0]) == "SHA-1"


def _log_level(stack: Stack) -> None:
    # A refusal, which a function logs at INFO (the default level), is not logged at WARNING
    reply = stack.authorized("GET", f"/v1/notes/{uuid.uuid4()}")
    request_id = reply.headers["apigw-requestid"]
    deadline = time.monotonic() + 10
    while not any(request_id in line for line in list(stack.process.output)) and time.monotonic() < deadline:
        time.sleep(0.05)  # the access log line comes after the function's own lines

    mentions = [json.loads(line) for line in list(stack.process.output) if request_id in line]
    assert reply.status_code == 404
    assert [line.get("requestId") for line in mentions] == [request_id]  # the access log line only


def _log_retention(stack: Stack) -> None:
    groups = stack.aws("logs").describe_log_groups()["logGroups"]
    declared = [resource for resource in TEMPLATE["Resources"].values() if resource["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) == len(declared) > 0
    assert {group["retentionInDays"] for group in groups} == {14}


def _cors_origins(stack: Stack) -> None:
    def allowed(origin: str) -> str | None:
        preflight = {"origin": origin, "access-control-request-method": "GET"}
        return stack.client.request("OPTIONS", "/v1/account", headers=preflight).headers.get(
            "access-control-allow-origin"
        )

    assert (allowed("https://two.example"), allowed("https://three.example")) == ("https://two.example", None)


def _throttling_burst(stack: Stack) -> None:
    burst, _, throttled = stack.throttled_statuses
    assert burst == [200] * 5 + [429] * 2
    assert throttled.headers["content-type"] == "application/json"
    assert throttled.json() == {"message": "Too Many Requests"}


def _throttling_rate(stack: Stack) -> None:
    # A token every 20 s: none comes back in the pause (the default 100 a second returns 20)
    _, after_a_pause, _ = stack.throttled_statuses
    assert after_a_pause == [429]


def _limit_met(stack: Stack, path: str, body: Callable[[], dict[str, str]]) -> dict[str, Any]:
    """The request-limit problem of two requests to `path` right after the stack's own user's: at
    least one of them is in the same window as another request, so a limit of one refuses it."""
    replies = [stack.client.request("POST", path, json=body()) for _ in range(2)]
    refused = [reply for reply in replies if reply.status_code == 429]
    assert refused, [reply.text for reply in replies]
    problem: dict[str, Any] = refused[0].json()
    assert 1 <= int(refused[0].headers["retry-after"]) == problem["retry_after"]
    return problem


def _auth_attempts_per_source_ip(stack: Stack) -> None:
    # One sign-in a minute from this address: the second within the minute is refused
    def unknown_user() -> dict[str, str]:
        return {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "Not-The-Password-1"}

    problem = _limit_met(stack, "/v1/auth/sign-in", unknown_user)
    assert problem["limit"] == {"name": "sign-in-per-source-ip", "requests": 1, "window_seconds": 60}


def _auth_emails_per_source_ip(stack: Stack) -> None:
    # One email a day asked for from this address: the stack's user's sign-up had it
    def someone() -> dict[str, str]:
        return {"email": f"someone-{uuid.uuid4().hex[:8]}@example.com"}

    problem = _limit_met(stack, "/v1/auth/resend-code", someone)
    assert problem["limit"] == {"name": "emails-per-source-ip", "requests": 1, "window_seconds": 86400}


def _ses_sending(stack: Stack) -> None:
    # SendsEmailThroughSes: the user pool sends its email through that SES identity, from that address
    pool = _only(stack.aws("cognito-idp").list_user_pools(MaxResults=10)["UserPools"])
    described = stack.aws("cognito-idp").describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "From": "notes-sync <no-reply@example.com>",
    }


def _alarm_email(stack: Stack) -> None:
    sns, cloudwatch = stack.aws("sns"), stack.aws("cloudwatch")
    subscription = _only(sns.list_subscriptions()["Subscriptions"])
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "alarms@example.com")
    actions = {tuple(alarm["AlarmActions"]) for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert actions == {(subscription["TopicArn"],)}


def _alarm(stack: Stack, logical_id: str) -> dict[str, Any]:
    """The alarm the template declares as logical_id, as moto holds it: <stack>-<logical id>, as
    the template names the rollback alarms, or in lower case, as local.provision names the others."""
    alarms = stack.aws("cloudwatch").describe_alarms()["MetricAlarms"]
    name = f"{STACK_NAME}-{logical_id}".lower()
    alarm: dict[str, Any] = _only([a for a in alarms if a["AlarmName"].lower() == name])
    return alarm


def _api_5xx_rate_threshold(stack: Stack) -> None:
    alarm = _alarm(stack, "Api5xxAlarm")
    assert alarm["Threshold"] == 2.5
    assert "More than 2.5% of the API's requests" in alarm["AlarmDescription"]


def _api_latency_threshold(stack: Stack) -> None:
    alarm = _alarm(stack, "ApiLatencyAlarm")
    assert (alarm["ExtendedStatistic"], alarm["Threshold"]) == ("p99", 1500)
    # ...and the dashboard's latency graph marks it
    dashboard = json.loads(
        stack.aws("cloudwatch").get_dashboard(DashboardName=f"{STACK_NAME}-us-east-1")["DashboardBody"]
    )
    marks = [
        mark
        for widget in dashboard["widgets"]
        for mark in widget["properties"].get("annotations", {}).get("horizontal", [])
    ]
    assert {"label": "ApiLatencyAlarm (p99)", "value": 1500} in marks


def _platform_application(platform: str, parameter: str) -> Callable[[Stack], None]:
    """A device registering a token of `platform` gets an endpoint of the application the parameter
    names (without it: 422 push-not-configured)."""

    def check(stack: Stack) -> None:
        device = f"device-{platform.replace('_', '-')}"
        registered = stack.authorized(
            "PUT", f"/v1/devices/{device}", json={"platform": platform, "token": f"t-{device}"}
        )
        assert registered.status_code == 204, registered.text
        sns = stack.aws("sns")
        endpoints = sns.list_endpoints_by_platform_application(PlatformApplicationArn=OVERRIDES[parameter])
        owners = [endpoint["Attributes"].get("CustomUserData") for endpoint in endpoints["Endpoints"]]
        assert owners == [f"{stack.user_id} {device}"]

    return check


CHECKS: dict[str, Callable[[Stack], None]] = {
    "Environment": _environment,
    "AccessTokenValidityMinutes": _access_token_validity,
    "RefreshTokenValidityDays": _refresh_token_validity,
    "TombstoneRetentionDays": _tombstone_retention,
    "TrashRetentionDays": _trash_retention,
    "RevisionRetentionDays": _revision_retention,
    "RevisionsPerNote": _revisions_per_note,
    "UploadUrlTtlSeconds": _upload_url_ttl,
    "CdnKeyGroupId": _cdn_key_group,
    "CdnKeyPairId": _cdn_key_pair,
    "CdnPrivateKeyParameterName": _cdn_private_key_parameter,
    "LogLevel": _log_level,
    "LogRetentionDays": _log_retention,
    "CorsAllowedOrigins": _cors_origins,
    "ThrottlingRateLimit": _throttling_rate,
    "ThrottlingBurstLimit": _throttling_burst,
    "AuthAttemptsPerSourceIpPerMinute": _auth_attempts_per_source_ip,
    "AuthEmailsPerSourceIpPerDay": _auth_emails_per_source_ip,
    "SesSourceArn": _ses_sending,
    "SesFromAddress": _ses_sending,
    "AlarmEmail": _alarm_email,
    "Api5xxRateThresholdPercent": _api_5xx_rate_threshold,
    "ApiLatencyP99ThresholdMs": _api_latency_threshold,
    "FcmPlatformApplicationArn": _platform_application("fcm", "FcmPlatformApplicationArn"),
    "ApnsPlatformApplicationArn": _platform_application("apns", "ApnsPlatformApplicationArn"),
    "ApnsSandboxPlatformApplicationArn": _platform_application("apns_sandbox", "ApnsSandboxPlatformApplicationArn"),
}


def test_a_parameter_only_aws_uses_is_checked_on_the_transformed_template_instead() -> None:
    assert not set(CHECKED_ON_THE_TRANSFORM) & (set(OVERRIDES) | set(CHECKS))
    assert set(CHECKED_ON_THE_TRANSFORM) <= set(TEMPLATE["Parameters"])


@pytest.mark.parametrize("parameter", [p for p in TEMPLATE["Parameters"] if p not in CHECKED_ON_THE_TRANSFORM])
def test_the_overridden_parameter_reaches_its_resource(stack: Stack, parameter: str) -> None:
    # Given the stack started with every parameter overridden, this one to a value unlike its default
    assert parameter in OVERRIDES, f"{parameter}: give it a value unlike its default in OVERRIDES"
    assert parameter in CHECKS, f"{parameter}: check in CHECKS that its value reaches what it configures"
    spec = TEMPLATE["Parameters"][parameter]
    assert tpl.parameter_value(parameter, spec, OVERRIDES[parameter]) != tpl.parameter_value(
        parameter, spec, spec.get("Default")
    )

    # Then what it configures shows the overriding value
    CHECKS[parameter](stack)


def test_a_value_cloudformation_would_refuse_stops_the_start_with_its_message() -> None:
    # Given an access token validity under the template's MinValue
    environment = {**os.environ, "ACCESS_TOKEN_VALIDITY_MINUTES": "4", "PORT": "0", "MOTO_PORT": "0"}

    # When the local stack starts
    finished = subprocess.run(
        [sys.executable, "-m", "local"],
        cwd=tpl.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then it stops before serving anything, with CloudFormation's message and no traceback
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert finished.stderr == (
        "python -m local: Parameter 'AccessTokenValidityMinutes' must be a number not less than 5"
        " (ACCESS_TOKEN_VALIDITY_MINUTES=4)\n"
    )
