"""SHACL validation: whole, incremental, the reach of shapes, focus targets and peers."""
