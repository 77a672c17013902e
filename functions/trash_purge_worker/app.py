"""Consumer of the trash-purge queue: deletes each note the purge-trash machine found, if still trashed."""

from notes_core.edge.consumers import sqs_consumer
from notes_core.usecases import trash

handler = sqs_consumer(trash.purge)
