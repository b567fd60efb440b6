"""Prompt caching as the provider sees it: what a request caches, and what it costs.

Pure modules take data and return data: ``rules`` (the dated provider table, ``models.json``),
``request`` (fixtures into one request model), ``tokens``/``bpe``/``media`` (counting),
``placement`` (the deployed wrapper, an optimal injector, and the provider's verdict),
``pricing``, ``emit`` (the request with markers) and ``dryrun`` (one report per fixture).
The edges are ``fixtures`` and ``run`` (reading files and stores) and ``count_api`` (HTTP).
"""
