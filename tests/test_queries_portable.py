"""The shipped queries are plain SPARQL 1.1 that other stores accept as they are.

`arxiv-kg query` predefines the project's prefixes, but a .rq file pasted into another
store has none: each shipped query declares the prefixes it uses. Two parsers must accept
every file without predefined prefixes: oxigraph's (which also runs it, on an empty store)
and rdflib's. The answers on another engine are compared by bench/virtuoso_compare.py;
test_queries.py checks the answers on oxigraph.
"""
from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql import prepareQuery

from graph.rdf.store import shipped_queries

SHIPPED = shipped_queries()


def text(name: str) -> str:
    return SHIPPED[name].path.read_text("utf-8")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_parses_and_runs_without_predefined_prefixes(name):
    ox.Store().query(text(name))  # an undeclared prefix is a syntax error here
    prepareQuery(text(name))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_declares_only_the_prefixes_it_uses(name):
    body = re.sub(r'"[^"]*"|<[^>]*>|#.*', "", text(name))
    declared = set(re.findall(r"^PREFIX\s+(\w*):", text(name), re.MULTILINE))
    used = set(re.findall(r"(?<![\w?$])([A-Za-z]\w*):\w", body))
    assert declared == used


def test_an_undeclared_prefix_is_refused():
    # the control: without this the first test could pass on predefined prefixes
    with pytest.raises(SyntaxError):
        ox.Store().query("SELECT * WHERE { ?s schema:name ?o }")
