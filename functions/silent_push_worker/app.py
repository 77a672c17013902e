"""Consumer of the silent-push queue: the push due at the end of a device's minute."""

from notes_core.edge.consumers import sqs_consumer
from notes_core.usecases import silent_pushes

handler = sqs_consumer(silent_pushes.send_due)
