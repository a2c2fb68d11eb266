"""Producers, their certified products and the public catalog. Builds on core only."""
