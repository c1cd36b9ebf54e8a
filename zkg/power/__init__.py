"""Tools for researchers: canned queries, completion, reconciliation and the OpenAPI document."""
