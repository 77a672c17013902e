"""What a request may have changed, read straight from the stack: for tests asserting it changed nothing."""

from typing import Any

from local import template as tpl
from local.stack import LocalStack


def fixture_name(template: dict[str, Any], route: tpl.Route) -> str:
    """The events/ fixture of the route's function: named after its code directory."""
    return str(tpl.functions(template)[route.function]["CodeUri"]).strip("/").split("/")[-1]


def everything_of(stack: LocalStack, user_id: str) -> dict[str, Any]:
    """Everything of the user's that a write could change: table items, objects, the Cognito user,
    and how many deletions and purges were started."""
    items = stack.client("dynamodb").query(
        TableName=stack.ref("NotesTable"),
        KeyConditionExpression="user_id = :user",
        ExpressionAttributeValues={":user": {"S": user_id}},
        ConsistentRead=True,
    )["Items"]
    s3, bucket = stack.client("s3"), stack.ref("MediaBucket")
    objects = {
        item["Key"]: item["ETag"]
        for prefix in (f"media/{user_id}/", f"photos/{user_id}/")
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    }
    cognito = stack.client("cognito-idp").admin_get_user(UserPoolId=stack.ref("UserPool"), Username=user_id)
    sfn = stack.client("stepfunctions")
    executions = sum(
        len(sfn.list_executions(stateMachineArn=stack.ref(name))["executions"])
        for name, resource in stack.provisioned.template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    )
    return {
        "items": sorted(items, key=lambda item: item["id"]["S"]),
        "objects": objects,
        "cognito": {key: cognito[key] for key in ("UserAttributes", "Enabled", "UserStatus", "UserLastModifiedDate")},
        "executions": executions,
    }


def user_pool_usernames(stack: LocalStack) -> set[str]:
    """Every user of the pool: a public route must not have added one."""
    pages = stack.client("cognito-idp").get_paginator("list_users").paginate(UserPoolId=stack.ref("UserPool"))
    return {user["Username"] for page in pages for user in page["Users"]}
