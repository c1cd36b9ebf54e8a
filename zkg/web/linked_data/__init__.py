"""The web area of linked data: entity pages, data documents and the home page."""
