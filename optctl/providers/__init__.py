"""The provider rules table: every number about caching (prices, minimum cacheable prefixes,
TTLs, breakpoint limits), dated and sourced in ``models.json`` or a ``--models-file``, and the
questions asked of it. Passed into the contract's semantic checks and into dry-run as a value.

May import: ``documents``, ``errors``.
"""
