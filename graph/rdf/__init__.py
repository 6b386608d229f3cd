"""RDF: the KG-to-RDF mapping, the embedded SPARQL store, the read-only endpoint."""
