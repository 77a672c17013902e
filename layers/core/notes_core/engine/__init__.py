"""The sync engine: changes applied to a user's notes in sequence order, each in one conditional
transaction (changes), and the exact three-way merge of text (merge).

Imported by usecases/. Imports data/, domain/ and runtime/.
"""
