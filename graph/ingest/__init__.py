"""Digests in, typed records out: parse, repair text, names, links, normalise, merge."""
