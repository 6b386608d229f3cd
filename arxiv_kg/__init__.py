"""arxiv-kg command-line application."""
