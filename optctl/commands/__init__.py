"""One plain function per command: plain arguments and an ``edges.Edges`` in, a result object
(a dataclass carrying ``exit_code`` and, for commands that use a project, its ``RunContext``) out.
Never prints, never asks: the CLI injects the terminal through ``Edges``.

May import: ``rollout``, ``savings``, ``caching``, ``services`` and below; never ``cli``, ``render``, typer or rich.
"""
