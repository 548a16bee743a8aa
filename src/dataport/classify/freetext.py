"""Personal names and addresses inside free text, from a bounded sample of a column's cells.

The detectors find names only when a cell is a name, and addresses only when the text spells a
division, a street and a house number. Notes, comments and complaint texts mention people
("客户王秀英来电") and places ("寄到杭州文三路90号") in other ways; finding them takes a word
segmenter with a dictionary (jieba, part-of-speech ``nr`` for person names) and a table of
administrative divisions (cpca). Both are per-cell Python, far too slow for every row of a large
table, so they run on at most ``SAMPLE_CELLS`` free-text cells of each column, taken from the
first rows of the source's first unit of work; what they find is reported as coming from that
sample.

Both libraries ship their dictionaries and need no network. They are the ``freetext`` extra;
without them the sample is not examined and nothing is reported from it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import polars as pl

from dataport.classify import masking, segmenter
from dataport.classify.column import EXAMPLES, CategoryHit, ColumnScan
from dataport.classify.detectors.base import Sensitivity
from dataport.classify.vocabulary import vocabulary_file

#: Free-text cells of a column examined, at most, per scan.
SAMPLE_CELLS = 200
#: Rows of a batch searched for free-text cells.
SEARCH_ROWS = 5_000
#: A cell is free text if it is at least this long, holds Chinese and sentence punctuation.
MIN_TEXT_CHARS = 10
#: Characters of a long cell that are examined.
MAX_CELL_CHARS = 400
#: A column is judged only on at least this many sampled cells ...
MIN_SAMPLED = 5
#: ... and a category is reported if at least this many of them, and this share, hold one.
MIN_MATCHED = 3
MIN_SHARE = 0.05
#: Names are reported only if at least this share of the cells holding one hold different
#: ones: the people in records differ, while the brands, celebrities and common words jieba
#: takes for names (李宁, 李白, 安静) come back again and again.
MIN_DISTINCT_NAMES = 0.5
#: Confidence of a finding from the sample: a base, plus the share of cells holding one, capped
#: below what a validated identifier gets.
BASE_CONFIDENCE = 0.5
MAX_CONFIDENCE = 0.85

NAME, ADDRESS = "person_name", "address"
_HAN_TEXT = r"[\x{3400}-\x{9fff}]"
_SENTENCE = r"[，。！？；：、,.;!?]"
#: jieba's tags for person names: ``nr``; ``nrfg`` names it knows whole. Transliterated names
#: (``nrt``) are mostly brands ("海尔").
_NAME_TAGS = frozenset({"nr", "nrfg"})
#: A house number after the district: an address precise enough to find a home.
_HOUSE_NUMBER = re.compile(
    r"^[^，。；;！!？?\s]{0,30}?[0-9０-９一二三四五六七八九十百零〇A-Za-z\-]+(?:号|栋|幢|单元|室|楼|弄)"
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TextEvidence:
    """What the sampled free-text cells of a column showed; parts of a column add up."""

    sampled: int = 0
    #: Cells holding a name, and hashes of the first name of each (the names are not kept).
    names: int = 0
    name_keys: frozenset[str] = frozenset()
    addresses: int = 0
    name_examples: tuple[str, ...] = ()
    address_examples: tuple[str, ...] = ()

    def merge(self, other: TextEvidence) -> TextEvidence:
        return TextEvidence(
            sampled=self.sampled + other.sampled,
            names=self.names + other.names,
            name_keys=self.name_keys | other.name_keys,
            addresses=self.addresses + other.addresses,
            name_examples=_first(self.name_examples, other.name_examples),
            address_examples=_first(self.address_examples, other.address_examples),
        )


@dataclass(frozen=True, slots=True)
class SampleNote:
    """How a category was found from a sample: cells examined, cells holding it, the method."""

    cells: int
    matched: int
    method: str


def _first(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))[:EXAMPLES]


def free_text_cells(values: pl.Series, limit: int = SAMPLE_CELLS) -> list[str]:
    """Up to ``limit`` free-text cells among the first ``SEARCH_ROWS`` of ``values``, cut short."""
    if values.dtype != pl.String:
        return []
    head = values.head(SEARCH_ROWS).drop_nulls()
    text = head.filter(
        (head.str.len_chars() >= MIN_TEXT_CHARS)
        & head.str.contains(_HAN_TEXT)
        & head.str.contains(_SENTENCE)
    )
    return text.head(limit).str.slice(0, MAX_CELL_CHARS).to_list()


@dataclass(frozen=True, slots=True)
class _Engines:
    posseg: ModuleType
    cpca: ModuleType
    surnames: frozenset[str]
    compound_surnames: frozenset[str]
    given_chars: frozenset[str]
    titles: frozenset[str]
    particles: frozenset[str]


@cache
def _engines() -> _Engines | None:
    """jieba (segmenter loaded) and cpca, or None when the ``freetext`` extra is missing."""
    try:
        posseg = segmenter.part_of_speech_tagger()
        with warnings.catch_warnings():
            # cpca reads its division table with pkg_resources, deprecated in setuptools.
            warnings.simplefilter("ignore", DeprecationWarning)
            import cpca
    except ImportError:
        log.info("jieba or cpca not installed: free-text cells are not sampled")
        return None
    words = vocabulary_file(NAME)
    return _Engines(
        posseg=posseg,
        cpca=cpca,
        surnames=frozenset(words.words("surnames")),
        compound_surnames=frozenset(words.words("compound_surnames")),
        given_chars=frozenset(words.words("given_name_chars")),
        titles=frozenset(words.words("titles")),
        particles=frozenset(words.words("particles")),
    )


def available() -> bool:
    """Whether free-text cells can be examined here (the ``freetext`` extra is installed)."""
    return _engines() is not None


def _surname_length(word: str, engines: _Engines) -> int:
    if word[:2] in engines.compound_surnames:
        return 2
    return 1 if word[:1] in engines.surnames else 0


def _is_name(word: str, engines: _Engines) -> bool:
    """Surname, then one or two characters common in given names, and not a form of address."""
    surname = _surname_length(word, engines)
    given = word[surname:]
    return (
        surname > 0
        and 1 <= len(given) <= 2
        and given not in engines.titles
        and all(c in engines.given_chars for c in given)
    )


def names_in(text: str) -> list[str]:
    """The personal names jieba finds in ``text``, as the surname table and given-name
    characters of the ``person_name`` vocabulary allow."""
    engines = _engines()
    if engines is None:
        return []
    words = [(pair.word, pair.flag) for pair in engines.posseg.lcut(text)]
    found: list[str] = []
    index = 0
    while index < len(words):
        word, flag = words[index]
        before = words[index - 1][0] if index > 0 else ""
        after = words[index + 1][0] if index + 1 < len(words) else ""
        index += 1
        if flag not in _NAME_TAGS:
            continue
        if len(word) == _surname_length(word, engines) and 1 <= len(after) <= 2:
            # 袁 + 立新: the segmenter cut the given name off its surname ...
            word, index = word + after, index + 1
        elif len(word) <= 2 and before and len(before) == _surname_length(before, engines):
            # ... or 郑 + 海涛: the surname off its given name.
            word = before + word
        if len(word) >= 3 and word[0] in engines.particles and _is_name(word[1:], engines):
            word = word[1:]  # 由罗军: a preposition glued to the name
        if _is_name(word, engines):
            found.append(word)
    return found


def addresses_in(texts: Sequence[str]) -> list[str | None]:
    """Per text, the first address cpca places in a county or city with a house number after it."""
    engines = _engines()
    if engines is None or not texts:
        return [None] * len(texts)
    table: Any = engines.cpca.transform(list(texts))
    found: list[str | None] = []
    for province, city, county, rest in zip(
        table["省"].tolist(),
        table["市"].tolist(),
        table["区"].tolist(),
        table["地址"].tolist(),
        strict=True,
    ):
        place = county if isinstance(county, str) else None
        if place is None and isinstance(city, str) and city != "市辖区":
            place = city
        house = _HOUSE_NUMBER.match(rest) if place is not None and isinstance(rest, str) else None
        if house is None:
            found.append(None)
            continue
        parts = [p for p in (province, city, county) if isinstance(p, str) and p != "市辖区"]
        found.append("".join(dict.fromkeys(parts)) + house.group(0))
    return found


def examine(cells: Sequence[str]) -> TextEvidence:
    """Names and addresses in sampled free-text cells (masked examples only)."""
    if not cells or _engines() is None:
        return TextEvidence()
    names = [names_in(cell) for cell in cells]
    places = addresses_in(cells)
    named = [found[0] for found in names if found]
    placed = [p for p in places if p is not None]
    return TextEvidence(
        sampled=len(cells),
        names=len(named),
        name_keys=frozenset(_key(n) for n in named),
        addresses=len(placed),
        name_examples=_masked(named, masking.person_name),
        address_examples=_masked(placed, masking.address),
    )


def _key(name: str) -> str:
    # Same name, same key in every worker process (``hash`` is salted per process).
    return hashlib.blake2b(name.encode(), digest_size=8).hexdigest()


def _masked(values: list[str], mask: Any) -> tuple[str, ...]:
    distinct = list(dict.fromkeys(values))[:EXAMPLES]
    if not distinct:
        return ()
    frame = pl.DataFrame({"v": distinct}, schema={"v": pl.String})
    return tuple(frame.select(mask(pl.col("v"))).to_series().to_list())


def sample_frame(frame: pl.DataFrame) -> dict[str, TextEvidence]:
    """Examine the free-text cells of every text column of a batch (a bounded sample).

    The libraries (about 2 s and 220 MB of dictionaries per process) are loaded only when a
    column holds free text.
    """
    samples = {name: free_text_cells(frame.get_column(name)) for name in frame.columns}
    samples = {name: cells for name, cells in samples.items() if cells}
    if not samples or not available():
        return {}
    return {name: examine(cells) for name, cells in samples.items()}


def with_sample_hits(
    scan: ColumnScan, evidence: TextEvidence | None, *, context: dict[str, bool] | None = None
) -> tuple[ColumnScan, dict[str, SampleNote]]:
    """``scan`` with the names and addresses its free-text sample shows, and how they were found.

    Categories the column's values already show are left as they are.
    """
    if evidence is None or evidence.sampled < MIN_SAMPLED:
        return scan, {}
    context = context or {}
    added: list[CategoryHit] = []
    notes: dict[str, SampleNote] = {}
    for category, matched, examples, method in (
        (NAME, evidence.names, evidence.name_examples, "jieba part-of-speech nr, surname table"),
        (ADDRESS, evidence.addresses, evidence.address_examples, "cpca divisions, house number"),
    ):
        share = matched / evidence.sampled
        if category in scan.categories or matched < MIN_MATCHED or share < MIN_SHARE:
            continue
        if category == NAME and len(evidence.name_keys) < MIN_DISTINCT_NAMES * matched:
            continue
        added.append(
            CategoryHit(
                category=category,
                matched=matched,
                ratio=round(share, 4),
                confidence=round(min(MAX_CONFIDENCE, BASE_CONFIDENCE + share), 4),
                examples=examples,
                name_matched=context.get(category, False),
                sensitivity=Sensitivity.PERSONAL,
            )
        )
        notes[category] = SampleNote(cells=evidence.sampled, matched=matched, method=method)
    if not added:
        return scan, {}
    hits = sorted((*scan.hits, *added), key=lambda h: (-h.confidence, h.category))
    return ColumnScan(name=scan.name, non_null=scan.non_null, hits=tuple(hits)), notes
