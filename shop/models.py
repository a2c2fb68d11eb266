"""Every model of every layer, imported once so the metadata (and Alembic) sees the whole schema."""

from catalog.models import Producer, ProducerMember
from core.models import Region, User
from shop.procurement.models import Institution, InstitutionMember

__all__ = ["Institution", "InstitutionMember", "Producer", "ProducerMember", "Region", "User"]
