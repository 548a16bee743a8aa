"""What ``Detector.whole``, ``ValuePattern.lengths`` and ``Detector.requires`` promise holds for
every string their regexes describe (the scanner relies on it to skip extraction, normalisation
and ranking, and cells without the prefilter)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, cast

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataport.classify.detectors.base import Detector, Scope, ValuePattern
from dataport.classify.registry import all_detectors

Test = TypeVar("Test", bound=Callable[..., Any])

WHOLE = [d for d in all_detectors() if d.whole is not None]
LENGTHS = [(d, p) for d in all_detectors() for p in d.patterns if p.lengths]
#: The forms a cell is examined for when the column name says nothing, of the value-shaped
#: (CELL) detectors that skip cells without their prefilter.
REQUIRED = [
    (d, p)
    for d in all_detectors()
    if d.scope is Scope.CELL and d.requires is not None
    for p in d.usable_patterns(context=False)
]


def test_the_common_whole_cell_columns_have_a_whole_cell_form() -> None:
    categories = {d.category for d in WHOLE}
    assert {"cn_resident_id", "cn_mobile", "bank_card", "email", "ip_address"} <= categories


@pytest.mark.parametrize("detector", WHOLE, ids=lambda d: d.category)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_whole_cell_is_its_own_single_candidate_normalised_and_shaped(
    detector: Detector, data: st.DataObject
) -> None:
    pattern = detector.whole or ""
    cells = data.draw(st.lists(st.from_regex(pattern, fullmatch=True), min_size=1, max_size=20))
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    cell = pl.col("cell")
    # The scanner's own reading of the pattern agrees with the one the cells came from.
    assert frame.select(cell.str.contains(f"^(?:{pattern})$")).to_series().all()
    extracted = frame.select(cell.str.extract_all(detector.candidate or "")).to_series()
    assert extracted.to_list() == [[c] for c in cells]
    assert frame.select(detector.normalise(cell)).to_series().to_list() == cells
    assert frame.select(detector.has_shape(cell, context=False)).to_series().all()


def _over_forms(cases: list[tuple[Detector, ValuePattern]]) -> Callable[[Test], Test]:
    """A test run for every (detector, form) of ``cases``, on values drawn from the form."""

    def wrap(test: Test) -> Test:
        drawn = settings(max_examples=40, deadline=None)(given(data=st.data())(test))
        return cast(Test, pytest.mark.parametrize(("detector", "form"), cases, ids=_case_id)(drawn))

    return wrap


def _case_id(case: object) -> str:
    return str(getattr(case, "category", getattr(case, "name", "")))


@_over_forms(LENGTHS)
def test_a_form_s_values_have_the_lengths_it_declares(
    detector: Detector, form: ValuePattern, data: st.DataObject
) -> None:
    value = data.draw(st.from_regex(form.regex, fullmatch=True))
    assert len(value) in form.lengths, (detector.category, form.name)


def test_forms_apart_by_length_score_as_their_regexes_do() -> None:
    detector = replace(
        next(d for d in all_detectors() if d.category == "cn_resident_id"), validator=None
    )
    # Without lengths, the same forms are ranked by their regexes.
    by_regex = replace(
        detector,
        patterns=tuple(replace(p, lengths=()) for p in detector.patterns),
    )
    values = pl.DataFrame({"v": ["110105199001011234", "11010519900101123X", "110105900101123"]})
    scores = [
        values.select(d.value_score(pl.col("v"), context=False, shaped=True)).to_series().to_list()
        for d in (detector, by_regex)
    ]
    assert scores == [[0.97, 0.97, 0.7]] * 2


def _as_python(regex: str) -> str:
    """A regex in Rust's syntax as Python's ``re`` writes it (``\\x{3400}`` is ``\\u3400``)."""
    return re.sub(r"\\x\{([0-9a-fA-F]{4})\}", r"\\u\1", regex)


def test_the_identity_documents_skip_bare_numbers_without_a_column_name() -> None:
    by_category = {d.category: d for d in all_detectors()}
    numbers = pl.DataFrame({"v": ["123456789", "310106194603216949", "20240739226"]})
    for category in ("passport", "hk_macau_permit", "macau_id_card"):
        prefilter = by_category[category].prefilter or ""
        assert not numbers.select(pl.col("v").str.contains(prefilter).any()).item(), category


@_over_forms(REQUIRED)
def test_every_value_without_a_column_name_holds_its_prefilter(
    detector: Detector, form: ValuePattern, data: st.DataObject
) -> None:
    value = data.draw(st.from_regex(_as_python(form.regex), fullmatch=True))
    # As written, and in lower case where the detector reads it as the same value.
    cells = [value, value.lower()]
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    same = frame.select(detector.normalise(pl.col("cell")) == value).to_series()
    held = frame.select(pl.col("cell").str.contains(detector.prefilter or "")).to_series()
    assert all(h for h, s in zip(held, same, strict=True) if s), (detector.category, cells)
