"""What the demo's buyers write about what they received, what sellers answer, and why money went back."""

from __future__ import annotations

from catalog.products.models import Category

#: Reviews by category: (product stars, text); the text may be empty (stars only).
REVIEWS: dict[str, tuple[tuple[int, str], ...]] = {
    "vegetables": (
        (5, "辣椒很新鲜，到货还带着露水，炒肉特别香。"),
        (4, "菜品不错，就是路上走了三天，有两个有点软了。"),
        (5, "单位食堂一直买疏勒的菜，品质稳定。"),
        (3, "个头大小不太均匀，味道还可以。"),
    ),
    "fruit": ((5, "甜瓜很甜，孩子很喜欢。"), (4, "味道好，包装再结实一点就更好了。")),
    "meat": (
        (5, "肉质紧实，有嚼劲，冷链到货还是冻着的。"),
        (5, "腊肉烟熏味正宗，和小时候吃的一个味道，过年又回购了。"),
        (4, "味道很好，就是偏咸，做之前要多泡一会儿。"),
        (3, "肉不错，但快递比预计晚了一天。"),
    ),
    "processed": ((5, "牦牛肉干很有嚼劲，办公室同事都说好吃。"), (4, "香肠麻辣味很足，微辣的口味也想要。")),
    "dried_fruit_nuts": (
        (5, "枣子个大肉厚，很甜，送长辈很体面。"),
        (4, "核桃皮薄好剥，有几个是空的。"),
        (5, "第三次买了，品质一直很好。"),
    ),
    "honey": ((5, "蜂蜜结晶细腻，有花香，是真正的土蜂蜜。"), (4, "味道好，瓶子包得很仔细，没有碎。")),
    "tea": ((5, "雪菊泡出来颜色很漂亮，有股清香。"), (4, "茶不错，散装的希望能有小包装。")),
}
DEFAULT_REVIEWS = ((5, "东西很好，支持脱贫地区的农产品。"), (4, "不错，会再买。"))
#: Every fifth review is stars only.
NO_TEXT_EVERY = 5

REPLIES = (
    "谢谢您的支持！我们会继续把好品质关，欢迎常来。",
    "感谢反馈，已提醒仓库加强包装，下次发货会更仔细。",
    "谢谢您！合作社的脱贫户看到好评都很高兴。",
)

REFUND_REASONS = (
    "运输途中一件包装破损，协商退款",
    "买家收到后发现部分商品变质，退回货款",
    "发错规格，按实际差价退款",
)


def review_for(category: Category, seq: int) -> tuple[int, str | None]:
    """The stars and text of the ``seq``-th demo review of a product of ``category``."""
    choices = REVIEWS.get(str(category), DEFAULT_REVIEWS)
    stars, text = choices[seq % len(choices)]
    return stars, None if seq % NO_TEXT_EVERY == 1 else text
