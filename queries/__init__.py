"""The example SPARQL queries shipped with arxiv-kg (package data: *.rq)."""
