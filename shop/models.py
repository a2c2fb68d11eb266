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
)
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
from promotions.offers.models import BuyerUse, Promotion
from promotions.points.models import PointsAccount, PointsEntry
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
    "AuditEntry",
    "Batch",
    "BatchLink",
    "BenefitLine",
    "BenefitReport",
    "BuyerUse",
    "CartItem",
    "CatalogCount",
    "Certification",
    "Checkout",
    "Complaint",
    "ComplianceCertificate",
    "CountyBuyerRollup",
    "CountyKindRollup",
    "CountyMonthlyRollup",
    "CountyProductRollup",
    "Coupon",
    "CouponBatch",
    "CouponUse",
    "DailyDigest",
    "DailyRollup",
    "Institution",
    "InstitutionMember",
    "LineDiscount",
    "MonthlyRollup",
    "Notification",
    "Order",
    "OrderLine",
    "PayeeAccount",
    "Payment",
    "Payout",
    "PointsAccount",
    "PointsEntry",
    "PriceTier",
    "Producer",
    "ProducerInvitation",
    "ProducerMember",
    "ProducerRatingSummary",
    "Product",
    "ProductImage",
    "ProductRatingSummary",
    "ProductSearchDocument",
    "Promotion",
    "PurchaseOrder",
    "QualityMark",
    "Quote",
    "QuoteRequest",
    "Rating",
    "RatingReply",
    "Refund",
    "RefundLine",
    "Region",
    "SalesEntry",
    "SerialScan",
    "SerialUnit",
    "ShippingRule",
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
