"""The web area of curation: forms, sign-in sessions, history, the Graph Store protocol, SPARQL Update and uploads."""
