"""Scan one column: the categories its values and name show, how many, how sure, masked examples.

Each detector is one Polars query over the column; per-row work is regex extraction and checksum
expressions. Python only combines a few numbers per detector at the end.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import numpy as np
import polars as pl
import pyarrow.compute as pc
from polars.datatypes import DataTypeClass

from dataport.classify import minors
from dataport.classify.clock import china_today
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, Vocabulary
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


@dataclass(slots=True)
class Evidence:
    """What one detector found in (part of) a column; parts of one column add up with ``merge``.

    A column read in batches gets one ``Evidence`` per batch and detector; merging them gives
    exactly the counts a single pass would, so confidence is computed once, at the end.
    """

    #: Rows holding at least one valid value, and rows holding at least one candidate.
    valid_rows: int = 0
    candidate_rows: int = 0
    score_sum: float = 0.0
    examples: tuple[str, ...] = ()
    #: Batches with enough numbers to judge whether they were allocated in sequence, and how
    #: many of those looked so.
    judged_batches: int = 0
    dense_batches: int = 0
    minors: int = 0
    minor_examples: tuple[str, ...] = ()

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.valid_rows if self.valid_rows else 0.0

    @property
    def dense(self) -> bool:
        return self.judged_batches > 0 and self.dense_batches == self.judged_batches

    def merge(self, other: Evidence) -> Evidence:
        return Evidence(
            valid_rows=self.valid_rows + other.valid_rows,
            candidate_rows=self.candidate_rows + other.candidate_rows,
            score_sum=self.score_sum + other.score_sum,
            examples=_first_distinct(self.examples, other.examples),
            judged_batches=self.judged_batches + other.judged_batches,
            dense_batches=self.dense_batches + other.dense_batches,
            minors=self.minors + other.minors,
            minor_examples=_first_distinct(self.minor_examples, other.minor_examples),
        )


def _first_distinct(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))[:EXAMPLES]


@dataclass(slots=True)
class ColumnEvidence:
    """Every detector's evidence for one column (or one batch of it)."""

    name: str | None
    non_null: int
    #: Category id to whether the column name speaks of it.
    context: dict[str, bool]
    evidence: dict[str, Evidence]
    #: For the categories the caller asked to keep: the valid values found, by row
    #: (``row``, ``candidate``). Batch-local: merging drops them.
    matches: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: What this batch showed of each category (``dead``, ``quiet``, ``active``); batch-local.
    states: dict[str, str] = field(default_factory=dict)
    #: The valid resident IDs of minors (each at least once), when resident IDs are kept;
    #: batch-local.
    minor_ids: pl.Series | None = None
    #: Whether the cells repeat enough to be examined once per distinct cell, when this batch
    #: was long enough to tell (see ``ColumnPlan.repeats``); batch-local.
    repeats: bool | None = None

    def merge(self, other: ColumnEvidence) -> ColumnEvidence:
        merged = dict(self.evidence)
        for key, found in other.evidence.items():
            merged[key] = merged[key].merge(found) if key in merged else found
        return ColumnEvidence(
            self.name, self.non_null + other.non_null, self.context | other.context, merged
        )


def as_text(values: pl.Series) -> pl.Series:
    """The column as trimmed strings, empty cells as null; records and lists as their JSON
    text (identifiers are found in it as in free text); binary values as null."""
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
    elif dtype.is_nested() and not _holds_bytes(dtype):
        # Wrapped in a record of one field, "v", whose JSON is {"v":...}: the value's own JSON
        # is what lies between.
        encoded = values.to_frame("v").select(pl.struct("v").struct.json_encode()).to_series()
        text = encoded.str.slice(5).str.head(-1).set(values.is_null(), None).alias(values.name)
    else:
        # Images and blobs (and records holding them: Polars writes no bytes as JSON) carry no
        # text to match; the column name still counts.
        text = pl.Series(values.name, [None] * len(values), dtype=pl.String)
    stripped = text.str.strip_chars()
    return stripped.set(stripped.str.len_bytes() == 0, None)


def _holds_bytes(dtype: pl.DataType | DataTypeClass) -> bool:
    """Whether a record or list holds binary values or Python objects, at any depth."""
    if isinstance(dtype, pl.Struct):
        return any(_holds_bytes(field.dtype) for field in dtype.fields)
    if isinstance(dtype, (pl.List, pl.Array)):
        return _holds_bytes(dtype.inner)
    return dtype in (pl.Binary, pl.Object)


def _candidates(
    detector: Detector,
    text: pl.DataFrame,
    others: Sequence[Detector],
    *,
    context: bool,
    whole_cells: bool = False,
    cells_shaped: bool = False,
    exact: bool = False,
) -> pl.DataFrame:
    """One row per candidate value (``row``, normalised ``candidate``) of the column.

    TEXT scope: every extracted look-alike, valid or not, since how many of them fail is
    evidence. CELL scope: only cells shaped like the category (every cell is a candidate,
    counted by the caller). Look-alikes that are valid values of ``others`` are dropped.
    ``whole_cells``: the caller knows each cell is exactly one candidate, so nothing is
    extracted. ``cells_shaped``: CELL scope, the cells are known to have the shape already.
    ``exact``: every cell is known to match ``Detector.whole``: it is its own candidate.
    """
    value = pl.col(_VALUE)
    found = text.lazy()
    if detector.scope is Scope.TEXT and not whole_cells:
        pattern = detector.candidate or ""  # never empty: Detector.__post_init__ checks it
        found = found.select(_ROW, value.str.extract_all(pattern)).explode(_VALUE)
    normalised = value if exact else detector.normalise(value)
    candidates = found.drop_nulls(_VALUE).select(_ROW, normalised.alias(_CANDIDATE))
    if detector.scope is Scope.CELL and not cells_shaped:
        candidates = candidates.filter(detector.has_shape(pl.col(_CANDIDATE), context=context))
    kept = candidates.collect(engine=_IN_MEMORY)
    shapes = [s for s in (other.shape(context=True) for other in others) if s is not None]
    if not shapes or not len(kept):
        return kept
    # Validators run only on values shaped like the other category: most look-alikes
    # are not (often none is), and a checksum over all of them would cost more than the
    # detector itself. One pass over all the others' shapes finds the values to look at.
    union = "|".join(f"(?:{s})" for s in shapes)
    suspect = kept.select(pl.col(_CANDIDATE).str.contains(f"^(?:{union})$")).to_series()
    if not suspect.any():
        return kept
    clear, kept = _rows(kept, ~suspect), _rows(kept, suspect)
    for other in others:
        shaped = kept.select(other.has_shape(pl.col(_CANDIDATE), context=True)).to_series()
        if not shaped.any():
            continue
        suspects = _rows(kept, shaped)
        valid = suspects.select(other.is_valid(pl.col(_CANDIDATE), shaped=True)).to_series()
        kept = pl.concat([_rows(kept, ~shaped), _rows(suspects, ~valid)])
    # The order of the loop over all the values: the clear ones stay first, as they came.
    return pl.concat([clear, kept])


#: Polars' engine for the many small queries of a column: the streaming engine, its default for
#: lazy queries, costs more to start than these queries take.
_IN_MEMORY: Final = "in-memory"


def _rows(frame: pl.DataFrame, mask: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` where ``mask`` holds, column by column (a frame's own filter plans
    a query, which costs more than filtering a batch's two or three columns)."""
    return pl.DataFrame([column.filter(mask) for column in frame.get_columns()])


def _scored(
    detector: Detector, candidates: pl.LazyFrame, *, context: bool, exact: bool = False
) -> pl.LazyFrame:
    """The valid candidates with their ``score``; validators run on well-shaped values only.

    ``exact``: the candidates are whole cells matching ``Detector.whole``, shaped already."""
    value = pl.col(_CANDIDATE)
    # CELL candidates were filtered by shape already (``_candidates``).
    shaped = (
        candidates
        if detector.scope is Scope.CELL or exact
        else candidates.filter(detector.has_shape(value, context=context))
    )
    return shaped.with_columns(
        detector.value_score(value, context=context, shaped=True).alias(_SCORE)
    ).filter(pl.col(_SCORE).is_not_null())


def find_matches(detector: Detector, values: pl.Series, *, context: bool = False) -> pl.DataFrame:
    """Every valid instance of a category in ``values``: ``row``, normalised ``value``, ``score``.

    ``context`` says whether the column name supports the category, which admits the value
    forms that need it. Look-alikes of the categories ``detector`` yields to are left out.
    """
    by_category = {d.category: d for d in all_detectors()}
    others = [by_category[c] for c in detector.yields_to if c in by_category]
    frame = pl.LazyFrame({_VALUE: as_text(values)}).with_row_index(_ROW)
    candidates = _candidates(detector, frame.collect(engine=_IN_MEMORY), others, context=context)
    return (
        _scored(detector, candidates.lazy(), context=context)
        .select(pl.col(_ROW), pl.col(_CANDIDATE).alias("value"), pl.col(_SCORE))
        .sort(_ROW, maintain_order=True)
        .collect(engine=_IN_MEMORY)
    )


def _detector_evidence(
    detector: Detector,
    rows: pl.DataFrame,
    *,
    context: bool,
    others: Sequence[Detector],
    as_of: dt.date,
    weights: np.ndarray | None = None,
    exact: bool = False,
) -> tuple[Evidence, pl.Series, pl.DataFrame, pl.Series | None]:
    """One detector's evidence in ``rows`` (``row``, ``value``), the rows it claims, its valid
    values by row and, for resident IDs, the valid IDs of minors.

    ``rows`` are routed (``_Router.route``): for CELL scope, every one has the shape already.
    ``weights``: the rows are distinct cells, each standing for this many rows (by ``row``).
    ``exact``: every cell matches ``Detector.whole`` (``_Router.whole``).

    A row is claimed when its whole cell is one valid value: detectors that yield to this
    category skip claimed rows altogether instead of validating them again.
    """
    whole = detector.scope is Scope.CELL or exact
    if not whole:
        anchored = f"^(?:{detector.candidate})$"
        whole = bool(rows.get_column(_VALUE).str.contains(anchored).all())
    candidates = _candidates(
        detector, rows, others, context=context, whole_cells=whole, cells_shaped=True, exact=exact
    )
    query = _scored(detector, candidates.lazy(), context=context, exact=exact)
    scored = query.collect(engine=_IN_MEMORY)
    valid = scored.get_column(_CANDIDATE)
    picked = valid.head(_EXAMPLE_ROWS).unique(maintain_order=True).head(EXAMPLES)
    evidence = Evidence(
        valid_rows=_row_count(scored.get_column(_ROW), weights),
        candidate_rows=_row_count(candidates.get_column(_ROW), weights),
        score_sum=_score_sum(scored, weights),
        examples=_masked(detector, picked),
    )
    if detector.dense_numbers_are_ids:
        numbers = valid.str.to_integer(strict=False)
        if numbers.null_count() > valid.null_count() or bool((numbers < 0).any()):
            # Separators or signs left by the normaliser: read the digits alone.
            numbers = valid.str.replace_all(r"\D", "").cast(pl.Int64, strict=False)
        numbers = numbers.drop_nulls()
        if len(numbers) >= _DENSE_MIN_VALUES:
            spread = int(numbers.max() or 0) - int(numbers.min() or 0)  # type: ignore[arg-type]
            # Numbers spread wider than the gap allows for all of them (real phones: billions
            # apart) are not dense whatever their distinct count: only enough of them to judge
            # is counted, and a few values usually show it.
            wide = spread >= _DENSE_GAP * len(numbers)
            few = numbers.head(_DENSE_MIN_VALUES * 50)
            distinct = few.n_unique() if wide else numbers.n_unique()
            if wide and distinct < _DENSE_MIN_VALUES:
                distinct = numbers.n_unique()
            if distinct >= _DENSE_MIN_VALUES:
                evidence.judged_batches = 1
                evidence.dense_batches = int(not wide and spread < _DENSE_GAP * distinct)
    minor_ids = None
    if detector.category == _ID_CATEGORY and len(scored):
        # Validity is already known here, so only the age is computed.
        young = _rows(
            scored, scored.select(minors.younger_than(pl.col(_CANDIDATE), as_of)).to_series()
        )
        evidence.minors = _row_count(young.get_column(_ROW), weights)
        minor_ids = young.get_column(_CANDIDATE)
        evidence.minor_examples = _masked(
            detector, minor_ids.head(_EXAMPLE_ROWS).unique(maintain_order=True)
        )
    claimed = scored.get_column(_ROW) if whole else pl.Series(_ROW, [], dtype=pl.UInt32)
    return evidence, claimed, scored.select(_ROW, _CANDIDATE), minor_ids


def _row_count(rows: pl.Series, weights: np.ndarray | None) -> int:
    """How many rows of the column ``rows`` (cells, or distinct cells with ``weights``) are."""
    if weights is None:
        return rows.n_unique()
    return int(weights[rows.unique().to_numpy()].sum())


def _score_sum(scored: pl.DataFrame, weights: np.ndarray | None) -> float:
    scores = scored.get_column(_SCORE)
    if weights is None:
        return float(scores.sum() or 0.0)
    return float((scores.to_numpy() * weights[scored.get_column(_ROW).to_numpy()]).sum())


def _masked(detector: Detector, values: pl.Series) -> tuple[str, ...]:
    if values.is_empty():
        return ()
    masked = pl.DataFrame({_CANDIDATE: values.head(EXAMPLES)}).select(
        detector.mask(pl.col(_CANDIDATE))
    )
    return tuple(v for v in masked.to_series() if isinstance(v, str))


def _confidence(detector: Detector, evidence: Evidence, *, context: bool) -> float:
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


#: Later batches look at one row in this many where a category showed only look-alikes.
SAMPLE_STRIDE = 20
DEAD, QUIET, ACTIVE = "dead", "quiet", "active"


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """What the earlier batches of a column showed, so later batches look where it matters.

    Categories with valid values so far are examined in every cell that could hold one, so
    the counts of every category reported are exact. The others, ``dead`` (no cell could hold
    a value) and ``quiet`` (look-alikes, not one valid value), are examined in one row in
    ``stride``; as soon as that sample finds a valid value, the whole batch is examined and
    the category is followed in full from then on. A category absent from the first rows
    is thus missed only if it stays rarer than about one row in a thousand of every later
    batch: too rare to change what the column is found to hold.
    """

    dead: frozenset[str] = frozenset()
    quiet: frozenset[str] = frozenset()
    stride: int = SAMPLE_STRIDE
    #: Whether the column's cells repeat enough to be examined once per distinct cell, as an
    #: earlier batch long enough to tell showed; None: estimated again in this batch. The
    #: evidence is the same either way: only the time it takes depends on it.
    repeats: bool | None = None

    def states(self) -> dict[str, str]:
        return dict.fromkeys(self.dead, DEAD) | dict.fromkeys(self.quiet, QUIET)

    @staticmethod
    def after(states: dict[str, str], *, repeats: bool | None = None) -> ColumnPlan:
        return ColumnPlan(
            dead=frozenset(k for k, v in states.items() if v == DEAD),
            quiet=frozenset(k for k, v in states.items() if v == QUIET),
            repeats=repeats,
        )


def merge_states(first: dict[str, str], second: dict[str, str]) -> dict[str, str]:
    """What two batches together showed of each category (active > quiet > dead)."""
    rank = {DEAD: 0, QUIET: 1, ACTIVE: 2}
    merged = dict(first)
    for key, state in second.items():
        if key not in merged or rank[state] > rank[merged[key]]:
            merged[key] = state
    return merged


def column_evidence(
    values: pl.Series,
    name: str | None = None,
    *,
    as_of: dt.date | None = None,
    detectors: Sequence[Detector] | None = None,
    keep: Collection[str] = (),
    plan: ColumnPlan | None = None,
    deduplicate: bool | None = None,
) -> ColumnEvidence:
    """Every detector's evidence in one column, or one batch of a column (see ``Evidence``).

    ``keep`` names categories whose valid values the caller wants by row (to count the
    individuals they identify); they come back in ``ColumnEvidence.matches``. ``plan`` is what
    earlier batches of the column showed (see ``ColumnPlan``); without one every detector
    examines every cell that could hold its values.

    A column whose cells repeat (names, dates, addresses, codes) is examined once per distinct
    cell, each counted as often as it occurs; ``deduplicate`` forces this on or off (default:
    when at most half the cells are distinct). The evidence is the same either way.

    Cells are routed before any detector runs: a detector sees only the cells that contain
    its prefilter (computed once per distinct prefilter) and, for whole-cell values, are short
    enough. A detector with no such cell costs one boolean test, not a query.
    """
    column_name = values.name if name is None else name
    as_of = as_of or china_today()
    chosen = tuple(all_detectors() if detectors is None else detectors)
    by_category = {d.category: d for d in all_detectors()} | {d.category: d for d in chosen}
    context = {d.category: _name_matches(d.vocabulary, column_name) for d in chosen}
    found: dict[str, Evidence] = {}
    states: dict[str, str] = {}
    valued = [d for d in chosen if d.patterns]
    if valued and deduplicate is None and plan is not None:
        # Only categories followed in full gain: sampling the others costs little either way.
        followed = {d.category for d in valued} - plan.dead - plan.quiet
        deduplicate = plan.repeats if followed else False
    cells: _DistinctCells | None = None
    text: pl.Series | None = None
    if valued and deduplicate and values.dtype == pl.String:
        # Known to repeat: the cells are trimmed once per distinct cell, not once per row.
        cells = _DistinctCells.of(values, trim=True)
        non_null = cells.filled
    else:
        text = as_text(values)
        non_null = len(text) - text.null_count()
    if not valued or not non_null:
        return ColumnEvidence(column_name, non_null, context, found, states=states)
    told: bool | None = None
    if text is not None:
        repeats = _worth_deduplicating(text, non_null, deduplicate)
        # Told to the next batches, if this one was long enough to tell.
        told = repeats if deduplicate is None and non_null >= _REPEATS_TOLD_CELLS else None
        cells = _DistinctCells.of(text) if repeats else None
    frame = pl.DataFrame({_VALUE: text}).with_row_index(_ROW) if cells is None else cells.frame
    router = _Router(frame.get_column(_VALUE), frame, context)
    settled = (plan.dead | plan.quiet) if plan is not None else frozenset()
    # Every prefilter the detectors followed in full need, in one query (Polars runs them
    # side by side; on a narrow column the queries' own cost is what counts).
    router.prime([d for d in valued if d.category not in settled])
    stride = plan.stride if plan is not None else SAMPLE_STRIDE
    sample: _Sample | None = None
    sample_weights: np.ndarray | None = None
    weights = None if cells is None else cells.weights
    matches: dict[str, pl.DataFrame] = {}
    minor_ids: pl.Series | None = None
    ordered = _yielded_to_first(valued)
    # The categories followed in full first: the cells they claim are then known to the
    # sample's gates. Only they claim cells, so no detector's cells change.
    followed_first = [d for d in ordered if d.category not in settled]
    followed_first += [d for d in ordered if d.category in settled]
    for detector in followed_first:
        key = detector.category
        cell_candidates = non_null if detector.scope is Scope.CELL else None
        others = [by_category[c] for c in detector.yields_to]
        if key in settled:
            if sample is None:
                if cells is None:
                    rows = pl.DataFrame([c.gather_every(stride) for c in frame.get_columns()])
                else:
                    rows, sample_weights = cells.every(stride)
                sample = _Sample(
                    rows, context, router.claimed, [d for d in valued if d.category in settled]
                )
            sampled = sample.router(detector)
            route = sampled.route(detector)
            found[key] = Evidence(candidate_rows=cell_candidates or 0)
            states[key] = DEAD
            if not route.any():
                continue
            evidence, _, _, _ = _detector_evidence(
                detector, _rows(sampled.frame, route), context=context[key], others=others,
                as_of=as_of, weights=sample_weights,
            )  # fmt: skip
            states[key] = QUIET
            if evidence.valid_rows == 0:
                evidence.candidate_rows = cell_candidates or evidence.candidate_rows * stride
                found[key] = evidence
                continue
        # A category the earlier batches found is looked for first as whole cells: in a column
        # of its values alone, one pattern finds them all.
        exact = plan is not None and router.whole(detector)
        route = router.route(detector, exact=exact)
        if not route.any():
            found[key] = Evidence(candidate_rows=cell_candidates or 0)
            states[key] = DEAD
            continue
        evidence, router.claimed[key], valid, young = _detector_evidence(
            detector, _rows(frame, route), context=context[key], others=others, as_of=as_of,
            weights=weights, exact=exact,
        )  # fmt: skip
        if cell_candidates is not None:
            evidence.candidate_rows = cell_candidates
        found[key] = evidence
        states[key] = ACTIVE if evidence.valid_rows else QUIET
        if key in keep and len(valid):
            matches[key] = valid if cells is None else cells.by_row(valid)
            minor_ids = young if young is not None else minor_ids
    found = {d.category: found[d.category] for d in ordered}
    states = {d.category: states[d.category] for d in ordered}
    return ColumnEvidence(column_name, non_null, context, found, matches, states, minor_ids, told)


#: Columns shorter than this are examined cell by cell: counting distinct cells would cost more.
_DEDUP_MIN_CELLS = 1_000
#: Columns with at most this share of distinct cells are examined once per distinct cell.
_DEDUP_MAX_SHARE = 0.5
#: Whether cells repeat is estimated once on this many cells and kept for later batches: the
#: first rows of a source, fewer, show fewer repeats than a whole batch.
_REPEATS_TOLD_CELLS = 100_000
_DISTINCT = "distinct"


def _worth_deduplicating(text: pl.Series, non_null: int, deduplicate: bool | None) -> bool:
    if deduplicate is not None:
        return deduplicate
    # An approximate count (HyperLogLog) is cheap and close enough to decide.
    if non_null < _DEDUP_MIN_CELLS:
        return False
    distinct = int(text.to_frame().select(pl.first().approx_n_unique()).item())
    return distinct <= _DEDUP_MAX_SHARE * non_null


@dataclass(frozen=True, slots=True)
class _DistinctCells:
    """The distinct non-null cells of a column in order of first occurrence (``row`` numbers
    them), how many rows each stands for, and which distinct cell each row holds."""

    frame: pl.DataFrame
    weights: np.ndarray
    #: Per row of the column: its distinct cell, -1 for null.
    inverse: np.ndarray

    @property
    def filled(self) -> int:
        """How many rows hold a cell."""
        return int(self.weights.sum())

    @staticmethod
    def of(text: pl.Series, *, trim: bool = False) -> _DistinctCells:
        """The distinct cells of ``text``; ``trim``: ``text`` is a column of strings as read,
        trimmed here once per distinct cell (as ``as_text`` trims every cell). Cells left empty
        are null; two cells that differ in their spaces alone stay apart, each with its rows."""
        # Arrow's dictionary encoding gives the distinct cells in order of first occurrence
        # and each row's cell in one pass (about half the cost of grouping the rows).
        # Polars' own string views go to Arrow as they are (no copy of the text).
        encoded = pc.dictionary_encode(text.to_arrow(compat_level=pl.CompatLevel.newest()))
        indices = encoded.indices
        # The indices read where Arrow wrote them; a null cell's slot is set apart after.
        inverse = np.frombuffer(
            indices.buffers()[1], dtype=np.int32, count=len(indices), offset=4 * indices.offset
        ).astype(np.int64)
        if indices.null_count:
            inverse[text.is_null().to_numpy()] = -1
        distinct = pl.Series(_VALUE, encoded.dictionary, dtype=pl.String)
        if trim:
            distinct = as_text(distinct)
            if distinct.null_count():
                # Blank cells are no cells: the others are numbered again, in the same order.
                kept = distinct.is_not_null().to_numpy()
                number = np.where(kept, np.cumsum(kept) - 1, -1)
                filled = inverse >= 0
                inverse[filled] = number[inverse[filled]]
                distinct = distinct.filter(pl.Series(kept))
        weights = np.bincount(inverse[inverse >= 0], minlength=len(distinct)).astype(np.int64)
        return _DistinctCells(distinct.to_frame().with_row_index(_ROW), weights, inverse)

    def every(self, stride: int) -> tuple[pl.DataFrame, np.ndarray]:
        """The distinct cells of one row in ``stride``, weighted by the sampled rows only,
        so that sampling sees exactly what it sees in a column read cell by cell."""
        sampled = self.inverse[::stride]
        distinct, counts = np.unique(sampled[sampled >= 0], return_counts=True)
        weights = np.zeros(len(self.weights), dtype=np.int64)
        weights[distinct] = counts
        return self.frame[distinct], weights

    def by_row(self, found: pl.DataFrame) -> pl.DataFrame:
        """``found`` (``row`` = distinct cell, ``candidate``) for every row holding the cell."""
        distinct = found.get_column(_ROW).to_numpy()
        if bool(np.all(distinct[1:] > distinct[:-1])):
            # One value per distinct cell (whole cells): gathered by position, no join.
            position = np.full(len(self.weights) + 1, -1, dtype=np.int64)
            position[distinct] = np.arange(len(distinct))
            # Null rows (-1) look up the extra last slot, which holds no value.
            at = position[self.inverse]
            rows = np.flatnonzero(at >= 0)
            return pl.DataFrame(
                {
                    _ROW: pl.Series(rows, dtype=pl.UInt32),
                    _CANDIDATE: found.get_column(_CANDIDATE).gather(at[rows]),
                }
            )
        rows = np.flatnonzero(self.inverse >= 0)
        pairs = pl.DataFrame(
            {_ROW: pl.Series(rows, dtype=pl.UInt32), _DISTINCT: self.inverse[rows]}
        )
        by_distinct = found.select(pl.col(_ROW).cast(pl.Int64).alias(_DISTINCT), _CANDIDATE)
        return (
            pairs.join(by_distinct, on=_DISTINCT, how="inner")
            .select(_ROW, _CANDIDATE)
            .sort(_ROW, maintain_order=True)
        )


class _Router:
    """Which cells of a column each detector examines; shared work is done once."""

    def __init__(
        self,
        text: pl.Series,
        frame: pl.DataFrame,
        context: dict[str, bool],
        claimed: dict[str, pl.Series] | None = None,
    ) -> None:
        self.text = text
        self.frame = frame
        self.context = context
        self.present = text.is_not_null()
        self.prefilters: dict[str, pl.Series] = {}
        self.lengths: pl.Series | None = None
        self.normalised: dict[object, pl.Series] = {}
        self.wholes: dict[str, bool] = {}
        self.unclaimed_masks: dict[str, tuple[pl.Series, pl.Series]] = {}
        #: Rows (by ``row``) whose whole cell is a valid value of a category.
        self.claimed: dict[str, pl.Series] = {} if claimed is None else claimed

    def prime(self, detectors: Sequence[Detector]) -> None:
        """Compute the prefilters of ``detectors`` together: one query instead of one each."""
        wanted = list(
            dict.fromkeys(
                d.prefilter
                for d in detectors
                if d.prefilter
                and not self.context[d.category]
                and d.prefilter not in self.prefilters
                and not self.closed(d)
            )
        )
        if not wanted:
            return
        found = self.frame.select(
            pl.col(_VALUE).str.contains(p).fill_null(False).alias(str(i))
            for i, p in enumerate(wanted)
        )
        for i, pattern in enumerate(wanted):
            self.prefilters[pattern] = found.get_column(str(i))

    def closed(self, detector: Detector) -> bool:
        """Whether no cell can count for ``detector``: every form of its value-shaped category
        needs a column name that speaks of it, and this one does not (nor is its prefilter
        computed)."""
        context = self.context[detector.category]
        return detector.scope is Scope.CELL and not detector.usable_patterns(context=context)

    def whole(self, detector: Detector) -> bool:
        """Whether every present cell matches ``Detector.whole``: is exactly one normalised,
        well-shaped candidate (then the detector examines every cell, as it is)."""
        pattern = detector.whole
        if pattern is None:
            return False
        if pattern not in self.wholes:
            # Nulls stay null and are not counted: only filled cells need to match.
            matched = self.text.str.contains(f"^(?:{pattern})$").sum()
            filled = len(self.text) - self.text.null_count()
            self.wholes[pattern] = filled > 0 and matched == filled
        return self.wholes[pattern]

    def unclaimed_by(self, category: str) -> pl.Series | None:
        """The rows whose whole cell is no valid value of ``category``; None when the
        category claims no row."""
        taken = self.claimed.get(category)
        if taken is None or not len(taken):
            return None
        # Several detectors yield to one category: its claimed rows are looked up once, by
        # position (row numbers are small integers) rather than in a hash set.
        known = self.unclaimed_masks.get(category)
        if known is None or known[0] is not taken:
            rows = self.frame.get_column(_ROW).to_numpy()
            claimed = taken.to_numpy()
            size = max(int(rows.max(initial=0)), int(claimed.max(initial=0))) + 1
            marked = np.zeros(size, dtype=bool)
            marked[claimed] = True
            known = self.unclaimed_masks[category] = (taken, pl.Series(_ROW, ~marked[rows]))
        return known[1]

    def route(self, detector: Detector, *, exact: bool = False) -> pl.Series:
        """The cells ``detector`` examines; ``exact``: every cell is a whole value (``whole``)."""
        text, key = self.text, detector.category
        if self.closed(detector):
            return pl.Series(_VALUE, [False], dtype=pl.Boolean).new_from_index(0, len(text))
        route = self.present
        # A column whose name names the category is examined in full; any other only where
        # its cells can hold a value (the prefilter, then for text the candidate pattern).
        pattern = None if self.context[key] or exact else detector.prefilter
        if pattern is not None:
            if pattern not in self.prefilters:
                self.prefilters[pattern] = text.str.contains(pattern).fill_null(False)
            route = self.prefilters[pattern]
            if not route.any():
                return route
        if detector.scope is Scope.CELL and detector.max_chars is not None:
            if self.lengths is None:
                self.lengths = text.str.len_chars()
            route = route & (self.lengths <= detector.max_chars)
        text_scope = detector.scope is Scope.TEXT
        if pattern is not None and text_scope and detector.candidate != pattern and route.any():
            route = _containing(text, route, detector.candidate or "", self.prefilters)
        for other in detector.yields_to:
            unclaimed = self.unclaimed_by(other)
            if unclaimed is not None:
                route = route & unclaimed
        if detector.scope is Scope.CELL and route.any():
            route = _shaped(detector, text, route, context=self.context[key], cache=self.normalised)
        return route


#: Sampled cells are routed apart through a gate when at most this share of them passes it.
_GATE_MAX_SHARE = 0.5


class _Sample:
    """The routers of the sampled rows, where the categories settled so far are looked for.

    Most sampled cells could hold no value of most categories, and one pass of many patterns
    together (one automaton) costs about what one pattern costs. So one pass of the candidate
    patterns of all TEXT categories finds the cells holding a candidate of any, and only those
    are routed to TEXT detectors; one pass of the whole-cell shapes of the CELL categories whose
    values are trimmed cells finds the cells shaped like a value of any, and only those are
    routed to these detectors. A detector never examines a cell without its candidate or shape
    (``_Router.route``), so each finds exactly what it would find in all the sampled rows.
    The other detectors (other normalisers, or a column name that speaks of the category, which
    opens every cell) see all the sampled rows.

    A cell claimed by a category (its whole cell one valid value, ``_Router.claimed``) is never
    examined by the detectors that yield to it: such a cell passes a gate only through the
    patterns of the others (a column of resident IDs holds a candidate of bank cards in every
    cell, and of nothing else).
    """

    def __init__(
        self,
        rows: pl.DataFrame,
        context: dict[str, bool],
        claimed: dict[str, pl.Series],
        detectors: Sequence[Detector],
    ) -> None:
        self.every = _Router(rows.get_column(_VALUE), rows, context, claimed)
        self.gates: dict[Scope, _Router] = {}
        for scope in (Scope.TEXT, Scope.CELL):
            gated = [d for d in detectors if self._gate(d) is scope]
            if not gated:
                continue
            holds = self._holds(scope, gated)
            # Where most cells pass (a column of numbers), a router of its own would only
            # repeat the prefilters the others share.
            if holds.sum() <= _GATE_MAX_SHARE * len(rows):
                holding = _rows(rows, holds)
                gate = _Router(holding.get_column(_VALUE), holding, context, claimed)
                gate.prime(gated)
                self.gates[scope] = gate
        self.every.prime([d for d in detectors if self._gate(d) not in self.gates])

    def _holds(self, scope: Scope, gated: Sequence[Detector]) -> pl.Series:
        """The sampled cells passing the gate of ``gated`` (see the class)."""
        cells = self.every.text
        claimers = [c for c, taken in self.every.claimed.items() if len(taken)]
        # One category claims the cells of a column of its values; where several do, every
        # cell goes through the whole gate.
        unclaimed = self.every.unclaimed_by(claimers[0]) if len(claimers) == 1 else None
        rest = [d for d in gated if unclaimed is not None and claimers[0] not in d.yields_to]
        if unclaimed is None or len(rest) == len(gated) or bool(unclaimed.all()):
            return _through_gate(cells, _gate_pattern(scope, gated))
        holds = np.zeros(len(cells), dtype=bool)
        free = unclaimed.to_numpy()
        for where, patterns in ((free, gated), (~free, rest)):
            if patterns and where.any():
                gate = _gate_pattern(scope, patterns)
                holds[where] = _through_gate(cells.filter(pl.Series(where)), gate).to_numpy()
        return pl.Series(_VALUE, holds, dtype=pl.Boolean)

    def _gate(self, detector: Detector) -> Scope | None:
        """Which gate's cells ``detector`` may examine alone, if any."""
        if self.every.context[detector.category]:
            return None
        if detector.scope is Scope.TEXT:
            return Scope.TEXT
        if detector.normalises_by_stripping and detector.shape(context=False) is not None:
            return Scope.CELL
        return None

    def router(self, detector: Detector) -> _Router:
        """The router of the sampled rows ``detector`` has to examine."""
        gate = self._gate(detector)
        return self.every if gate is None else self.gates.get(gate, self.every)


#: Polars compiles a pattern once per thread and keeps 32 compiled patterns a thread; the
#: column threads use about 90 a batch, so each compiled a sample's gate again nearly every time
#: (5-10 ms for a gate of 1.5 KB, several times what running it on a sample takes). A scan has
#: fewer than ten distinct gates: they run on one thread of their own, where they stay compiled.
_GATES: ThreadPoolExecutor | None = None
_GATES_LOCK = threading.Lock()


def _through_gate(cells: pl.Series, pattern: str) -> pl.Series:
    """Which ``cells`` contain a match of the gate ``pattern``, on the gates' thread."""
    global _GATES
    with _GATES_LOCK:
        if _GATES is None:
            _GATES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataport-gates")
        gates = _GATES
    try:
        found = gates.submit(_contains, cells, pattern)
    except RuntimeError:
        # The interpreter is shutting down: its threads take no new work.
        return _contains(cells, pattern)
    return found.result()


def _contains(cells: pl.Series, pattern: str) -> pl.Series:
    return cells.str.contains(pattern).fill_null(False)


def _gate_pattern(scope: Scope, detectors: Sequence[Detector]) -> str:
    """TEXT: any candidate anywhere in the cell. CELL: the whole (trimmed) cell one shape."""
    if scope is Scope.TEXT:
        return "|".join(dict.fromkeys(f"(?:{d.candidate})" for d in detectors))
    shapes = "|".join(dict.fromkeys(f"(?:{d.shape(context=False)})" for d in detectors))
    return f"^(?:{shapes})$"


def _scatter(route: pl.Series, selected: pl.Series) -> pl.Series:
    """A full-length mask from a mask over the routed cells only."""
    full = np.zeros(len(route), dtype=bool)
    full[np.flatnonzero(route.to_numpy())[selected.to_numpy()]] = True
    return pl.Series(_VALUE, full, dtype=pl.Boolean)


def _containing(
    text: pl.Series, route: pl.Series, pattern: str, cache: dict[str, pl.Series]
) -> pl.Series:
    """The routed cells containing ``pattern``; the pattern runs on routed cells only."""
    key = f"{pattern}\x00candidate"
    if key not in cache:
        cache[key] = _scatter(route, text.filter(route).str.contains(pattern).fill_null(False))
    return route & cache[key]


def _shaped(
    detector: Detector,
    text: pl.Series,
    route: pl.Series,
    *,
    context: bool,
    cache: dict[object, pl.Series],
) -> pl.Series:
    """The routed cells that, once normalised, have the shape of a value of the category.

    Only routed cells are normalised (once for detectors sharing normaliser and route), and
    an anchored pattern rejects most cells within a few characters: far cheaper than running
    the detector on every cell.
    """
    key = (
        detector.normalise,
        detector.max_chars,
        detector.yields_to,
        context or detector.prefilter,
    )
    if key not in cache:
        cells = pl.DataFrame({_VALUE: text.filter(route)})
        cache[key] = cells.select(detector.normalise(pl.col(_VALUE))).to_series()
    values = pl.DataFrame({_VALUE: cache[key]})
    # with_columns, not select: a detector with no usable pattern gives a literal False,
    # which must broadcast to every cell.
    shape = values.with_columns(
        detector.has_shape(pl.col(_VALUE), context=context).fill_null(False).alias(_SCORE)
    ).get_column(_SCORE)
    return _scatter(route, shape)


@lru_cache(maxsize=1 << 17)
def _name_matches(vocabulary: Vocabulary, name: str | None) -> bool:
    # Batches of one column ask the same question again and again.
    return vocabulary.matches(name)


#: Orders already worked out, by the detectors' identities (each entry holds its detectors,
#: so no identity is reused while it is kept).
_ORDERS: dict[tuple[int, ...], tuple[tuple[Detector, ...], list[Detector]]] = {}
_ORDERS_KEPT = 64


def _yielded_to_first(detectors: Sequence[Detector]) -> list[Detector]:
    """Detectors ordered so that every category another yields to is examined before it.

    Every column of a scan asks with the same detectors: the order is worked out once.
    """
    key = tuple(id(d) for d in detectors)
    known = _ORDERS.get(key)
    if known is not None:
        return known[1]
    ordered: list[Detector] = []
    pending = list(detectors)
    while pending:
        done = {d.category for d in ordered}
        ready = [
            d
            for d in pending
            if all(c in done or c not in {p.category for p in pending} for c in d.yields_to)
        ]
        ready = ready or pending[:1]
        ordered += ready
        pending = [d for d in pending if d not in ready]
    if len(_ORDERS) >= _ORDERS_KEPT:
        _ORDERS.clear()
    _ORDERS[key] = (tuple(detectors), ordered)
    return ordered


def scan_from_evidence(
    column: ColumnEvidence,
    *,
    detectors: Sequence[Detector] | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> ColumnScan:
    """The categories a column holds, from its (possibly merged) evidence."""
    chosen = tuple(all_detectors() if detectors is None else detectors)
    hits: list[CategoryHit] = []
    for detector in chosen:
        key = detector.category
        evidence = column.evidence.get(key, Evidence())
        context = column.context.get(key, False)
        confidence = _confidence(detector, evidence, context=context)
        if confidence >= min_confidence and confidence > 0:
            hits.append(
                CategoryHit(
                    category=key,
                    matched=evidence.valid_rows,
                    ratio=_ratio(evidence.valid_rows, column.non_null),
                    confidence=confidence,
                    examples=evidence.examples,
                    name_matched=context,
                    sensitivity=detector.sensitivity,
                )
            )
    hits = _with_minors(
        hits, column.evidence.get(_ID_CATEGORY, Evidence()), column.non_null, min_confidence
    )
    hits.sort(key=lambda h: (-h.confidence, h.category))
    return ColumnScan(name=column.name, non_null=column.non_null, hits=tuple(hits))


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
    evidence = column_evidence(values, name, as_of=as_of, detectors=detectors)
    return scan_from_evidence(evidence, detectors=detectors, min_confidence=min_confidence)


def _with_minors(
    hits: list[CategoryHit], id_evidence: Evidence, non_null: int, min_confidence: float
) -> list[CategoryHit]:
    """Add (or strengthen) ``minor`` when resident IDs in the column belong to children under 14."""
    id_hit = next((h for h in hits if h.category == _ID_CATEGORY), None)
    count = id_evidence.minors
    if id_hit is None or count == 0 or id_hit.confidence < min_confidence:
        return hits
    header_hit = next((h for h in hits if h.category == _MINOR_CATEGORY), None)
    derived = CategoryHit(
        category=_MINOR_CATEGORY,
        matched=count,
        ratio=_ratio(count, non_null),
        # The birth date is part of a checksummed ID: as sure as the ID itself.
        confidence=max(id_hit.confidence, header_hit.confidence if header_hit else 0.0),
        examples=id_evidence.minor_examples,
        name_matched=header_hit.name_matched if header_hit else False,
        sensitivity=Sensitivity.SENSITIVE,
    )
    return [h for h in hits if h.category != _MINOR_CATEGORY] + [derived]


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
