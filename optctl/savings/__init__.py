"""What caching really did: measured usage per service and environment, before and after caching
was enabled, priced from the rules table, as a report (``optctl savings``) and as a rollout gate.

Sources (``usage``, and ``admin_api`` / ``analytics_api`` over ``admin_http``) turn provider data
into ``UsageRecord`` values, ``sources`` picks one; ``attribution`` maps the Admin API's rows to
services through optctl.toml; ``report`` and ``gate`` are pure arithmetic and decisions; ``evaluate``
is the gate's edge that the rollout machinery calls.

May import: ``caching``, ``services`` and below; never ``rollout`` (the rollout calls in).
"""
