"""arxiv-kg core: parse digests, normalise, merge, build and analyse the knowledge graph."""
