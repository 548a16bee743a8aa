"""Counting distinct values in a stream: exact while small, HyperLogLog once large.

Values arrive as 64-bit hashes (``pl.Series.hash``) batch by batch, possibly in different
processes or machines; sketches of the parts merge into the sketch of the whole. Nothing in a
sketch can be turned back into a value: only hashes (exact mode, in memory) or registers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

#: Up to this many distinct hashes are kept and counted exactly.
EXACT_LIMIT = 100_000
#: 2^14 registers: a relative standard error of 1.04 / sqrt(2^14), about 0.8 %.
PRECISION = 14
_REGISTERS = 1 << PRECISION
#: A fixed seed makes hashes comparable across batches, processes and machines.
_SEED = 0x6461_7461_706F_7274


def hashes(values: pl.Series) -> np.ndarray:
    """64-bit hashes of the non-null values (the same value always hashes the same)."""
    present = values.drop_nulls()
    hashed = present.hash(seed=_SEED)
    return hashed.to_numpy().astype(np.uint64, copy=False)


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Bit length of unsigned values below 2^53, exactly: a float64 holds them exactly, and its
    binary exponent is their bit length (0 for 0)."""
    _, bits = np.frexp(values.astype(np.float64))
    return bits


@dataclass(slots=True)
class DistinctSketch:
    """The number of distinct hashes seen, exact up to ``EXACT_LIMIT``."""

    exact: np.ndarray | None = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    registers: np.ndarray | None = None
    #: Exact mode: hashes added since the last deduplication (deduplicated in bulk).
    pending: list[np.ndarray] = field(default_factory=list)

    @property
    def is_exact(self) -> bool:
        self._settle()
        return self.exact is not None

    def add(self, values: np.ndarray) -> None:
        """Add a batch of hashes."""
        if not len(values):
            return
        if self.exact is None:
            self._update_registers(values)
            return
        self.pending.append(values)
        if sum(len(p) for p in self.pending) > 4 * EXACT_LIMIT:
            self._settle()

    def _settle(self) -> None:
        """Deduplicate pending hashes; past the limit, switch to registers."""
        if self.exact is None or not self.pending:
            return
        joined = pl.Series(np.concatenate([self.exact, *self.pending]), dtype=pl.UInt64)
        self.pending = []
        self.exact = joined.unique().to_numpy()
        if len(self.exact) > EXACT_LIMIT:
            self._to_registers()

    def merge(self, other: DistinctSketch) -> DistinctSketch:
        """The sketch of both streams together."""
        self._settle()
        if self.registers is not None and other.exact is not None:
            # Registers take the other's hashes as they come: a repeated hash changes nothing,
            # so they need not be deduplicated first.
            merged = DistinctSketch(exact=None, registers=self.registers.copy())
            for part in (other.exact, *other.pending):
                merged._update_registers(part)
            return merged
        other._settle()
        merged = DistinctSketch(
            exact=None if self.exact is None else self.exact.copy(),
            registers=None if self.registers is None else self.registers.copy(),
        )
        if other.exact is not None:
            merged.add(other.exact)
            return merged
        if merged.exact is not None:
            merged._to_registers()
        assert merged.registers is not None  # noqa: S101 - set by _to_registers
        assert other.registers is not None  # noqa: S101 - not exact, so registers
        merged.registers = np.maximum(merged.registers, other.registers)
        return merged

    def count(self) -> int:
        """The exact count, or the HyperLogLog estimate (with the small-range correction)."""
        self._settle()
        if self.exact is not None:
            return len(self.exact)
        assert self.registers is not None  # noqa: S101 - one of the two is always set
        m = float(_REGISTERS)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.power(2.0, -self.registers.astype(np.float64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return round(m * float(np.log(m / zeros)))
        return round(raw)

    @property
    def relative_error(self) -> float:
        """The standard error of ``count`` relative to it: 0 when exact."""
        return 0.0 if self.is_exact else round(1.04 / np.sqrt(_REGISTERS), 4)

    def _to_registers(self) -> None:
        exact = self.exact
        self.exact = None
        self.registers = np.zeros(_REGISTERS, dtype=np.uint8)
        if exact is not None:
            self._update_registers(exact)

    def _update_registers(self, values: np.ndarray) -> None:
        assert self.registers is not None  # noqa: S101 - called in register mode only
        index = (values >> np.uint64(64 - PRECISION)).astype(np.int64)
        # The remaining 64 - p bits: below 2^53 for p >= 11, as _bit_length needs.
        rest = values & np.uint64((1 << (64 - PRECISION)) - 1)
        # Position of the leftmost 1 among the remaining 64 - p bits, counted from 1.
        rank = (64 - PRECISION) - _bit_length(rest) + 1
        # Unbuffered: every hash of a register counts, the largest rank stays.
        np.maximum.at(self.registers, index, rank.astype(np.uint8))
