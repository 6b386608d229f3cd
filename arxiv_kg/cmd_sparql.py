"""CLI commands (placeholder)."""
COMMANDS: list = []
