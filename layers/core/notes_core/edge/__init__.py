"""The edge: what turns a Lambda event into a use case's call and its answer into a response.

http: the API functions' handler decorator (`api_handler`: logging, metrics, tracing, the
invocation's deadline, problem responses), the request readers (body, query, path, headers, the
caller) and `respond`. consumers: the SQS workers' handler (`sqs_consumer`: partial batch failures).

Imported by functions/ only. Imports contract/, domain/ and runtime/: never a use case or data
access (a handler calls its use case itself).
"""
