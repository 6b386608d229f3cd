"""`arxiv-kg report`: one self-contained HTML page of the figures a bibliometrician expects.

selection (filters -> the papers a report covers), network (the co-author projection and its
measures, behind one function), series and counts (aggregates read from the Parquet tables
with pyarrow), quality (rejections, name cleaning, variants), figures (matplotlib -> inline
SVG), page (the HTML), build (all of it, written atomically).
"""
