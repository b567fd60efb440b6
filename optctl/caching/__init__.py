"""Prompt caching as the provider sees it: what a request caches, and what it costs.

Pure modules take data and return data: ``request`` (fixtures into one request model),
``tokens/`` (counting: ``counters``, the BPE engine adapter ``bpe``; ``count_api`` is the HTTP edge),
``media``, ``placement`` (the deployed wrapper, an optimal injector, and the provider's verdict),
``pricing``, ``emit`` (the request with markers) and ``analysis`` (one report per fixture).
``inputs`` reads fixtures through ``optctl.documents``. The rules table comes from
``optctl.providers``; reading a store's config is ``optctl.commands.dryrun``'s.

May import: ``services`` and below (``contract``, ``providers``, ``documents``, ``errors``).
"""
