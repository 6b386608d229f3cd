"""The co-author network: projection, measures, author lookup."""
