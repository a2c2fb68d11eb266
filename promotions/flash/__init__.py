"""Flash sales (积分抢购 / 秒杀): a fixed number of units of a product for points, a start and an end, a limit
per buyer, and a fair answer to everyone however many press the button in the same second."""
