"""The declarative shape of a detector: value patterns, column-name vocabulary, validator, mask."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import polars as pl

#: A vectorised function from a string expression to another expression (bool, str, …).
ExprFn = Callable[[pl.Expr], pl.Expr]


class Sensitivity(StrEnum):
    """What PIPL makes of a category: not personal, personal, or sensitive personal (Art. 28)."""

    NOT_PERSONAL = "not_personal"
    PERSONAL = "personal"
    SENSITIVE = "sensitive"


class Scope(StrEnum):
    """Where a detector looks: the whole cell, or anywhere inside free text."""

    CELL = "cell"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class ValuePattern:
    """One accepted form of a value, as a regex in Rust ``regex`` syntax (what Polars runs).

    ``score`` is how sure one validated match makes us, before the column name is considered;
    ``needs_context`` forms are too ambiguous (8 bare digits, a lone decimal) to count unless the
    column name says what they are.
    """

    name: str
    regex: str
    score: float
    needs_context: bool = False
    #: The lengths (in characters) every value of this form has, when there are few: forms of
    #: different scores told apart by length are ranked without a regex.
    lengths: tuple[int, ...] = ()


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
#: A Latin entry this long also matches as the start of a glued token ("mobileno" ← "mobile").
_PREFIX_MIN = 4


@lru_cache(maxsize=1 << 14)
def latin_tokens(text: str) -> tuple[str, ...]:
    """Split a column name into lower-case ASCII tokens at case changes and separators."""
    return tuple(t for t in _NON_ALNUM.split(_CAMEL.sub(r"\1_\2", text).lower()) if t)


@dataclass(frozen=True, slots=True)
class _LatinWords:
    """Latin-script entries made ready to look up in a column name's tokens.

    An entry matches when its tokens stand together among the name's (``mobile_no`` in
    ``customer_mobile_no``), or when, glued and at least ``_PREFIX_MIN`` letters long, it
    begins one of the name's tokens (``phonenumber``, ``idcardno``). Substring matching would
    let "ip" fire inside "zip" and "phone" inside "headphone": a glued prefix is as far as it
    is safe to go.
    """

    #: Entries of one token, and of several.
    single: frozenset[str]
    several: tuple[tuple[str, ...], ...]
    #: Entries glued, long enough to match as a prefix, and the lengths among them.
    glued: frozenset[str]
    glued_lengths: tuple[int, ...]

    @staticmethod
    def of(entries: tuple[str, ...]) -> _LatinWords:
        split = [latin_tokens(e) for e in entries]
        glued = {"".join(w) for w in split if len("".join(w)) >= _PREFIX_MIN}
        return _LatinWords(
            single=frozenset(w[0] for w in split if len(w) == 1),
            several=tuple(dict.fromkeys(w for w in split if len(w) > 1)),
            glued=frozenset(glued),
            glued_lengths=tuple(sorted({len(g) for g in glued})),
        )

    def found_in(self, tokens: tuple[str, ...]) -> bool:
        if any(t in self.single for t in tokens):
            return True
        for wanted in self.several:
            width = len(wanted)
            if any(tokens[i : i + width] == wanted for i in range(len(tokens) - width + 1)):
                return True
        return any(t[:length] in self.glued for t in tokens for length in self.glued_lengths)


def _zh_words(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One search for any of the words (longest first, so none hides another)."""
    if not words:
        return None
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered))


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Column-name words for a category in Chinese and in Latin script (English and pinyin)."""

    zh: tuple[str, ...] = ()
    latin: tuple[str, ...] = ()
    #: Words that mean the column is about something else ("商品名称" is not a person's name).
    exclude_zh: tuple[str, ...] = ()
    exclude_latin: tuple[str, ...] = ()
    # Made once from the words above: every column of a scan asks every vocabulary.
    _hash: int = field(init=False, repr=False, compare=False, default=0)
    _zh: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _exclude_zh: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _latin: _LatinWords | None = field(init=False, repr=False, compare=False, default=None)
    _exclude_latin: _LatinWords | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        words = (self.zh, self.latin, self.exclude_zh, self.exclude_latin)
        object.__setattr__(self, "_hash", hash(words))
        object.__setattr__(self, "_zh", _zh_words(self.zh))
        object.__setattr__(self, "_exclude_zh", _zh_words(self.exclude_zh))
        object.__setattr__(self, "_latin", _LatinWords.of(self.latin))
        object.__setattr__(self, "_exclude_latin", _LatinWords.of(self.exclude_latin))

    def __hash__(self) -> int:
        return self._hash

    def matches(self, column_name: str | None) -> bool:
        """Whether the column name speaks of this category."""
        if not column_name:
            return False
        tokens = latin_tokens(column_name)
        excluded = (self._exclude_zh is not None and self._exclude_zh.search(column_name)) or (
            self._exclude_latin is not None and self._exclude_latin.found_in(tokens)
        )
        if excluded:
            return False
        return bool(self._zh is not None and self._zh.search(column_name)) or (
            self._latin is not None and self._latin.found_in(tokens)
        )


def _strip(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars()


def _keep_first_char(value: pl.Expr) -> pl.Expr:
    return pl.concat_str(value.str.slice(0, 1), value.str.slice(1).str.replace_all(r".", "*"))


def _apart_by_length(forms: tuple[ValuePattern, ...]) -> bool:
    """Whether every form has fixed lengths and forms of different scores share none, so that
    a value known to match one of them scores by its length alone."""
    if not all(p.lengths for p in forms):
        return False
    return all(
        not set(a.lengths) & set(b.lengths) for a in forms for b in forms if a.score != b.score
    )


@dataclass(frozen=True, slots=True)
class Detector:
    """A category of data and everything needed to find it in a column, vectorised.

    Values are found in two steps: ``candidate`` (TEXT scope) extracts loose look-alikes from
    anywhere in a value; each candidate is normalised and must then fully match one of
    ``patterns`` and pass ``validator``. ``chance`` is the probability that an arbitrary
    candidate passes both, so a column whose candidates pass no more often than chance (serial
    numbers that happen to satisfy Luhn one time in ten) is not reported.
    """

    category: str
    label_zh: str
    label_en: str
    sensitivity: Sensitivity
    #: The standard or law that defines the format or the category.
    basis: str
    vocabulary: Vocabulary
    patterns: tuple[ValuePattern, ...] = ()
    scope: Scope = Scope.CELL
    #: TEXT scope only: a regex whose every match is a candidate (no look-around in Polars,
    #: so boundaries are ASCII word boundaries ``(?-u:\b)``, which CJK text satisfies).
    candidate: str | None = None
    normalise: ExprFn = _strip
    validator: ExprFn | None = None
    chance: float = 0.0
    #: Categories whose valid values are removed from this detector's candidates first
    #: (an 18-digit resident ID that happens to pass Luhn is not a bank card).
    yields_to: tuple[str, ...] = ()
    mask: ExprFn = _keep_first_char
    #: Confidence the column name alone gives, for categories defined by what a column holds
    #: (health, religion, …) rather than by a value format. None: values must agree.
    header_score: float | None = None
    #: Dense runs of numbers (ids allocated in sequence) are not this category.
    dense_numbers_are_ids: bool = False
    #: A cheap regex every raw cell holding a candidate contains (``\\d{15}``, ``@``): cells
    #: without it are skipped before extraction and normalisation. TEXT scope defaults to the
    #: candidate regex itself; detectors sharing one prefilter have it computed once a column.
    requires: str | None = None
    #: CELL scope: the longest raw cell (in characters) that can hold a value; longer cells,
    #: such as free text, are never normalised or matched.
    max_chars: int | None = None
    #: TEXT scope: a regex that a whole trimmed cell matches only if the cell is exactly one
    #: candidate, already normalised and shaped like a value whatever the column name (written
    #: in the syntax Python's ``re`` shares with Polars', so that tests can generate its
    #: strings). A column whose every cell matches it is examined with this one pattern instead
    #: of the prefilter, the extraction, the normaliser and the shape.
    whole: str | None = None

    def __post_init__(self) -> None:
        if self.scope is Scope.TEXT and self.candidate is None:
            raise ValueError(f"{self.category}: a TEXT-scope detector needs a candidate regex")
        if not 0.0 <= self.chance < 1.0:
            raise ValueError(f"{self.category}: chance must be in [0, 1), got {self.chance}")
        for p in self.patterns:
            if not 0.0 < p.score <= 1.0:
                raise ValueError(f"{self.category}/{p.name}: score must be in (0, 1]")
        if not self.patterns and self.header_score is None:
            raise ValueError(f"{self.category}: needs value patterns or a header score")
        if self.whole is not None and self.scope is not Scope.TEXT:
            raise ValueError(f"{self.category}: only TEXT-scope detectors take a whole-cell form")
        if self.max_chars is not None and self.max_chars < 1:
            raise ValueError(f"{self.category}: max_chars must be positive")

    @property
    def prefilter(self) -> str | None:
        """The regex a raw cell must contain to be worth examining, if any."""
        if self.requires is not None:
            return self.requires
        return self.candidate if self.scope is Scope.TEXT else None

    @property
    def normalises_by_stripping(self) -> bool:
        """Whether values are normalised by trimming spaces only (the default), so that a
        trimmed cell has a value's shape exactly when it matches the patterns as it is."""
        return self.normalise is _strip

    def usable_patterns(self, *, context: bool) -> tuple[ValuePattern, ...]:
        """The patterns that count, given whether the column name supports the category."""
        return tuple(p for p in self.patterns if context or not p.needs_context)

    def shape(self, *, context: bool) -> str | None:
        """The usable patterns as one alternation (not anchored); None if none is usable."""
        usable = self.usable_patterns(context=context)
        return "|".join(f"(?:{p.regex})" for p in usable) if usable else None

    def has_shape(self, value: pl.Expr, *, context: bool) -> pl.Expr:
        """Per normalised value: whether it fully matches any usable pattern (a cheap prefilter)."""
        shape = self.shape(context=context)
        return pl.lit(False) if shape is None else value.str.contains(f"^(?:{shape})$")

    def value_score(self, value: pl.Expr, *, context: bool, shaped: bool = False) -> pl.Expr:
        """Per normalised value: the best score among the patterns it satisfies, else null.

        ``shaped``: the values are known to match a usable pattern (``has_shape``), so the
        patterns are tried best first and the last one needs no match at all.
        """
        usable = self.usable_patterns(context=context)
        if not usable:
            return pl.lit(None, dtype=pl.Float64)
        if shaped:
            # One regex (or one length test) per distinct score, best first; the lowest score
            # is what is left.
            ranked = sorted({p.score for p in usable}, reverse=True)
            by_length = _apart_by_length(usable)
            best = pl.lit(ranked[-1], dtype=pl.Float64)
            for score in reversed(ranked[:-1]):
                forms = [p for p in usable if p.score == score]
                if by_length:
                    lengths = [n for p in forms for n in p.lengths]
                    matched = value.str.len_chars().is_in(lengths)
                else:
                    either = "|".join(f"(?:{p.regex})" for p in forms)
                    matched = value.str.contains(f"^(?:{either})$")
                best = pl.when(matched).then(pl.lit(score, dtype=pl.Float64)).otherwise(best)
            if self.validator is None:
                return best
            return pl.when(self.validator(value).fill_null(False)).then(best)
        scores = [
            pl.when(value.str.contains(f"^(?:{p.regex})$")).then(pl.lit(p.score)) for p in usable
        ]
        best = pl.max_horizontal(scores) if len(scores) > 1 else scores[0]
        if self.validator is not None:
            best = pl.when(self.validator(value).fill_null(False)).then(best)
        return best.cast(pl.Float64)

    def is_valid(self, value: pl.Expr, *, context: bool = True, shaped: bool = False) -> pl.Expr:
        """Per normalised value: whether it is a valid instance of this category.

        ``shaped``: the values are known to match a usable pattern (``has_shape``), so only the
        validator is left to say."""
        if shaped and self.usable_patterns(context=context):
            if self.validator is None:
                return value.is_not_null()
            return self.validator(value).fill_null(False)
        return self.value_score(value, context=context).is_not_null()
