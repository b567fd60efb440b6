"""Everything optctl prints: rich for people (onto the ``Console`` the CLI passes in), JSON for
machines (``JSON_OUTPUT_VERSION``). Formatting only, over result objects: no sums, diffs or clocks.

May import: ``commands`` (result types) and the layers below; never ``cli``.
"""
