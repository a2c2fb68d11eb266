"""EPCIS 2.0 for other systems: canonical event hash ids, partners with API tokens, capture and query."""
