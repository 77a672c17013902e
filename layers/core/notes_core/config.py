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
