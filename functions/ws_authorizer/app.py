"""The WebSocket API's $connect authorizer: the access token of the handshake, checked."""

from notes_core.edge.realtime import authorizer_handler
from notes_core.usecases import authorizer

handler = authorizer_handler(authorizer.authorize)
