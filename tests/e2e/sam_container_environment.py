"""The environment `sam local invoke` gives each function's container, for test_sam_env.py.

Run by `.venv-sam/bin/python` (sam-cli is in its own virtualenv): `sam_container_environment.py
ENV_VARS_FILE REGION FUNCTION...` writes `{"<logical id>": {"<VARIABLE>": "<value>"}}` on stdout,
computed by sam-cli's own code as `sam local invoke FUNCTION --env-vars ENV_VARS_FILE --region
REGION` computes it before it starts the container (samcli/commands/local/lib/local_lambda.py,
LocalLambdaRunner._make_env_vars, then EnvironmentVariables.resolve): the template's variables,
overridden by the file's, with SAM's own AWS_* variables (credentials from the session of this
process's environment, the region, the function's name, memory, timeout and handler).
"""

import json
import sys
from pathlib import Path

from samcli.commands.local.cli_common.invoke_context import InvokeContext
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    env_vars_file, region, *functions = sys.argv[1:]
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(ROOT / "template.yaml"), global_parameter_overrides={"AWS::Region": region}
    )
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(
        local_runtime=None,  # nothing is run: the environment is what is asked
        function_provider=provider,
        cwd=str(ROOT),
        real_path=str(ROOT),
        aws_region=region,
        env_vars_values=InvokeContext._get_env_vars_value(env_vars_file),
    )
    json.dump({name: runner._make_env_vars(provider.get(name)).resolve() for name in functions}, sys.stdout)


if __name__ == "__main__":
    main()
