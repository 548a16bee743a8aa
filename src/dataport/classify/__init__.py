"""Classification: find personal, sensitive and other regulated data in columns, vectorised.

Public API::

    scan_column(series, name)       -> ColumnScan: per category the values matched, their
                                       ratio, a confidence and masked examples
    find_matches(detector, series)  -> every valid value of one category, by row
    all_detectors()                 -> every registered Detector; detector_for(id) -> one
    count_minors(ids, as_of)        -> resident IDs of children under 14 at a date
"""

from dataport.classify.column import (
    DEFAULT_MIN_CONFIDENCE,
    CategoryHit,
    ColumnScan,
    as_text,
    find_matches,
    scan_column,
)
from dataport.classify.detectors.base import (
    Detector,
    Scope,
    Sensitivity,
    ValuePattern,
    Vocabulary,
)
from dataport.classify.minors import MINOR_AGE, birth_date_from_id, count_minors, is_minor_id
from dataport.classify.registry import STABLE_CATEGORIES, all_detectors, detector_for

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "MINOR_AGE",
    "STABLE_CATEGORIES",
    "CategoryHit",
    "ColumnScan",
    "Detector",
    "Scope",
    "Sensitivity",
    "ValuePattern",
    "Vocabulary",
    "all_detectors",
    "as_text",
    "birth_date_from_id",
    "count_minors",
    "detector_for",
    "find_matches",
    "is_minor_id",
    "scan_column",
]
