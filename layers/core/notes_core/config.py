"""Configuration: validated models of the environment, read once at cold start.

Each part of notes_core declares the variables it needs as a model; a missing resource name fails
the cold start with a clear message instead of falling back to a silent default.
"""

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class IdentitySettings(_Settings):
    """The Cognito user pool and its app client."""

    user_pool_id: str = Field(alias="USER_POOL_ID", min_length=1)
    user_pool_client_id: str = Field(alias="USER_POOL_CLIENT_ID", min_length=1)


class TableSettings(_Settings):
    """The single DynamoDB table holding users' notes and their change counters."""

    table_name: str = Field(alias="TABLE_NAME", min_length=3)


class NotesSettings(_Settings):
    """How long tombstones are kept: cursors older than this must resync from the beginning."""

    tombstone_retention_days: float = Field(alias="TOMBSTONE_RETENTION_DAYS", default=90, gt=0)

    @property
    def tombstone_seconds(self) -> float:
        return self.tombstone_retention_days * 86400


@cache
def load_settings[SettingsModel: BaseModel](model: type[SettingsModel]) -> SettingsModel:
    """Read and validate `model` from the environment (once per process)."""
    return model.model_validate(dict(os.environ))


class MediaSettings(_Settings):
    """Where images go, and how long upload and download links last."""

    bucket_name: str = Field(alias="BUCKET_NAME", min_length=3)
    media_events_queue_url: str = Field(alias="MEDIA_EVENTS_QUEUE_URL", min_length=1)
    media_cleanup_queue_url: str = Field(alias="MEDIA_CLEANUP_QUEUE_URL", min_length=1)
    upload_url_seconds: int = Field(alias="UPLOAD_URL_TTL_SECONDS", default=900, ge=1, le=900)
    download_url_seconds: int = Field(alias="DOWNLOAD_URL_TTL_SECONDS", default=300, ge=1, le=604800)
    # CloudFront: when a key pair is configured, download links are CloudFront signed URLs.
    cdn_domain: str = Field(alias="CDN_DOMAIN", default="")
    cdn_key_pair_id: str = Field(alias="CDN_KEY_PAIR_ID", default="")
    cdn_private_key_parameter: str = Field(alias="CDN_PRIVATE_KEY_PARAMETER", default="")

    @property
    def signs_with_cdn(self) -> bool:
        return bool(self.cdn_domain and self.cdn_key_pair_id and self.cdn_private_key_parameter)

    @property
    def reservation_seconds(self) -> int:
        """A reservation outlives its upload link a little (two minutes, or the link's lifetime if
        shorter): an upload started at the last moment of the link's validity still arrives."""
        return self.upload_url_seconds + min(120, self.upload_url_seconds)


class WorkflowSettings(_Settings):
    """The state machines that finish deletions."""

    delete_note_state_machine_arn: str = Field(alias="DELETE_NOTE_STATE_MACHINE_ARN", min_length=1)
    delete_account_state_machine_arn: str = Field(alias="DELETE_ACCOUNT_STATE_MACHINE_ARN", min_length=1)
