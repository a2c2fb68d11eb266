"""Supplier standing (动态管理): a score per producer from what buyers and the county office found, its
reasons shown to the producer, and the county reviewer's decision to warn, restrict (no new listings) or
suspend — never automatic, always audited and told to the producer's members."""
