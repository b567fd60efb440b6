"""The ``optctl`` console script: ``optctl --version`` is answered before typer is imported.

Scripts and health checks run ``--version`` often, and importing typer and the command tree
costs several times the interpreter's own start-up; every other invocation goes to
``optctl.cli.app.main`` unchanged.
"""

import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from optctl import __version__

        sys.stdout.write(f"optctl {__version__}\n")
        return 0
    from optctl.cli.app import main as run

    return run()
