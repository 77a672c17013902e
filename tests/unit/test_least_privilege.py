"""The least-privilege audit itself: what a call needs (tests.support.aws_calls) and whether
template.yaml's policies grant it (tests/support/iam.py). No AWS: ARNs are those the local stack
would give."""

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import template as tpl
from local.principals import acting_as
from local.provision import Provisioned
from notes_core.data import table
from tests.support.aws_calls import CallRecorder, Need, Recording, permissions_needed
from tests.support.iam import Grant, audit, grants

REGION = "us-east-1"
TABLE = "notes-sync-local-notestable"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{tpl.ACCOUNT_ID}:table/{TABLE}"
BUCKET = "notes-sync-media-bucket"
KEY = {"user_id": {"S": "u"}, "id": {"S": "n"}}


def _resolver(template: dict[str, Any], **parameters: str) -> tpl.Resolver:
    """The template resolved as the local stack names things (physical names from logical ids)."""
    resolver = tpl.Resolver(template, REGION, "notes-sync-local", parameters=dict(parameters))
    for logical_id, resource in template["Resources"].items():
        name = f"notes-sync-local-{logical_id.lower()}"
        service = resource["Type"].split("::")[1].lower()
        arn = f"arn:aws:{service}:{REGION}:{tpl.ACCOUNT_ID}:{name}"
        if resource["Type"] == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{REGION}:{tpl.ACCOUNT_ID}:table/{name}"
        elif resource["Type"] == "AWS::S3::Bucket":
            name, arn = BUCKET, f"arn:aws:s3:::{BUCKET}"
        elif resource["Type"] == "AWS::Cognito::UserPool":
            name, arn = f"{REGION}_pool", f"arn:aws:cognito-idp:{REGION}:{tpl.ACCOUNT_ID}:userpool/{REGION}_pool"
        elif resource["Type"] == "AWS::Serverless::StateMachine":
            arn = f"arn:aws:states:{REGION}:{tpl.ACCOUNT_ID}:stateMachine:{name}"
        resolver.refs[logical_id] = arn if resource["Type"] == "AWS::Serverless::StateMachine" else name
        resolver.attributes[(logical_id, "Arn")] = arn
        resolver.attributes[(logical_id, "Name")] = name
    return resolver


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return tpl.load()


def _recording(template: dict[str, Any], principal: str, needs: list[Need]) -> Recording:
    recording = Recording.of_stack(_resolver(template))
    recording.needs = Counter({(principal, need): 1 for need in needs})
    return recording


def _refused(template: dict[str, Any], principal: str, needs: list[Need]) -> list[Need]:
    return [need for (_, need) in audit(template, [_recording(template, principal, needs)]).refused]


def test_a_call_is_allowed_by_its_statement_and_refused_once_the_statement_is_removed(
    template: dict[str, Any],
) -> None:
    # Given a GetItem on the table, as NotesGetFunction makes it
    needs = permissions_needed("dynamodb", "GetItem", {"TableName": TABLE, "Key": KEY}, REGION)
    assert needs == [Need("dynamodb:GetItem", TABLE_ARN)]

    # When the template is as it is, Then its statement allows the call
    assert _refused(template, "NotesGetFunction", needs) == []

    # When that statement is removed from a copy of the template, Then the same call is refused
    without = copy.deepcopy(template)
    without["Resources"]["NotesGetFunction"]["Properties"]["Policies"][0]["Statement"].pop(0)
    assert _refused(without, "NotesGetFunction", needs) == needs


def test_a_transaction_needs_the_action_of_each_of_its_items_on_its_table(template: dict[str, Any]) -> None:
    # Given a transaction of every kind of item
    items = [
        {"Update": {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET a = :a"}},
        {"Put": {"TableName": TABLE, "Item": KEY}},
        {"ConditionCheck": {"TableName": "other", "Key": KEY, "ConditionExpression": "attribute_exists(id)"}},
        {"Delete": {"TableName": TABLE, "Key": KEY}},
    ]

    # When its needs are worked out
    needs = permissions_needed("dynamodb", "TransactWriteItems", {"TransactItems": items}, REGION)

    # Then each item needs its own action on its own table, and no TransactWriteItems action exists
    other = TABLE_ARN.replace(TABLE, "other")
    assert needs == [
        Need("dynamodb:UpdateItem", TABLE_ARN),
        Need("dynamodb:PutItem", TABLE_ARN),
        Need("dynamodb:ConditionCheckItem", other),
        Need("dynamodb:DeleteItem", TABLE_ARN),
    ]
    # and a write function, allowed to put and update notes, may not delete them nor touch another table
    assert _refused(template, "NotesCreateFunction", needs) == needs[2:]


def test_the_auth_functions_may_update_the_request_counters_and_no_other_item(
    template: dict[str, Any], tmp_path: Path
) -> None:
    # Given an update of a request counter, one of a user's item, and one whose key is not known
    def update(partition: str) -> list[Need]:
        key = {"user_id": {"S": partition}, "id": {"S": "1899937200"}}
        params = {"TableName": TABLE, "Key": key, "UpdateExpression": "ADD requests :one"}
        return permissions_needed("dynamodb", "UpdateItem", params, REGION, {TABLE: "user_id"})

    counter = update("#limit#sign-in-per-source-ip#198.51.100.7")
    user_item = update("2f1c4a8e-7d3b-4c55-9f0e-6a1b2c3d4e5f")
    unknown = [Need("dynamodb:UpdateItem", TABLE_ARN)]
    assert counter == [Need("dynamodb:UpdateItem", TABLE_ARN, ("#limit#sign-in-per-source-ip#198.51.100.7",))]

    # Then the sign-up function's LeadingKeys condition allows the counter only
    assert _refused(template, "AuthSignUpFunction", counter + user_item + unknown) == user_item + unknown
    # ... and a recording keeps the keys it was checked against
    recording = _recording(template, "AuthSignUpFunction", counter + user_item)
    recording.save(tmp_path / "calls.json")
    assert Recording.load(tmp_path / "calls.json").needs == recording.needs


def test_a_condition_the_audit_cannot_read_is_refused_rather_than_ignored(template: dict[str, Any]) -> None:
    # Given a statement conditioned on something other than LeadingKeys
    changed = copy.deepcopy(template)
    statement = changed["Resources"]["AuthSignUpFunction"]["Properties"]["Policies"][0]["Statement"][0]
    statement["Condition"] = {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}

    # Then reading the template's grants fails: the audit would otherwise allow what IAM may not
    with pytest.raises(ValueError, match="AuthSignUpFunction"):
        grants(changed, _resolver(changed))


def test_a_query_of_an_index_needs_the_index_arn_not_the_table_arn(template: dict[str, Any]) -> None:
    on_index = permissions_needed("dynamodb", "Query", {"TableName": TABLE, "IndexName": "live-by-seq"}, REGION)
    on_table = permissions_needed("dynamodb", "Query", {"TableName": TABLE}, REGION)

    assert on_index == [Need("dynamodb:Query", f"{TABLE_ARN}/index/live-by-seq")]
    # The notes list may query the indexes only; the account deletion the table only.
    assert _refused(template, "NotesListFunction", on_index + on_table) == on_table
    assert _refused(template, "DeleteAccountStateMachine", on_index + on_table) == on_index


# The indexes each principal reads: the notes list and the trash (table.query_listed), the changes
# feed (table.query_changes), the purge-trash machine's trash by user and by expiry
# (statemachines/purge-trash.asl.json). trash-expiry holds every user's trashed notes: nothing that
# answers one user may read it.
INDEXES_READ = {
    "NotesListFunction": {table.LIVE_INDEX, table.TRASH_INDEX},
    "SyncPullFunction": {table.FEED_INDEX},
    "PurgeTrashStateMachine": {table.TRASH_INDEX, "trash-expiry"},
}


def test_each_principal_may_read_exactly_the_indexes_it_reads(template: dict[str, Any]) -> None:
    # Given every index of the table, and a Query and a Scan of each
    properties = template["Resources"]["NotesTable"]["Properties"]
    indexes = [i["IndexName"] for i in properties["LocalSecondaryIndexes"] + properties["GlobalSecondaryIndexes"]]
    reads = {
        index: [
            need
            for operation in ("Query", "Scan")
            for need in permissions_needed("dynamodb", operation, {"TableName": TABLE, "IndexName": index}, REGION)
        ]
        for index in indexes
    }

    # When each function's and state machine's policies are asked which of them they allow
    allowed = {
        principal: {
            index for index, needs in reads.items() if any(g.allows(n) for g in principal_grants for n in needs)
        }
        for principal, principal_grants in grants(template, _resolver(template)).items()
    }

    # Then each may read the indexes it reads, and no other principal any index
    assert {principal: found for principal, found in allowed.items() if found} == INDEXES_READ


def test_object_permissions_match_their_key_prefix_and_s3_maps_operations_to_actions(
    template: dict[str, Any],
) -> None:
    def needed(operation: str, key: str) -> list[Need]:
        return permissions_needed("s3", operation, {"Bucket": BUCKET, "Key": key}, REGION)

    image = needed("HeadObject", "media/u/n/m")
    photo = needed("GetObject", "photos/u/profile")
    lookalike = needed("GetObject", "mediax/u/n/m")

    assert image == [Need("s3:GetObject", f"arn:aws:s3:::{BUCKET}/media/u/n/m")]  # HEAD needs GetObject
    assert _refused(template, "MediaGetFunction", image + photo + lookalike) == photo + lookalike
    deleting = permissions_needed(
        "s3", "DeleteObjects", {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": "media/a"}, {"Key": "x/b"}]}}, REGION
    )
    assert _refused(template, "MediaCleanupWorkerFunction", deleting) == [
        Need("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/x/b")
    ]
    listing = permissions_needed("s3", "ListObjectsV2", {"Bucket": BUCKET, "Prefix": "media/u/"}, REGION)
    assert listing == [Need("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")]


def test_batch_sends_need_send_message_and_executions_are_described_on_their_own_arn(
    template: dict[str, Any],
) -> None:
    queue = "notes-sync-local-mediacleanupqueue"
    url = f"http://127.0.0.1:5000/{tpl.ACCOUNT_ID}/{queue}"
    sent = permissions_needed("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}, REGION)
    execution = f"arn:aws:states:{REGION}:{tpl.ACCOUNT_ID}:execution:notes-sync-local-deleteaccountstatemachine:x"
    described = permissions_needed("stepfunctions", "DescribeExecution", {"executionArn": execution}, REGION)

    assert sent == [Need("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{tpl.ACCOUNT_ID}:{queue}")]
    assert _refused(template, "DeleteNoteStateMachine", sent) == []
    assert _refused(template, "AccountDeleteFunction", described) == []
    assert _refused(template, "NotesDeleteFunction", described) == described


def test_cognito_operations_authorized_by_tokens_need_no_permission_and_admin_ones_the_pool() -> None:
    assert permissions_needed("cognito-idp", "GlobalSignOut", {"AccessToken": "t"}, REGION) == []
    assert permissions_needed("cognito-idp", "AdminGetUser", {"UserPoolId": "p", "Username": "u"}, REGION) == [
        Need("cognito-idp:AdminGetUser", f"arn:aws:cognito-idp:{REGION}:{tpl.ACCOUNT_ID}:userpool/p")
    ]


def test_a_star_inside_an_arn_segment_stays_in_it_and_one_ending_a_segment_goes_beyond(
    template: dict[str, Any],
) -> None:
    # Given the grants of DescribeExecution on execution:<machine>:* (a star ending the ARN)
    (grant,) = [g for g in grants(template, _resolver(template))["AccountDeleteFunction"] if "Describe" in g.action]
    described = grant.resource.replace("*", "name")

    # Then it spans the rest of the ARN, colons included, but not another machine's executions
    assert grant.allows(Need("states:describeexecution", described))  # action names ignore case
    assert grant.allows(Need("states:DescribeExecution", described + ":more"))
    assert not grant.allows(Need("states:DescribeExecution", described.replace("deleteaccount", "deletenote")))
    mid_segment = Grant("P", "here", "sqs:Send*", f"arn:aws:sqs:*-1:{tpl.ACCOUNT_ID}:q")
    assert mid_segment.allows(Need("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{tpl.ACCOUNT_ID}:q"))
    assert not mid_segment.allows(Need("sqs:SendMessage", f"arn:aws:sqs:us-east:eu-west-1:{tpl.ACCOUNT_ID}:q"))


def test_the_cdn_key_statement_applies_only_with_cdn_signing_and_then_grants_the_key_it_reads(
    template: dict[str, Any],
) -> None:
    # Given the parameter a CDN-configured deploy reads its signing key from
    cdn = {"CdnKeyGroupId": "g", "CdnKeyPairId": "K2", "CdnPrivateKeyParameterName": "notes-sync-cdn-key"}
    needs = permissions_needed("ssm", "GetParameter", {"Name": "notes-sync-cdn-key", "WithDecryption": True}, REGION)

    for function in ("AccountGetFunction", "AccountUpdateFunction", "MediaGetFunction"):
        with_cdn = [g for g in grants(template, _resolver(template, **cdn))[function] if g.allows(needs[0])]
        without = [g for g in grants(template, _resolver(template))[function] if g.action == "ssm:GetParameter"]
        # Then with CDN signing the statement grants exactly that key; without, it is not granted
        assert [g.resource for g in with_cdn] == [needs[0].resource]
        assert [(g.active, g.condition) for g in without] == [(False, "HasCdnSigning")]


def test_a_presigned_post_needs_put_object_on_its_key(template: dict[str, Any]) -> None:
    # Given a recorder on a session of its own
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="s", region_name=REGION)
    recorder = CallRecorder(Provisioned(template, _resolver(template)), session=session).start()

    # When a function presigns a POST (no request is sent: presigning is local)
    with acting_as("MediaRequestUploadFunction"):
        session.client("s3").generate_presigned_post(Bucket=BUCKET, Key="media/u/n/m", ExpiresIn=60)

    # Then it was recorded as the object put it allows, not as the CreateBucket botocore borrows
    recording = recorder.recording()
    assert dict(recording.needs) == {
        ("MediaRequestUploadFunction", Need("s3:PutObject", f"arn:aws:s3:::{BUCKET}/media/u/n/m")): 1
    }
    assert dict(recording.calls) == {("MediaRequestUploadFunction", "s3:PutObject"): 1}
