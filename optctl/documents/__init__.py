"""Reading inputs (JSON, JSON Lines, YAML) with positions kept, the guards against hostile
inputs, and redacting secrets.

May import: ``errors`` only.
"""
