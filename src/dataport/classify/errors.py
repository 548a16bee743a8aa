"""Errors of classification: a broken detector registry, an unknown category."""

from __future__ import annotations

from typing import ClassVar

from dataport.errors import DataportError, NotFound


class DetectorRegistryError(DataportError):
    """A detector module is missing, malformed or duplicates another: a defect of the package."""

    code: ClassVar[str] = "detector_registry_invalid"
    http_status: ClassVar[int] = 500


class UnknownCategory(NotFound):
    """A category id that no detector declares."""

    code: ClassVar[str] = "unknown_category"
