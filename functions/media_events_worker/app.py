"""Consumer of the media-events queue: S3 notifications of uploads and reservation expiries."""

from notes_core import media_events
from notes_core.consumers import sqs_consumer

handler = sqs_consumer(media_events.handle)
