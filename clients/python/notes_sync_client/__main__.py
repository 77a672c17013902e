"""`python -m notes_sync_client`: the `notes-sync` command."""

import sys

from notes_sync_client.cli import main

sys.exit(main())
