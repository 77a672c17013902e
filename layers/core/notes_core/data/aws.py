"""The functions' AWS clients, each built on first use from one botocore session.

boto3.client() builds these same botocore clients; importing boto3 also imports s3transfer and
boto3's resource layer, which no function uses: ~35 ms of every cold start (bench/cold_start.py).
The data-access modules (table, storage, queues, workflows, identity, cdn, connections, push) are the
only callers.
"""

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config


@cache
def session() -> botocore.session.Session:
    """The process's botocore session: credentials, region and AWS_ENDPOINT_URL read from the
    environment as boto3's default session reads them."""
    return botocore.session.get_session()


def client(service: str, config: Config | None = None, endpoint_url: str | None = None) -> Any:
    """A new client of `service`; the data-access modules keep theirs (typed) for the process.
    `endpoint_url`: for a service whose endpoint is the caller's own resource (a WebSocket API's
    @connections)."""
    return session().create_client(service, config=config, endpoint_url=endpoint_url)
