"""GS1-Conformant resolver: the description document, linksets, link types and canonical Digital Links."""
