"""Terms, text and formats: prefixes, lexical forms, serialisation, result formats, content negotiation and the SPARQL text reader. Imports zkg.base only; no I/O."""
