"""Promotions (满减, discounts on chosen products, free shipping): who creates them, how a cart is priced,
budgets and reports."""
