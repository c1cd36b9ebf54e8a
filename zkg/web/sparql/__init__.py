"""The web area of the SPARQL endpoint: /sparql, the service description and the editor."""
