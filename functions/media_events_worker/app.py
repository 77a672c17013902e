"""Consumer of the media-events queue: S3 notifications of uploads and reservation expiries."""

from notes_core.edge.consumers import sqs_consumer
from notes_core.usecases import media_events

handler = sqs_consumer(media_events.handle)
