"""Cold chain: sensor readings of a batch, the safe range of its product, excursions and the curve."""
