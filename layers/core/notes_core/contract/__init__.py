"""The wire contract: what the API reads and writes, independent of how a request arrives.

bodies/: the request and reply bodies (msgspec Structs; the OpenAPI document's schemas are made
from them), one module per route family, and base (the bases, how an invalid value is reported).
problems: every domain error's status and RFC 9457 problem type, the one status mapping.
cursors: the opaque cursors of pages and of the changes feed. json_text: what JSON decoders do not
check in a client's text (nesting depth, repeated names).

Imported by edge/, usecases/ and functions/ (request bodies). Imports domain/ only: the engine
and data access never see a body.
"""
