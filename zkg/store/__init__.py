"""The stores: the local pyoxigraph store, the remote engine, the managed engine, loading and the dataset version. Imports zkg.base and zkg.rdf."""
