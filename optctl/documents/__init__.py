"""Reading inputs (JSON, JSON Lines, YAML) with positions kept, and redacting secrets."""
