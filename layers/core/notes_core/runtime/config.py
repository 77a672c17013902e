"""Configuration: validated models of the environment, read once at cold start.

Each part of notes_core declares the variables it needs as a model (field `table_name` is the
variable TABLE_NAME); a missing resource name fails the cold start with a clear message instead of
falling back to a silent default.
"""

import os
from functools import cache
from typing import Annotated

import msgspec
from msgspec import Meta

NonEmpty = Annotated[str, Meta(min_length=1)]


class _Settings(msgspec.Struct, rename="upper"):
    pass


class IdentitySettings(_Settings):
    """The Cognito user pool and its app client."""

    user_pool_id: NonEmpty
    user_pool_client_id: NonEmpty


class TableSettings(_Settings):
    """The single DynamoDB table holding users' notes and their change counters."""

    table_name: Annotated[str, Meta(min_length=3)]


class NotesSettings(_Settings, kw_only=True):
    """How long tombstones (cursors older than this must resync from the beginning), trashed notes
    and revisions are kept, and how many revisions a note keeps at most."""

    tombstone_retention_days: Annotated[float, Meta(gt=0)] = 90
    # 0, as the template allows: trashed notes go at the next purge, no revision is kept
    trash_retention_days: Annotated[float, Meta(ge=0)] = 30
    revision_retention_days: Annotated[float, Meta(ge=0)] = 30
    revisions_per_note: Annotated[int, Meta(ge=1, le=1000)] = 100

    @property
    def tombstone_seconds(self) -> float:
        return self.tombstone_retention_days * 86400

    @property
    def trash_seconds(self) -> float:
        return self.trash_retention_days * 86400

    @property
    def revision_seconds(self) -> float:
        return self.revision_retention_days * 86400


@cache
def load_settings[SettingsModel: msgspec.Struct](model: type[SettingsModel]) -> SettingsModel:
    """Read and validate `model` from the environment (once per process). Values are strings
    there, so numbers are read from their text."""
    return msgspec.convert(dict(os.environ), type=model, strict=False)


class MediaSettings(_Settings, kw_only=True):
    """Where images go, and how long upload and download links last."""

    bucket_name: Annotated[str, Meta(min_length=3)]
    media_events_queue_url: NonEmpty
    media_cleanup_queue_url: NonEmpty
    upload_url_ttl_seconds: Annotated[int, Meta(ge=1, le=900)] = 900
    download_url_ttl_seconds: Annotated[int, Meta(ge=1, le=604800)] = 300
    # CloudFront: when a key pair is configured, download links are CloudFront signed URLs.
    cdn_domain: str = ""
    cdn_key_pair_id: str = ""
    cdn_private_key_parameter: str = ""

    @property
    def signs_with_cdn(self) -> bool:
        return bool(self.cdn_domain and self.cdn_key_pair_id and self.cdn_private_key_parameter)

    @property
    def reservation_seconds(self) -> int:
        """A reservation outlives its upload link a little (two minutes, or the link's lifetime if
        shorter): an upload started at the last moment of the link's validity still arrives."""
        return self.upload_url_ttl_seconds + min(120, self.upload_url_ttl_seconds)


class WorkflowSettings(_Settings):
    """The state machines that finish deletions and purge the trash."""

    delete_note_state_machine_arn: NonEmpty
    delete_account_state_machine_arn: NonEmpty
    purge_trash_state_machine_arn: NonEmpty


class RequestLimitSettings(_Settings, kw_only=True):
    """How many requests one source IP address may make to the public auth routes (docs/tokens.md,
    "Limits of the public auth routes"): attempts at a password, code or refresh token per route and
    minute; requests that send an email per day, the three routes together."""

    auth_attempts_per_source_ip_per_minute: Annotated[int, Meta(ge=1, le=100000)] = 30
    auth_emails_per_source_ip_per_day: Annotated[int, Meta(ge=1, le=100000)] = 10


class RealtimeSettings(_Settings):
    """The WebSocket API's @connections endpoint, https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
    (on the local stack, its own listener: docs/local-stack.md)."""

    connections_url: NonEmpty


class TokenSettings(_Settings):
    """What the WebSocket API's authorizer checks tokens against, as the HTTP API's JWT authorizer
    does: the user pool's issuer URL, its app client (IdentitySettings) and its keys' URL."""

    token_issuer: NonEmpty
    jwks_url: NonEmpty
    user_pool_client_id: NonEmpty


class PushSettings(_Settings):
    """The SNS platform applications of each push platform (template parameters: an empty one is a
    platform this stack does not push to), and the queue of silent pushes that wait for the end of
    their device's minute."""

    fcm_platform_application_arn: str
    apns_platform_application_arn: str
    apns_sandbox_platform_application_arn: str
    silent_push_queue_url: NonEmpty

    def application_arn(self, platform: str) -> str:
        """The platform application of `platform` (fcm, apns, apns_sandbox); "" when not configured."""
        return {
            "fcm": self.fcm_platform_application_arn,
            "apns": self.apns_platform_application_arn,
            "apns_sandbox": self.apns_sandbox_platform_application_arn,
        }[platform]
