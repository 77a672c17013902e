"""Consumer of the table's stream: pokes the user's other devices' connections after a change,
wakes devices in the background, closes connections on sign-out and account deletion."""

from notes_core.edge.realtime import stream_consumer
from notes_core.usecases import pokes

handler = stream_consumer(pokes.handle)
