"""Build-time tools: run on a developer's machine or in CI (`make openapi`), never shipped to Lambda."""
