"""Unit tier: no AWS. notes_core reads its configuration at import, so it gets placeholder
resource names here (never used: nothing in this tier makes an AWS call)."""

import os

for name, value in {
    "TABLE_NAME": "unit-tests-have-no-table",
    "USER_POOL_ID": "unit-tests-have-no-pool",
    "USER_POOL_CLIENT_ID": "unit-tests-have-no-client",
    "DELETE_NOTE_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:unit-tests-have-none",
    "DELETE_ACCOUNT_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:unit-tests-have-none",
    "PURGE_TRASH_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:unit-tests-have-none",
    "SILENT_PUSH_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/unit-tests-have-none",
    "FCM_PLATFORM_APPLICATION_ARN": "",
    "APNS_PLATFORM_APPLICATION_ARN": "",
    "APNS_SANDBOX_PLATFORM_APPLICATION_ARN": "",
}.items():
    os.environ.setdefault(name, value)
