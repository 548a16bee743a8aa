"""The spot-check draw: anyone can recompute it from the checkpoint, and nobody can steer it."""

from __future__ import annotations

import hashlib

from dataport.supervision.campaigns import SEED_DOMAIN, draw_sample, rank, seed_from

NOTE = (
    b"example.org/log\n23\nq1w2e3r4t5y6u7i8o9p0AbCdEfGhIjKlMnOpQrStUvW=\n"
    b"\n\xe2\x80\x94 example.org/log abc\n"
)


def test_the_seed_is_the_hash_of_the_checkpoint_body_without_signatures() -> None:
    body = b"example.org/log\n23\nq1w2e3r4t5y6u7i8o9p0AbCdEfGhIjKlMnOpQrStUvW=\n"
    assert seed_from(NOTE) == hashlib.sha256(SEED_DOMAIN + body).digest()
    other = NOTE.replace(b"\n23\n", b"\n24\n")
    assert seed_from(other) != seed_from(NOTE)


def test_the_draw_takes_the_smallest_ranks_and_is_reproducible() -> None:
    seed = seed_from(NOTE)
    population = list(range(100))
    sample = draw_sample(seed, population, 5)
    assert sample == draw_sample(seed, list(reversed(population)), 5)
    assert len({index for index, _ in sample}) == 5
    ranks = sorted(rank(seed, i) for i in population)
    assert [r for _, r in sample] == ranks[:5]
    assert draw_sample(seed_from(NOTE.replace(b"23", b"24")), population, 5) != sample


def test_a_sample_larger_than_the_population_takes_it_all() -> None:
    assert sorted(i for i, _ in draw_sample(b"s" * 32, [3, 1, 2], 10)) == [1, 2, 3]
