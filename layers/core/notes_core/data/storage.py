"""Data access to the media bucket; S3's error codes become the answers below.

Keys: media/{user}/{note}/{media} for note images, photos/{user}/profile for profile photos.
"""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from notes_core.data import aws
from notes_core.runtime.config import MediaSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_settings = load_settings(MediaSettings)
MAX_DELETE_KEYS = 1000


@cache
def _s3() -> "S3Client":
    # SigV4 always: botocore would presign with SigV2 against a custom endpoint.
    client: S3Client = aws.client("s3", config=Config(signature_version="s3v4"))
    return client


@dataclass(frozen=True)
class Upload:
    """A presigned POST: the client posts a multipart form with `fields` and then the file, until
    `expires_at` (RFC 3339, the policy's own expiration)."""

    url: str
    fields: dict[str, str]
    expires_at: str


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str
    etag: str


def presigned_upload(key: str, content_type: str, max_size: int, expires_in: int) -> Upload:
    """A POST whose policy pins this exact key, this exact content type and at most `max_size`
    bytes, valid for `expires_in` seconds."""
    post = _s3().generate_presigned_post(
        Bucket=_settings.bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
        ExpiresIn=expires_in,
    )
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    return Upload(url=post["url"], fields=dict(post["fields"]), expires_at=policy["expiration"])


def download_url(key: str, expires_in: int) -> str:
    return _s3().generate_presigned_url(
        "get_object", Params={"Bucket": _settings.bucket_name, "Key": key}, ExpiresIn=expires_in
    )


def head(key: str) -> StoredObject | None:
    """The object's size and content type, or None when there is no such object."""
    try:
        reply = _s3().head_object(Bucket=_settings.bucket_name, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(size=reply["ContentLength"], content_type=reply.get("ContentType", ""), etag=reply["ETag"])


def read(key: str, etag: str) -> bytes | None:
    """The whole object, if it is still the one whose ETag is `etag`; None when it is gone or was
    replaced since (a new object under the key comes with an S3 event of its own).

    If-Match makes S3 answer 412 Precondition Failed rather than another object's bytes (GetObject,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), so what is read is what
    `head` measured. The body is read once, into one bytes object: callers bound its size first.
    """
    try:
        reply = _s3().get_object(Bucket=_settings.bucket_name, Key=key, IfMatch=etag)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "PreconditionFailed", "412"):
            return None
        raise
    data: bytes = reply["Body"].read()
    return data


def delete(key: str) -> None:
    """Delete one object; deleting what is already gone succeeds (S3 answers 204 either way)."""
    _s3().delete_object(Bucket=_settings.bucket_name, Key=key)


def delete_many(keys: Sequence[str]) -> list[dict[str, Any]]:
    """Delete up to 1000 objects in one request; the per-key errors S3 reported."""
    assert len(keys) <= MAX_DELETE_KEYS
    reply = _s3().delete_objects(
        Bucket=_settings.bucket_name, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )
    return [dict(error) for error in reply.get("Errors", [])]
