"""The WebSocket API's $disconnect: the connection forgotten."""

from notes_core.edge.realtime import disconnect_handler
from notes_core.usecases import connections

handler = disconnect_handler(connections.disconnect)
