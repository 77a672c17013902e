"""local.moto_server: the fixes the local stack applies to moto."""

import subprocess
import sys

from local import template as tpl


def test_moto_batch_is_loaded_when_used_not_by_the_asl_executor() -> None:
    # Given a fresh process with the local stack's moto fixes applied
    program = (
        "import sys\n"
        "from local.moto_server import configure_moto\n"
        "configure_moto()\n"
        "import moto.stepfunctions.parser.models\n"  # the ASL executor, which reads an enum of moto.batch
        "print('ec2' if 'moto.ec2.models' in sys.modules else 'no ec2')\n"
        "from moto.batch import batch_backends\n"
        "print(type(batch_backends).__name__)\n"
    )

    # When the ASL executor is imported, and then moto.batch is used
    ran = subprocess.run([sys.executable, "-c", program], cwd=tpl.ROOT, capture_output=True, text=True, check=True)

    # Then EC2's models (a second to import) came only with the use of moto.batch, which works
    assert ran.stdout.split() == ["no", "ec2", "BackendDict"]
