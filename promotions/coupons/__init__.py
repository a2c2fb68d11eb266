"""Coupons: batches of codes tied to a promotion, claimed by consumers or printed and handed out, used
at checkout."""
