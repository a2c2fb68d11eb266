"""Reviews: the ratings buyers give after receipt, shown on the public product and producer pages (through
the catalog's signals) with running averages, and the producer's one reply to each."""
