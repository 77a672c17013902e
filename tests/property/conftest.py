"""Property tier: hypothesis drives simulated devices against the sync services over moto."""

from tests.support.stack import shared_stack

shared_stack()
