"""Running the real CLI in process, as every acceptance test does: one runner, one set of checks."""

from __future__ import annotations

from collections.abc import Iterable

from optctl.cli.app import main


def run(capsys, *argv: object, never: Iterable[str] = ()) -> tuple[int, str, str]:
    """``main(argv)`` with its exit code, stdout and stderr; no run may show a traceback or any of ``never``."""
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    leaked = [secret for secret in never if secret in out + err]
    assert not leaked, f"{len(leaked)} secret(s) in the output"
    return code, out, err
