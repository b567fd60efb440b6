"""The ``optctl`` console script: ``optctl --version`` is answered before typer is imported.

Scripts and health checks run ``--version`` often, and importing typer and the command tree
costs several times the interpreter's own start-up; every other invocation goes to
``optctl.cli.app.main`` unchanged.

What importing the CLI builds (typer, its click, optctl's modules: tens of thousands of objects)
lives until the process ends. So the cyclic garbage collector is paused while it is imported and
then told to leave those objects alone (``gc.freeze``): it would otherwise walk them again and
again during the imports and once more at exit, which is a fifth of the CPU of a short command
such as ``status`` (issue 12). Everything the command itself allocates is collected as usual.
Only the console script does this; ``optctl.cli.app.main``, which tests call in process, does not.
"""

import gc
import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from optctl import __version__

        sys.stdout.write(f"optctl {__version__}\n")
        return 0
    gc.disable()
    try:
        from optctl.cli.app import main as run
    finally:
        gc.freeze()
        gc.enable()
    return run()
