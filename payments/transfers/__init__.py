"""The platform's bank-transfer desk: checkouts awaiting a transfer to the platform's account, confirmed by
a platform administrator once per checkout."""
