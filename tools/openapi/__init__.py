"""The OpenAPI document and docs/errors.md, generated from notes_core (generate.py: the operations;
examples.py: the examples; catalogue.py: every error answer, the API's and the gateway's)."""
