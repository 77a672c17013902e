"""Request and reply bodies, one module per route family (account, auth, media, notes: notes and
sync), on the bases of base.py. A request refuses unknown members; a reply is built from the
domain's entities (`NoteReply.of(note)`).
"""
