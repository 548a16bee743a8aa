"""Medical and social insurance numbers (医保号, 社保卡号): known by the column name first.

The social security number of a person is the citizen identity number (Social Insurance Law
Art. 58), so such a column often holds resident ID numbers: it is then reported as both
``cn_resident_id`` (found by the values alone, and used to count individuals) and this
category (found because the column says so). Neither yields to the other, and this category
never counts without the column name, so an ordinary ID column is never taken for it.
"""

from __future__ import annotations

import polars as pl

from dataport.classify import checksums, masking
from dataport.classify.clock import china_today
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("medical_insurance")
_ID_FORM = r"\d{17}[\dX]"


def _valid(value: pl.Expr) -> pl.Expr:
    # A value in the resident-ID form must be a real one; other forms have no public check.
    id_form = value.str.contains(f"^{_ID_FORM}$")
    return ~id_form | checksums.is_resident_id(value, latest=china_today())


DETECTOR = Detector(
    category="medical_insurance",
    label_zh="医疗保险、社会保障号码",
    label_en="Medical insurance or social security number",
    sensitivity=Sensitivity.SENSITIVE,
    basis=(
        "Social Insurance Law Art. 58 (社会保障号码 = 公民身份号码); "
        "GB/T 35273-2020 Annex B (社保卡)"
    ),
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("social security number (resident-ID form)", _ID_FORM, 0.9, True),
        # Card numbers and regional insurance numbers: letters and digits, up to the 25-digit
        # numbers some provinces use. Prices, dates and names never take this shape.
        ValuePattern("card or insurance number", r"[0-9A-Z]{8,25}", 0.7, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=lambda v: v.str.replace_all(r"[\s\-]", "").str.to_uppercase(),
    validator=_valid,
    max_chars=32,
    mask=lambda v: masking.keep_ends(v, 2, 2),
)
