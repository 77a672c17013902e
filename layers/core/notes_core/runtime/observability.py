"""The Powertools logger, tracer and metrics, built once per process and shared by every module.

Service name, metrics namespace and log level come from the POWERTOOLS_* environment variables set
in template.yaml's Globals. Only botocore is patched for tracing: patching every supported library
costs ~70 ms of cold start for modules the functions never use.

Most requests record no business metric (reads, refusals): Powertools then warns, as a plain-text
line in the function's log, on every such invocation. The warning is filtered as the Metrics docs
show ("Raising SchemaValidationError on empty metrics",
https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/; aws-powertools/powertools-lambda-python#3660).
"""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

warnings.filterwarnings("ignore", "No application metrics to publish*")

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
