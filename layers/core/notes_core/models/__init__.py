"""Request and response models of the API (pydantic v2).

Requests forbid unknown fields, so a client sending a server-owned or misspelt field is told so
(422) instead of having it silently ignored.
"""

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Reply(BaseModel):
    """Base of every response body."""

    model_config = ConfigDict(frozen=True, defer_build=True)
