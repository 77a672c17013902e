"""The Powertools logger, tracer and metrics, built once per process and shared by every module.

Service name, metrics namespace and log level come from the POWERTOOLS_* environment variables set
in template.yaml's Globals. Only botocore is patched for tracing: patching every supported library
costs ~70 ms of cold start for modules the functions never use.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
