"""Consumer of the media-cleanup queue: deletes the objects of removed images, notes and accounts."""

from notes_core.edge.consumers import sqs_consumer
from notes_core.usecases import media_cleanup

handler = sqs_consumer(media_cleanup.handle)
