"""Who may use a promotion, a coupon's promotion or a flash sale: everyone, new buyers, staff of an
institution, or residents of a partner city invited with a code."""
