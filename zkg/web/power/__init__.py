"""The web area of the power tools: canned queries, completion and reconciliation."""
