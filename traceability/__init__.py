"""Batches, events and QR codes: the batch is the unit of truth. Builds on core and catalog."""
