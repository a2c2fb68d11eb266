"""Consumer orders: cart, checkout, stock reservation, fulfilment, refunds and ratings."""
