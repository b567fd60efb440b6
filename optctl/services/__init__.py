"""The control plane's verbs over the stores: change plans (``changes``, pure), leaf diffs
(``diff``, pure), the status matrix (``status``, pure), the reads and atomic writes behind
them (``actions``), and the bundled examples (``examples``).

May import: ``stores``, ``settings``, ``contract``, ``providers``, ``documents``, ``errors``.
"""
