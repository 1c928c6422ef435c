"""Keeps `invoke` out of the process, imported by the package before anything imports paramiko.

paramiko's ssh_config parser imports `invoke` only to run "Match exec" lines; the app never reads an
ssh_config, and the import costs ~60 ms of every command's start-up (a fifth of `sodclient send`'s imports,
measured with `python -X importtime`; issue 14). paramiko handles the missing module itself.
"""

import sys

sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]
