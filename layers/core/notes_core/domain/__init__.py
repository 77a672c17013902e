"""The domain: the note, its media and revisions and the keys of its objects (note), the signed-in
caller (caller), the errors a client can meet in the product's own terms (errors), and whether a
file is an image of its declared type (images). No AWS, no HTTP.

Imported by every package. Imports runtime/ only (images logs what it refuses).
"""
