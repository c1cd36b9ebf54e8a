"""What a page or a data document of an IRI says: descriptions, facts, labels, search, charts, dumps and term pages."""
