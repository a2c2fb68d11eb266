"""Holds: a batch kept off sale while something about it is checked (a cold-chain excursion, a sample)."""
