"""The KG folder: persisted tables, summary counts, and the networkx view of the KG."""
