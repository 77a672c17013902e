"""notes_core: the code every notes-sync function runs, grouped by role. Each package may import
only the packages below it in this list (and itself); tests/unit/test_layering.py holds the rule:

    edge/       the Lambda handlers' plumbing: HTTP requests and responses, SQS batches
    usecases/   one module per route family or consumer: what a request does
    contract/   what crosses the wire: request and reply bodies, problems, cursors, JSON texts
    engine/     the sync engine: changes applied in order, field versions, the three-way merge
    data/       data access: the only code that calls AWS
    domain/     the note, its media and revisions, the caller, the domain errors, the image check
    runtime/    the Lambda runtime's settings, logging, metrics and tracing, the invocation's deadline

contract/ sits beside engine/ and data/, not above them: neither imports it, and it imports only
domain/. Functions (functions/<name>/app.py) import edge/, usecases/ and contract/ only; notes_core
never imports a function, the local stack, the tests, the benchmarks or the tools.

Every package's __init__ is a docstring and nothing else: importing a package costs no cold start.
"""
