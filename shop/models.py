"""Every model of every layer, imported once so the metadata (and Alembic) sees the whole schema."""

from catalog.models import Producer, ProducerInvitation, ProducerMember
from catalog.product_models import Certification, PriceTier, Product, ProductImage, QualityMark
from core.audit import AuditEntry
from core.models import Region, User
from shop.procurement.models import Institution, InstitutionMember
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
    "AuditEntry",
    "Batch",
    "BatchLink",
    "Certification",
    "ComplianceCertificate",
    "DailyDigest",
    "Institution",
    "InstitutionMember",
    "PriceTier",
    "Producer",
    "ProducerInvitation",
    "ProducerMember",
    "Product",
    "ProductImage",
    "QualityMark",
    "Region",
    "SerialScan",
    "SerialUnit",
    "TraceEvent",
    "User",
]
