"""Typed records and reference vocabularies (arXiv taxonomy): the bottom layer."""
