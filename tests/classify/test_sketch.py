"""Distinct counts: exact while small, HyperLogLog within its error once large; parts merge."""

from __future__ import annotations

import numpy as np
import polars as pl

from dataport.classify.sketch import EXACT_LIMIT, DistinctSketch, hashes


def values(start: int, stop: int) -> pl.Series:
    return pl.Series([f"id-{i}" for i in range(start, stop)])


def sketch_of(*parts: pl.Series) -> DistinctSketch:
    sketch = DistinctSketch()
    for part in parts:
        sketch.add(hashes(part))
    return sketch


def test_small_streams_are_counted_exactly_with_repeats_and_nulls() -> None:
    repeated = pl.concat([values(0, 500), values(250, 750), pl.Series([None], dtype=pl.String)])
    sketch = sketch_of(repeated)
    assert sketch.is_exact
    assert sketch.count() == 750
    assert sketch.relative_error == 0.0


def test_large_streams_switch_to_hyperloglog_within_three_standard_errors() -> None:
    total = EXACT_LIMIT * 3
    sketch = sketch_of(*(values(i, i + 50_000) for i in range(0, total, 50_000)))
    assert not sketch.is_exact
    assert abs(sketch.count() - total) <= 3 * sketch.relative_error * total


def test_merging_parts_equals_one_pass_over_the_whole() -> None:
    whole = sketch_of(values(0, 250_000))
    left, right = sketch_of(values(0, 150_000)), sketch_of(values(100_000, 250_000))
    assert left.merge(right).count() == whole.count()
    small_left, small_right = sketch_of(values(0, 10)), sketch_of(values(5, 20))
    assert small_left.merge(small_right).count() == 20
    # An exact part merges into a large one without losing its values.
    assert sketch_of(values(0, 200_000)).merge(sketch_of(values(0, 10))).count() == (
        sketch_of(values(0, 200_000)).count()
    )


def test_registers_hold_the_rank_of_the_first_one_bit_after_the_index_bits() -> None:
    from dataport.classify.sketch import _REGISTERS, PRECISION

    hashed = hashes(values(0, 5_000))
    # Edge cases of the rank: nothing but the index bits, the lowest bit, the highest rest bit.
    rest_bits = 64 - PRECISION
    edges = [0, 1, 1 << (rest_bits - 1), (1 << rest_bits) - 1, (_REGISTERS - 1) << rest_bits]
    hashed = np.concatenate([hashed, np.array(edges, dtype=np.uint64)])
    expected = [0] * _REGISTERS
    for value in (int(v) for v in hashed):
        index, rest = value >> rest_bits, value & ((1 << rest_bits) - 1)
        expected[index] = max(expected[index], rest_bits - rest.bit_length() + 1)
    sketch = DistinctSketch(exact=None, registers=np.zeros(_REGISTERS, dtype=np.uint8))
    sketch.add(hashed)
    assert sketch.registers is not None
    assert sketch.registers.tolist() == expected


def test_a_large_part_takes_a_small_one_s_hashes_without_deduplicating_them() -> None:
    large = sketch_of(values(0, 200_000))
    small = sketch_of(values(150_000, 150_010), values(150_000, 250_000))
    merged = large.merge(small)
    assert not merged.is_exact
    assert merged.count() == sketch_of(values(0, 250_000)).count()
