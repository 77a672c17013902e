"""notes_core: the business rules, models and data access shared by every notes-sync function.

Dependencies point one way: functions import notes_core; notes_core never imports a function,
the local stack or the tests.
"""
