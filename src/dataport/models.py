"""Every domain's tables, imported in one place so the metadata (and migrations) see them all."""

from dataport.assessment.models import Application, ApplicationEvent, Approval
from dataport.audit.models import AuditEvent
from dataport.catalog.models import Dataset, DatasetRight, DatasetVersion
from dataport.classify.models import DatasetScan, ImportantDataItem
from dataport.db import Base
from dataport.identity.models import ApiToken, Member, Organisation, SigninFailure, WebSession
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerLog, LedgerTile
from dataport.supervision.models import SpotCheckCampaign, SpotCheckItem
from dataport.transfer.models import Destination, Transfer

__all__ = [
    "ApiToken",
    "Application",
    "ApplicationEvent",
    "Approval",
    "AuditEvent",
    "Base",
    "Dataset",
    "DatasetRight",
    "DatasetScan",
    "DatasetVersion",
    "Destination",
    "ImportantDataItem",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerLog",
    "LedgerTile",
    "Member",
    "Organisation",
    "SigninFailure",
    "SpotCheckCampaign",
    "SpotCheckItem",
    "Transfer",
    "WebSession",
]
