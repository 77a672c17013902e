"""Download links for images: CloudFront signed URLs when the stack has a CDN key, else short-lived
S3 presigned GETs. The private key is read once from SSM Parameter Store (SecureString)."""

import time
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from notes_core.data import aws, storage
from notes_core.runtime.config import MediaSettings, load_settings

if TYPE_CHECKING:
    from botocore.signers import CloudFrontSigner

_settings = load_settings(MediaSettings)


@cache
def _cloudfront_signer() -> "CloudFrontSigner":
    import rsa  # only functions that sign pay for it, and only when a CDN key is configured
    from botocore.signers import CloudFrontSigner

    pem = aws.client("ssm").get_parameter(Name=_settings.cdn_private_key_parameter, WithDecryption=True)
    private_key = rsa.PrivateKey.load_pkcs1(pem["Parameter"]["Value"].encode())

    def sign(message: bytes) -> bytes:
        return rsa.sign(message, private_key, "SHA-1")  # CloudFront's signed URLs use RSA-SHA1

    return CloudFrontSigner(_settings.cdn_key_pair_id, sign)


def download_link(key: str) -> tuple[str, str]:
    """A URL to GET the object, and when it stops working (RFC 3339)."""
    expires = int(time.time()) + _settings.download_url_ttl_seconds
    if _settings.signs_with_cdn:
        url = _cloudfront_signer().generate_presigned_url(
            f"https://{_settings.cdn_domain}/{key}", date_less_than=datetime.fromtimestamp(expires, UTC)
        )
    else:
        url = storage.download_url(key, _settings.download_url_ttl_seconds)
    return url, datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")
