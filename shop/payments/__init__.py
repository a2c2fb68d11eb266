"""Payments: Stripe PaymentIntents (card, Alipay, WeChat Pay) behind one seam, offline methods and refunds."""
