"""Consumer of the trash-purge queue: deletes each note the purge-trash machine found, if still trashed."""

from notes_core import trash
from notes_core.consumers import sqs_consumer

handler = sqs_consumer(trash.purge)
