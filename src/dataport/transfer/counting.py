"""Who is in the data that leaves: the re-scan of what is sent, and the individuals counted.

Categories are found on a spread sample of each column (the classifier's public
``scan_column``); counting then runs over every row as Polars expressions:

- a row carries personal information when a column sent holds a personal category, or was
  masked or tokenised from one (de-identified information is still personal: PIPL Art. 73);
- it carries sensitive personal information when such a column is sensitive, or the person
  is a child under 14 (PIPL Art. 28), known from an ID number or birth date in the source
  even when that column itself does not leave;
- with an ``individual_key``, rows sharing it are one person.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from dataport.classify import MINOR_AGE, Sensitivity, scan_column
from dataport.classify.minors import minor_id_flags
from dataport.transfer.policy import Policy

#: Rows of each column the classifier looks at to find its categories.
SCAN_SAMPLE = 10_000
#: Columns scanned at the same time, each in a thread of its own.
_COLUMNS_AT_ONCE = 2
_ID = "cn_resident_id"
_BIRTH = "birth_date"


@dataclass(frozen=True)
class Counts:
    rows: int
    #: Individuals with non-sensitive personal information only.
    individuals: int
    #: Individuals with sensitive personal information (minors included).
    sensitive_individuals: int
    minors: int
    #: Categories found in each column sent (the re-scan), and in each source column treated.
    sent_categories: dict[str, list[str]] = field(default_factory=dict)
    personal_columns: list[str] = field(default_factory=list)
    sensitive_columns: list[str] = field(default_factory=list)

    @property
    def contains_pi(self) -> bool:
        return bool(self.individuals or self.sensitive_individuals)


def _spread(series: pl.Series) -> pl.Series:
    step = max(1, len(series) // SCAN_SAMPLE)
    return series.gather_every(step).head(SCAN_SAMPLE)


def _sensitivity(series: pl.Series, name: str, as_of: dt.date) -> tuple[Sensitivity, list[str]]:
    found = scan_column(_spread(series), name, as_of=as_of)
    return found.sensitivity(), list(found.categories)


def _minor_rows(
    source: pl.DataFrame, categories: dict[str, list[str]], as_of: dt.date
) -> pl.Series:
    """Rows about a child under 14: an ID number or a birth date in the source says so."""
    minor = pl.Series("minor", [False], dtype=pl.Boolean).new_from_index(0, source.height)
    limit = dt.date(as_of.year - MINOR_AGE, as_of.month, min(as_of.day, 28))
    for name, found in categories.items():
        if _ID in found:
            minor = minor | minor_id_flags(source.get_column(name), as_of)
        elif _BIRTH in found:
            born = pl.col(name).cast(pl.String).str.to_date(strict=False)
            minor = minor | source.select((born > limit).fill_null(False)).to_series()
    return minor.alias("minor")


def count_individuals(
    source: pl.DataFrame,
    sent: pl.DataFrame,
    treatments: dict[str, tuple[str, ...]],
    policy: Policy,
    as_of: dt.date,
) -> Counts:
    """Count the individuals whose information ``sent`` carries (rows aligned with ``source``)."""
    # Columns are scanned side by side: Polars lets go of the GIL while it computes.
    columns = [*source.iter_columns(), *sent.iter_columns()]
    with ThreadPoolExecutor(max_workers=_COLUMNS_AT_ONCE) as pool:
        found = list(pool.map(lambda column: _sensitivity(column, column.name, as_of), columns))
    source_found = dict(zip(source.columns, found[: source.width], strict=True))
    sent_found = dict(zip(sent.columns, found[source.width :], strict=True))
    personal: list[str] = []
    sensitive: list[str] = []
    for name, (level, _) in sent_found.items():
        if "mask" in treatments.get(name, ()) or "tokenise" in treatments.get(name, ()):
            level = max(level, source_found[name][0], key=_rank)
        if level is Sensitivity.SENSITIVE:
            sensitive.append(name)
        if level is not Sensitivity.NOT_PERSONAL:
            personal.append(name)
    frame = sent.select(
        pl.any_horizontal([pl.col(c).is_not_null() for c in personal]).alias("pi")
        if personal
        else pl.repeat(False, pl.len()).alias("pi"),
        pl.any_horizontal([pl.col(c).is_not_null() for c in sensitive]).alias("spi")
        if sensitive
        else pl.repeat(False, pl.len()).alias("spi"),
    ).with_columns(_minor_rows(source, {n: f[1] for n, f in source_found.items()}, as_of))
    frame = frame.with_columns(
        (pl.col("spi") | (pl.col("minor") & pl.col("pi"))).alias("sensitive")
    )
    key = policy.individual_key
    if key is not None:
        frame = frame.with_columns(source.get_column(key).alias("who"))
        people = frame.filter(pl.col("pi")).group_by("who").agg(pl.col("sensitive").any())
        total = people.height
        with_sensitive = int(people.get_column("sensitive").sum())
        minors = int(frame.filter(pl.col("minor") & pl.col("pi")).get_column("who").n_unique())
    else:
        total = int(frame.get_column("pi").sum())
        with_sensitive = int(frame.filter(pl.col("pi")).get_column("sensitive").sum())
        minors = int((frame.get_column("minor") & frame.get_column("pi")).sum())
    return Counts(
        rows=sent.height,
        individuals=total - with_sensitive,
        sensitive_individuals=with_sensitive,
        minors=minors,
        sent_categories={name: found[1] for name, found in sent_found.items()},
        personal_columns=personal,
        sensitive_columns=sensitive,
    )


def _rank(level: Sensitivity) -> int:
    return [Sensitivity.NOT_PERSONAL, Sensitivity.PERSONAL, Sensitivity.SENSITIVE].index(level)
