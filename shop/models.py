"""Every model of every layer, imported once so the metadata (and Alembic) sees the whole schema."""

from catalog.counts.models import CatalogCount
from catalog.producers.models import Producer, ProducerInvitation, ProducerMember
from catalog.products.models import (
    Certification,
    PriceTier,
    Product,
    ProductImage,
    ProductSearchDocument,
    QualityMark,
    RetiredGtin,
)
from catalog.questions.models import Question
from channels.assistance.models import AssistanceGroup, AssistanceGroupMember, AssistanceGroupTarget
from channels.counters.models import ConsignedStock, Consignment, Counter, CounterRefund, CounterSale
from channels.groupbuy.models import GroupDelivery, GroupLeader, GroupOrder, GroupProduct, GroupRound
from channels.livestreams.models import LiveOrder, LiveProduct, LiveSession, LiveSharer
from core.audit.services import AuditEntry
from core.models import Region, User
from core.notifications.models import Notification
from core.tokens.services import ApiToken
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    LineDiscount,
    Order,
    OrderLine,
    Rating,
    ShippingRule,
)
from orders.reviews.models import ProducerRatingSummary, ProductRatingSummary, RatingReply
from oversight.aftersales.models import AftersalesLine, AftersalesRequest
from oversight.complaints.models import Complaint
from oversight.prices.models import PriceAlert, PriceChange, ReferencePrice
from oversight.sampling.models import QualitySample
from oversight.standing.models import ProducerStanding
from payments.models import (
    Payment,
    Refund,
    RefundLine,
    StripeEvent,
)
from procurement.institutions.models import (
    AnnualPlan,
    Institution,
    InstitutionMember,
    StaffLink,
)
from procurement.ordering.models import (
    PurchaseOrder,
    Quote,
    QuoteRequest,
    SupplierAllocation,
    SupplierLine,
    SupplierOrder,
)
from promotions.coupons.models import Coupon, CouponBatch, CouponUse
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale
from promotions.offers.models import BuyerUse, Promotion
from promotions.points.models import PointsAccount, PointsEntry
from promotions.sponsors.models import SponsorSalesTotal
from settlement.benefit.models import BenefitLine, BenefitReport
from settlement.payees.models import PayeeAccount
from settlement.payouts.models import Payout
from settlement.statements.models import Statement
from stats.models import (
    CountyBuyerRollup,
    CountyKindRollup,
    CountyMonthlyRollup,
    CountyProductRollup,
    DailyRollup,
    MonthlyRollup,
    SalesEntry,
    Target,
)
from traceability.coldchain.models import ColdChainSummary, SensorReading
from traceability.holds.models import BatchHold
from traceability.interop.models import (
    EpcisCapture,
    EpcisDelivery,
    EpcisEvent,
    EpcisEventLot,
    EpcisSensorReport,
    EpcisSubscription,
    Partner,
    PartnerScope,
    PartnerToken,
)
from traceability.models import (
    Batch,
    BatchLink,
    ComplianceCertificate,
    DailyDigest,
    SerialScan,
    SerialUnit,
    TraceEvent,
)

__all__ = [
    "AftersalesLine",
    "AftersalesRequest",
    "Allocation",
    "AnnualPlan",
    "ApiToken",
    "AssistanceGroup",
    "AssistanceGroupMember",
    "AssistanceGroupTarget",
    "AuditEntry",
    "Batch",
    "BatchHold",
    "BatchLink",
    "BenefitLine",
    "BenefitReport",
    "BuyerUse",
    "CartItem",
    "CatalogCount",
    "Certification",
    "Checkout",
    "ColdChainSummary",
    "Complaint",
    "ComplianceCertificate",
    "ConsignedStock",
    "Consignment",
    "Counter",
    "CounterRefund",
    "CounterSale",
    "CountyBuyerRollup",
    "CountyKindRollup",
    "CountyMonthlyRollup",
    "CountyProductRollup",
    "Coupon",
    "CouponBatch",
    "CouponUse",
    "DailyDigest",
    "DailyRollup",
    "EpcisCapture",
    "EpcisDelivery",
    "EpcisEvent",
    "EpcisEventLot",
    "EpcisSensorReport",
    "EpcisSubscription",
    "FlashBuyer",
    "FlashPurchase",
    "FlashSale",
    "GroupDelivery",
    "GroupLeader",
    "GroupOrder",
    "GroupProduct",
    "GroupRound",
    "Institution",
    "InstitutionMember",
    "LineDiscount",
    "LiveOrder",
    "LiveProduct",
    "LiveSession",
    "LiveSharer",
    "MonthlyRollup",
    "Notification",
    "Order",
    "OrderLine",
    "Partner",
    "PartnerScope",
    "PartnerToken",
    "PayeeAccount",
    "Payment",
    "Payout",
    "PointsAccount",
    "PointsEntry",
    "PriceAlert",
    "PriceChange",
    "PriceTier",
    "Producer",
    "ProducerInvitation",
    "ProducerMember",
    "ProducerRatingSummary",
    "ProducerStanding",
    "Product",
    "ProductImage",
    "ProductRatingSummary",
    "ProductSearchDocument",
    "Promotion",
    "PurchaseOrder",
    "QualityMark",
    "QualitySample",
    "Question",
    "Quote",
    "QuoteRequest",
    "Rating",
    "RatingReply",
    "ReferencePrice",
    "Refund",
    "RefundLine",
    "Region",
    "RetiredGtin",
    "SalesEntry",
    "SensorReading",
    "SerialScan",
    "SerialUnit",
    "ShippingRule",
    "SponsorSalesTotal",
    "StaffLink",
    "Statement",
    "StripeEvent",
    "SupplierAllocation",
    "SupplierLine",
    "SupplierOrder",
    "Target",
    "TraceEvent",
    "User",
]
