"""Exporters: one module per format, registered in EXPORTERS (name -> writer)."""
