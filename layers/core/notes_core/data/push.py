"""Data access to SNS mobile push: a device's platform endpoint, and the silent pushes sent to it.

An endpoint is registered as SNS's best practice for endpoints says ("Mobile token management with
Amazon SNS", https://aws.amazon.com/blogs/mobile/mobile-token-management-with-amazon-sns/, and
"Setting up an Amazon SNS platform endpoint for mobile notifications",
https://docs.aws.amazon.com/sns/latest/dg/mobile-platform-endpoint.html): create it once
(CreatePlatformEndpoint "is idempotent, so if the requester already owns an endpoint with the same
device token and attributes, that endpoint's ARN is returned"), and on every later registration
read it back (GetEndpointAttributes), create it again if it was deleted, and set its token and
`Enabled` when the token changed or the platform disabled it. The endpoint's CustomUserData names
its owner, `<user id> <device id>`: a token whose endpoint another registration owns (the same
phone signed in to another account) is refused by CreatePlatformEndpoint with "Endpoint <arn>
already exists with the same Token, but different attributes" (the blog reads the ARN from that
message), and is taken over; pushes and deletions for the old owner then find another owner there
and leave the endpoint alone.
"""

import json
import re
from functools import cache
from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.exceptions import ClientError

from notes_core.data import aws

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
_EXISTING = re.compile(r"Endpoint (arn:\S+) already exists with the same [Tt]oken")


class EndpointGone(Exception):
    """The endpoint was deleted (NotFound)."""


class EndpointDisabled(Exception):
    """The platform told SNS the token is no longer valid (the app was uninstalled): SNS disabled
    the endpoint until the device registers again."""


class TokenRefused(Exception):
    """SNS refused the token (InvalidParameter)."""


@cache
def _sns() -> "SNSClient":
    client: SNSClient = aws.client("sns", config=_CONFIG)
    return client


def owner(user_id: str, device_id: str) -> str:
    """An endpoint's CustomUserData: whose device it is (SNS keeps it and never uses it)."""
    return f"{user_id} {device_id}"


def attributes(endpoint_arn: str) -> dict[str, str] | None:
    """The endpoint's Token, Enabled and CustomUserData; None when it was deleted."""
    try:
        return dict(_sns().get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotFound":
            return None
        raise


def register(application_arn: str, token: str, owned_by: str, known_arn: str | None) -> str:
    """The ARN of an enabled endpoint of `application_arn` holding `token`, owned by `owned_by`:
    `known_arn` (the device's endpoint of that application, from an earlier registration) brought
    up to date, or a new one."""
    current = attributes(known_arn) if known_arn else None
    endpoint_arn = known_arn if current is not None else None
    if endpoint_arn is None:
        endpoint_arn = _create(application_arn, token, owned_by)
        current = attributes(endpoint_arn) or {}
    wanted = {"Token": token, "Enabled": "true", "CustomUserData": owned_by}
    if any((current or {}).get(name) != value for name, value in wanted.items()):
        try:
            _sns().set_endpoint_attributes(EndpointArn=endpoint_arn, Attributes=wanted)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "InvalidParameter":
                raise TokenRefused(exc.response["Error"].get("Message", "")) from None
            raise
    return endpoint_arn


def _create(application_arn: str, token: str, owned_by: str) -> str:
    try:
        created = _sns().create_platform_endpoint(
            PlatformApplicationArn=application_arn, Token=token, CustomUserData=owned_by
        )
    except ClientError as exc:
        message = exc.response["Error"].get("Message", "")
        existing = _EXISTING.search(message)
        if exc.response["Error"]["Code"] == "InvalidParameter" and existing:
            return existing.group(1)
        if exc.response["Error"]["Code"] == "InvalidParameter":
            raise TokenRefused(message) from None
        raise
    return created["EndpointArn"]


def delete(endpoint_arn: str) -> None:
    """Delete an endpoint (DeleteEndpoint succeeds for one deleted already)."""
    _sns().delete_endpoint(EndpointArn=endpoint_arn)


def _platform(endpoint_arn: str) -> str:
    """GCM, APNS or APNS_SANDBOX: arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>."""
    return endpoint_arn.split(":", 5)[5].split("/")[1]


# The messages carry no note data: they only tell the app that something changed.
# FCM: a data message (no `notification` key: the app handles it, nothing is shown), in the FCM v1
# structure SNS sends under the key GCM ("Using Google Firebase Cloud Messaging v1 payloads in Amazon
# SNS", https://docs.aws.amazon.com/sns/latest/dg/sns-fcm-v1-payloads.html: "the GCM key value must be
# encoded as a string"); high priority, which FCM needs to wake a device in Doze.
# APNs: a background notification: `aps` holds only `content-available: 1`, with the push type
# `background` and priority 5 ("Pushing background updates to your App",
# https://developer.apple.com/documentation/usernotifications/pushing-background-updates-to-your-app),
# which SNS takes as the reserved message attributes AWS.SNS.MOBILE.APNS.PUSH_TYPE and
# AWS.SNS.MOBILE.APNS.PRIORITY ("Amazon SNS message attributes",
# https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
_FCM_MESSAGE = {"fcmV1Message": {"message": {"data": {"type": "changes"}, "android": {"priority": "high"}}}}
_APNS_MESSAGE = {"aps": {"content-available": 1}, "type": "changes"}
_APNS_ATTRIBUTES = {
    "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "background"},
    "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "5"},
}


def silent_push_message(endpoint_arn: str) -> tuple[str, dict[str, dict[str, str]]]:
    """The Message (MessageStructure json: the platform's key, its value a JSON string) and the
    message attributes of a silent push to the endpoint."""
    platform = _platform(endpoint_arn)
    if platform == "GCM":
        return json.dumps({"GCM": json.dumps(_FCM_MESSAGE)}), {}
    return json.dumps({platform: json.dumps(_APNS_MESSAGE)}), dict(_APNS_ATTRIBUTES)


def silent_push(endpoint_arn: str) -> None:
    message, message_attributes = silent_push_message(endpoint_arn)
    try:
        _sns().publish(
            TargetArn=endpoint_arn,
            MessageStructure="json",
            Message=message,
            MessageAttributes=message_attributes,  # type: ignore[arg-type]
        )
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "EndpointDisabled":
            raise EndpointDisabled(code) from None
        if code == "NotFound":
            raise EndpointGone(code) from None
        raise
