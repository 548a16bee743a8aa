"""The detector registry: every module in ``classify.detectors`` that defines ``DETECTOR``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from dataport.classify import detectors as detectors_package
from dataport.classify.detectors.base import Detector
from dataport.classify.errors import DetectorRegistryError, UnknownCategory

#: Category ids other tools read from scan results: they may grow, never be renamed.
STABLE_CATEGORIES: tuple[str, ...] = (
    "cn_resident_id",
    "foreigner_permanent_id",
    "hk_macau_permit",
    "taiwan_permit",
    "passport",
    "cn_mobile",
    "cn_landline",
    "email",
    "person_name",
    "address",
    "bank_card",
    "cn_uscc",
    "cn_license_plate",
    "imei",
    "vin",
    "ip_address",
    "mac_address",
    "gps_coordinate",
    "birth_date",
    "biometric",
    "religion",
    "ethnicity",
    "health",
    "financial_account",
    "location_trace",
    "minor",
    "criminal_record",
    "sexual_orientation",
    "hk_id_card",
    "macau_id_card",
    "taiwan_id_card",
    "military_id",
    "medical_insurance",
)

_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: Modules of the package that are not detectors.
_NOT_DETECTORS = frozenset({"base"})


def _load(package_name: str, module_names: list[str]) -> tuple[Detector, ...]:
    found: dict[str, Detector] = {}
    for name in module_names:
        module = importlib.import_module(f"{package_name}.{name}")
        detector = getattr(module, "DETECTOR", None)
        if not isinstance(detector, Detector):
            raise DetectorRegistryError(
                f"detector module {name} must define DETECTOR as a Detector",
                f"检测器模块 {name} 必须定义 Detector 类型的 DETECTOR",
            )
        if not _CATEGORY_ID.match(detector.category):
            raise DetectorRegistryError(
                f"detector module {name}: category id {detector.category!r} is not snake_case",
                f"检测器模块 {name}：类别标识 {detector.category!r} 不是 snake_case",
            )
        if detector.category in found:
            raise DetectorRegistryError(
                f"category {detector.category!r} is declared twice",
                f"类别 {detector.category!r} 被重复声明",
            )
        found[detector.category] = detector
    missing = [c for c in STABLE_CATEGORIES if c not in found]
    if missing:
        raise DetectorRegistryError(
            f"no detector for stable categories: {', '.join(missing)}",
            f"以下稳定类别缺少检测器：{', '.join(missing)}",
        )
    for detector in found.values():
        unknown = [c for c in detector.yields_to if c not in found]
        if unknown:
            raise DetectorRegistryError(
                f"{detector.category} yields to unknown categories: {', '.join(unknown)}",
                f"{detector.category} 让位的类别不存在：{', '.join(unknown)}",
            )
    return tuple(found[c] for c in sorted(found))


@cache
def all_detectors() -> tuple[Detector, ...]:
    """Every registered detector, ordered by category id."""
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(detectors_package.__path__)
        if not m.name.startswith("_") and m.name not in _NOT_DETECTORS
    )
    return _load(detectors_package.__name__, names)


def detector_for(category: str) -> Detector:
    """The detector of one category id."""
    for detector in all_detectors():
        if detector.category == category:
            return detector
    raise UnknownCategory(
        f"unknown category {category!r}", f"未知类别 {category!r}", field="category"
    )
