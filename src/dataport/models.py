"""Every domain's tables, imported in one place so the metadata (and migrations) see them all."""

from dataport.audit.models import AuditEvent
from dataport.catalog.models import Dataset, DatasetRight, DatasetVersion
from dataport.db import Base
from dataport.identity.models import ApiToken, Member, Organisation

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Dataset",
    "DatasetRight",
    "DatasetVersion",
    "Member",
    "Organisation",
]
