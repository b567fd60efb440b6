"""optctl: the control plane for LLM prompt-caching rollouts.

The package is a library first (``optctl.contract``, ``optctl.stores``, ``optctl.rollout``,
``optctl.caching``) with a CLI on top (``optctl.cli``).
"""

__version__ = "0.1.0"
