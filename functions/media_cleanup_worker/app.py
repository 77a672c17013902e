"""Consumer of the media-cleanup queue: deletes the objects of removed images, notes and accounts."""

from notes_core import media_cleanup
from notes_core.consumers import sqs_consumer

handler = sqs_consumer(media_cleanup.handle)
