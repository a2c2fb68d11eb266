"""What each sponsor's promotions brought: a running total of the sales of the lines they discounted, kept in
the transaction of each payment and refund, and rebuilt from the orders when asked."""
