"""Where a sale happened: one definition for the order that records it and the ledger that counts it."""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    """The sales channel, recorded on the order at the moment of sale and copied onto its ledger entries."""

    ONLINE = "online"  # consumer shop
    PROCUREMENT = "procurement"  # institutional purchase order
    STAFF = "staff"  # consumer shop, linked by the buyer to their employer (职工个人)
    LIVESTREAM = "livestream"  # an order placed through a livestream or its sharer's link (直播带货)
    COUNTER = "counter"  # sold at a dedicated hall, counter or zone (专馆/专柜/专区)
    FAIR = "fair"  # sold at a fair: a counter open between two dates (展销会)
    GROUP_BUY = "group_buy"  # community group-buying (社区团购)
