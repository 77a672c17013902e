"""Property tier: hypothesis drives simulated devices against the sync services over moto.

`make test` runs the same examples every time (the "deterministic" profile: derandomized, no
example database, and no shrinking: a failure is reported at once with the blob that reproduces
it); `make soak` explores new ones (NOTES_SYNC_HYPOTHESIS=explore, shrinking what fails).
"""

import os

from hypothesis import Phase, settings

from tests.support.stack import shared_stack

settings.register_profile(
    "deterministic", derandomize=True, database=None, print_blob=True, phases=[Phase.explicit, Phase.generate]
)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("NOTES_SYNC_HYPOTHESIS", "deterministic"))

shared_stack()
