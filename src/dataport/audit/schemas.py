"""Audit events as the API and CLI show them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    org_id: uuid.UUID | None
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
