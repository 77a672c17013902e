"""The WebSocket API's $connect: the connection kept under its user, with its device."""

from notes_core.edge.realtime import connect_handler
from notes_core.usecases import connections

handler = connect_handler(connections.connect)
