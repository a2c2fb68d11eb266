"""The administrator's pages for EPCIS partners: register a partner and issue or revoke its tokens."""
