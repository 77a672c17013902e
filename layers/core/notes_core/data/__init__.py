"""Data access: the only code that calls AWS, each module one service's part (table: DynamoDB,
identity: Cognito, storage: S3, queues: SQS, workflows: Step Functions, cdn: CloudFront links),
on the botocore clients of aws. AWS error codes become domain errors here.

Imported by usecases/ and engine/. Imports domain/ (the entities it reads and writes) and runtime/.
"""
