"""Institutional buyers and their bulk procurement."""
