"""The staged rollout: a plan (``plan``), a pure state machine (``machine``), gate evaluators
at the edge (``gates``), the rollout's own state store (``records``) and the operations that
tie them to the service stores (``operations``).

May import: ``savings``, ``caching``, ``services`` and below; never ``commands``, ``cli``, ``render``.
"""
