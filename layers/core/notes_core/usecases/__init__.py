"""Use cases: what each request or message does, one module per route family or consumer (account,
auth, notes, sync, media, revisions, trash, media_events, media_cleanup) and the public auth
routes' request limits. Each function calls one of their functions with the caller and the parsed
body, and gets back a reply body of contract/ (or a domain error, which the edge answers).

Imported by functions/. Imports engine/, data/, contract/, domain/, runtime/ and other use cases:
never the edge (no HTTP request or response is seen here).
"""
