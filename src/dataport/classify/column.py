"""Scan one column: the categories its values and name show, how many, how sure, masked examples.

Each detector is one Polars query over the column; per-row work is regex extraction and checksum
expressions. Python only combines a few numbers per detector at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dataport.classify import minors
from dataport.classify.clock import china_today
from dataport.classify.detectors.base import Detector, Scope, Sensitivity
from dataport.classify.registry import all_detectors

#: Below this confidence a category is not reported for a column.
DEFAULT_MIN_CONFIDENCE = 0.5
#: How far a column name that agrees with the values closes the gap to certainty.
CONTEXT_LIFT = 0.5
#: Masked examples reported per category.
EXAMPLES = 3
#: Rows read to pick examples; examples need a few values, not a pass over the column.
_EXAMPLE_ROWS = 50
#: Numbers this close together on average were allocated in sequence (user or order ids),
#: while real phone numbers of different people are spread over billions.
_DENSE_GAP = 100
_DENSE_MIN_VALUES = 20
#: Minors are derived from the birth dates in resident IDs.
_ID_CATEGORY = "cn_resident_id"
_MINOR_CATEGORY = "minor"
_VALUE = "value"
_ROW = "row"
_CANDIDATE = "candidate"
_SCORE = "score"


@dataclass(frozen=True, slots=True)
class CategoryHit:
    """One category found in a column."""

    category: str
    #: Non-null values holding at least one valid instance of the category.
    matched: int
    #: ``matched`` over the column's non-null values.
    ratio: float
    confidence: float
    #: Up to three distinct masked values, never the raw personal data.
    examples: tuple[str, ...]
    #: Whether the column name speaks of this category.
    name_matched: bool
    #: What PIPL makes of the category.
    sensitivity: Sensitivity


@dataclass(frozen=True, slots=True)
class ColumnScan:
    """What one column holds."""

    name: str | None
    non_null: int
    #: Reported categories, most confident first.
    hits: tuple[CategoryHit, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        """Category ids of the hits, most confident first."""
        return tuple(h.category for h in self.hits)

    def sensitivity(self) -> Sensitivity:
        """The strongest PIPL status among the hits."""
        found = {h.sensitivity for h in self.hits}
        for level in (Sensitivity.SENSITIVE, Sensitivity.PERSONAL):
            if level in found:
                return level
        return Sensitivity.NOT_PERSONAL


@dataclass(frozen=True, slots=True)
class _Evidence:
    valid_rows: int
    candidate_rows: int
    mean_score: float
    examples: tuple[str, ...]
    dense: bool


def as_text(values: pl.Series) -> pl.Series:
    """The column as trimmed strings, empty cells as null; nested and binary values as null."""
    dtype = values.dtype
    if dtype == pl.String:
        text = values
    elif (
        dtype.is_numeric()
        or dtype.is_temporal()
        or dtype in (pl.Boolean, pl.Categorical)
        or isinstance(dtype, pl.Enum)
    ):
        text = values.cast(pl.String)
    else:
        # Images, blobs and nested records carry no text to match; the column name still counts.
        text = pl.Series(values.name, [None] * len(values), dtype=pl.String)
    stripped = text.str.strip_chars()
    return stripped.set(stripped.str.len_chars() == 0, None)


def _candidates(
    detector: Detector, text: pl.LazyFrame, others: Sequence[Detector], *, context: bool
) -> pl.LazyFrame:
    """One row per candidate value (``row``, normalised ``candidate``) of the column.

    TEXT scope: every extracted look-alike, valid or not, since how many of them fail is
    evidence. CELL scope: only cells shaped like the category (every cell is a candidate,
    counted by the caller). Look-alikes that are valid values of ``others`` are dropped.
    """
    value = pl.col(_VALUE)
    if detector.scope is Scope.TEXT:
        pattern = detector.candidate or ""  # never empty: Detector.__post_init__ checks it
        found = text.select(_ROW, value.str.extract_all(pattern)).explode(_VALUE)
    else:
        found = text
    candidates = found.drop_nulls(_VALUE).select(_ROW, detector.normalise(value).alias(_CANDIDATE))
    if detector.scope is Scope.CELL:
        candidates = candidates.filter(detector.has_shape(pl.col(_CANDIDATE), context=context))
    for other in others:
        # Chained filters run in order, so validators only see values of the right shape.
        taken = (
            candidates.filter(other.has_shape(pl.col(_CANDIDATE), context=True))
            .filter(other.is_valid(pl.col(_CANDIDATE)))
            .unique()
        )
        candidates = candidates.join(taken, on=[_ROW, _CANDIDATE], how="anti")
    return candidates


def _scored(detector: Detector, candidates: pl.LazyFrame, *, context: bool) -> pl.LazyFrame:
    """The valid candidates with their ``score``; validators run on well-shaped values only."""
    value = pl.col(_CANDIDATE)
    return (
        candidates.filter(detector.has_shape(value, context=context))
        .with_columns(detector.value_score(value, context=context).alias(_SCORE))
        .filter(pl.col(_SCORE).is_not_null())
    )


def find_matches(detector: Detector, values: pl.Series, *, context: bool = False) -> pl.DataFrame:
    """Every valid instance of a category in ``values``: ``row``, normalised ``value``, ``score``.

    ``context`` says whether the column name supports the category, which admits the value
    forms that need it. Look-alikes of the categories ``detector`` yields to are left out.
    """
    by_category = {d.category: d for d in all_detectors()}
    others = [by_category[c] for c in detector.yields_to if c in by_category]
    frame = pl.LazyFrame({_VALUE: as_text(values)}).with_row_index(_ROW)
    candidates = _candidates(detector, frame, others, context=context)
    return (
        _scored(detector, candidates, context=context)
        .select(pl.col(_ROW), pl.col(_CANDIDATE).alias("value"), pl.col(_SCORE))
        .sort(_ROW, maintain_order=True)
        .collect()
    )


def _evidence_frame(
    detector: Detector,
    text: pl.LazyFrame,
    *,
    context: bool,
    others: Sequence[Detector],
    as_of: dt.date,
    non_null: int,
) -> pl.LazyFrame:
    """A one-row frame of the evidence for one detector in the column."""
    candidates = _candidates(detector, text, others, context=context)
    valid = pl.col(_CANDIDATE)
    examples = valid.head(_EXAMPLE_ROWS).unique(maintain_order=True).head(EXAMPLES)
    aggregates = [
        pl.col(_ROW).n_unique().alias("valid"),
        pl.col(_SCORE).mean().alias("score"),
        detector.mask(examples).implode().alias("examples"),
    ]
    if detector.dense_numbers_are_ids:
        numbers = valid.str.replace_all(r"\D", "").cast(pl.Int64, strict=False).drop_nulls()
        distinct = numbers.n_unique()
        spread = numbers.max() - numbers.min()
        aggregates.append(
            ((distinct >= _DENSE_MIN_VALUES) & (spread < _DENSE_GAP * distinct)).alias("dense")
        )
    if detector.category == _ID_CATEGORY:
        # Validity is already known here, so only the age is computed.
        is_minor = minors.age_from_id(valid, as_of) < minors.MINOR_AGE
        minor_examples = valid.filter(is_minor).head(_EXAMPLE_ROWS).unique(maintain_order=True)
        aggregates += [
            pl.col(_ROW).filter(is_minor).n_unique().alias("minors"),
            detector.mask(minor_examples.head(EXAMPLES)).implode().alias("minor_examples"),
        ]
    evidence = _scored(detector, candidates, context=context).select(aggregates)
    if detector.scope is Scope.CELL:
        # Every non-null cell is a candidate of a CELL-scope detector.
        counted = pl.LazyFrame({"candidates": [non_null]})
    else:
        counted = candidates.select(pl.col(_ROW).n_unique().alias("candidates"))
    return pl.concat([evidence, counted], how="horizontal")


def _confidence(detector: Detector, evidence: _Evidence, *, context: bool) -> float:
    """How sure we are that the column holds the category.

    Candidates (look-alikes) that pass validation no more often than ``chance`` say nothing:
    the chance-corrected pass rate ``kappa`` keeps a column of serial numbers, of which one in
    ten passes Luhn, from being taken for bank cards. ``support`` discounts a single weak match.
    A column name that agrees lifts the confidence; it never creates value evidence.
    """
    confidence = 0.0
    if evidence.valid_rows and evidence.candidate_rows:
        purity = evidence.valid_rows / evidence.candidate_rows
        kappa = max(0.0, (purity - detector.chance) / (1.0 - detector.chance))
        support = 1.0 - detector.chance**evidence.valid_rows
        strength = kappa * support
        confidence = evidence.mean_score * strength
        if context:
            confidence += (1.0 - confidence) * CONTEXT_LIFT * strength
    if evidence.dense:
        confidence = 0.0
    if context and detector.header_score is not None:
        confidence = max(confidence, detector.header_score)
    return round(min(confidence, 1.0), 4)


def scan_column(
    values: pl.Series,
    name: str | None = None,
    *,
    as_of: dt.date | None = None,
    detectors: Sequence[Detector] | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> ColumnScan:
    """Find the categories of personal and other regulated data in one column.

    ``name`` defaults to the series name; ``as_of`` (default: today in China) is the date at
    which ages are computed for the minors derived from resident IDs.
    """
    column_name = values.name if name is None else name
    as_of = as_of or china_today()
    chosen = tuple(all_detectors() if detectors is None else detectors)
    by_category = {d.category: d for d in all_detectors()} | {d.category: d for d in chosen}
    text = as_text(values)
    non_null = len(text) - text.null_count()
    context = {d.category: d.vocabulary.matches(column_name) for d in chosen}

    valued = [d for d in chosen if d.patterns]
    results: dict[str, dict[str, object]] = {}
    if valued and non_null:
        frame = pl.LazyFrame({_VALUE: text}).with_row_index(_ROW)
        for detector in valued:
            # One query per detector: each already runs in parallel inside Polars, and on
            # small machines collecting them together was measured slower, not faster.
            plan = _evidence_frame(
                detector,
                frame,
                context=context[detector.category],
                others=[by_category[c] for c in detector.yields_to],
                as_of=as_of,
                non_null=non_null,
            )
            results[detector.category] = plan.collect().row(0, named=True)

    hits: list[CategoryHit] = []
    for detector in chosen:
        key = detector.category
        row = results.get(key, {})
        evidence = _Evidence(
            valid_rows=_int(row.get("valid")),
            candidate_rows=_int(row.get("candidates")),
            mean_score=_float(row.get("score")),
            examples=_strings(row.get("examples")),
            dense=bool(row.get("dense")),
        )
        confidence = _confidence(detector, evidence, context=context[key])
        if confidence >= min_confidence and confidence > 0:
            hits.append(
                CategoryHit(
                    category=key,
                    matched=evidence.valid_rows,
                    ratio=_ratio(evidence.valid_rows, non_null),
                    confidence=confidence,
                    examples=evidence.examples,
                    name_matched=context[key],
                    sensitivity=detector.sensitivity,
                )
            )
    hits = _with_minors(hits, results.get(_ID_CATEGORY, {}), non_null, min_confidence)
    hits.sort(key=lambda h: (-h.confidence, h.category))
    return ColumnScan(name=column_name, non_null=non_null, hits=tuple(hits))


def _with_minors(
    hits: list[CategoryHit], row: dict[str, object], non_null: int, min_confidence: float
) -> list[CategoryHit]:
    """Add (or strengthen) ``minor`` when resident IDs in the column belong to children under 14."""
    id_hit = next((h for h in hits if h.category == _ID_CATEGORY), None)
    count = _int(row.get("minors"))
    if id_hit is None or count == 0 or id_hit.confidence < min_confidence:
        return hits
    header_hit = next((h for h in hits if h.category == _MINOR_CATEGORY), None)
    derived = CategoryHit(
        category=_MINOR_CATEGORY,
        matched=count,
        ratio=_ratio(count, non_null),
        # The birth date is part of a checksummed ID: as sure as the ID itself.
        confidence=max(id_hit.confidence, header_hit.confidence if header_hit else 0.0),
        examples=_strings(row.get("minor_examples")),
        name_matched=header_hit.name_matched if header_hit else False,
        sensitivity=Sensitivity.SENSITIVE,
    )
    return [h for h in hits if h.category != _MINOR_CATEGORY] + [derived]


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()
