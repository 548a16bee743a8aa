"""What a transfer reads: database tables (in batches, through the catalog's reader) and
files, each checked against the version the catalog recorded."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.errors import Conflict, InvalidInput, SourceError
from dataport.samples.customers import customers
from dataport.transfer import runner, service
from dataport.transfer.models import TransferStatus
from dataport.transfer.policy import parse_policy
from tests.factories import OPERATOR
from tests.transfer.conftest import World

ROWS = 120_000  # more than two of the reader's batches
COLUMNS = ("客户编号", "会员等级", "累计消费金额")


@pytest.fixture
def table_url(tmp_path: Path) -> str:
    """A source database (a SQLite file) with a customer table, as an exporter's own."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    base = customers(1000, today=date(2026, 1, 1)).select(COLUMNS)
    frame = pl.concat([base] * (ROWS // 1000)).with_columns(
        pl.format("C{}", pl.int_range(pl.len()).cast(pl.String).str.zfill(7)).alias("客户编号")
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE orders (客户编号 TEXT PRIMARY KEY, 会员等级 TEXT, 累计消费金额 TEXT)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO orders VALUES (:a, :b, :c)"),
            [dict(zip("abc", row, strict=True)) for row in frame.iter_rows()],
        )
    engine.dispose()
    return url


def transfer_of_table(world: World, url: str) -> runner.Order:
    """Register the table as a dataset; an order for it (not personal information: exempt)."""
    spec = sources.resolve(url, table="orders")
    inspection = catalog.read_source(OPERATOR, world.settings, org_id=world.exporter.id, spec=spec)
    dataset = catalog.register_dataset(
        world.session, OPERATOR, org=world.exporter, name="orders", spec=spec,
        inspection=inspection, sector="ecommerce",
    ).dataset  # fmt: skip
    world.session.flush()
    return world.order(dataset_id=dataset.id, approval_id=None, policy=parse_policy({}))


def test_a_database_table_is_read_in_batches_and_delivered(world: World, table_url: str) -> None:
    order = transfer_of_table(world, table_url)
    outcome = world.run(order)
    assert outcome.status is TransferStatus.delivered, outcome
    folder = world.outbox / f"dataport-{outcome.transfer_id}"
    sent = pl.read_parquet(folder / "data" / "orders.parquet")
    assert sent.height == ROWS
    assert sent.columns == list(COLUMNS)
    assert sent.get_column("客户编号").n_unique() == ROWS
    engine = sa.create_engine(table_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM orders")).all()
    engine.dispose()
    source = pl.DataFrame([tuple(r) for r in rows], schema=list(COLUMNS), orient="row")
    both = source.join(sent, on="客户编号", suffix="_sent")
    assert both.height == ROWS
    assert (both["会员等级"] == both["会员等级_sent"]).all()
    # The amounts carry the watermark: about one in sixteen moved by a cent, the rest intact.
    cents = (
        (both["累计消费金额"].cast(pl.Float64) - both["累计消费金额_sent"].cast(pl.Float64))
        .abs()
        .round(6)
    )
    assert set(cents.unique().to_list()) == {0.0, 0.01}
    assert ROWS / 32 < int((cents > 0).sum()) < ROWS / 8


def test_a_table_changed_since_its_version_is_not_sent(world: World, table_url: str) -> None:
    order = transfer_of_table(world, table_url)
    engine = sa.create_engine(table_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET 会员等级 = '金卡' WHERE 客户编号 = 'C0000007'"))
    engine.dispose()
    with pytest.raises(Conflict, match="changed since version 1"):
        world.run(order)
    assert list(world.outbox.iterdir()) == []


def test_what_is_sent_of_a_table_is_what_its_hash_was_checked_on(
    world: World, table_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = transfer_of_table(world, table_url)
    inspect = sources.inspect

    def changed_right_after(*args: object, **kw: object) -> sources.Inspection:
        found = inspect(*args, **kw)  # type: ignore[arg-type]
        # The table changes once its hash has been found to match the recorded version.
        engine = sa.create_engine(table_url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE orders SET 会员等级 = '改过' WHERE 客户编号 = 'C0000007'"))
        engine.dispose()
        return found

    monkeypatch.setattr(sources, "inspect", changed_right_after)
    outcome = world.run(order)
    assert outcome.status is TransferStatus.delivered, outcome
    sent = pl.read_parquet(
        world.outbox / f"dataport-{outcome.transfer_id}" / "data" / "orders.parquet"
    )
    assert sent.get_column("会员等级").to_list().count("改过") == 0


def test_a_file_too_large_for_memory_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    customers(2000).write_csv(path)
    spec = sources.resolve(str(path))
    needed = service.memory_needed(path, spec)
    assert needed >= 6 * path.stat().st_size
    service.check_memory(path, spec, available=needed)
    with pytest.raises(InvalidInput) as caught:
        service.check_memory(path, spec, available=needed - 1)
    assert str(path) in caught.value.en
    assert "split it into smaller files" in caught.value.en
    assert caught.value.details["needed"] == needed


def test_a_gb18030_file_is_read_as_recorded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    table = customers(50).select("客户编号", "姓名", "住址")
    path.write_bytes(table.write_csv().encode("gb18030"))
    frame, digest, failure = service.read_file(
        path, sources.resolve(str(path)), encoding="gb18030", sheet=None
    )
    assert failure is None
    assert frame is not None
    assert frame.equals(table)
    assert digest == sources.file_hash(path)


def test_a_file_that_changes_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("客户编号,会员等级\nC1,金卡\nC2,银卡\n", encoding="utf-8")
    recorded = sources.file_hash(path)
    hashed = threading.Event()
    file_hash, parse_file = sources.file_hash, service.parse_file

    def hash_then_grow(target: Path) -> str:
        digest = file_hash(target)
        with target.open("a", encoding="utf-8") as file:  # still being written
            file.write("C3,铜卡\n")
        hashed.set()
        return digest

    def parse_after_growth(*args: Any, **kw: Any) -> pl.DataFrame:
        assert hashed.wait(10)
        return parse_file(*args, **kw)

    monkeypatch.setattr(sources, "file_hash", hash_then_grow)
    monkeypatch.setattr(service, "parse_file", parse_after_growth)

    def read() -> None:
        frame, digest, _ = service.read_file(
            path, sources.resolve(str(path)), encoding="utf-8", sheet=None
        )
        # Otherwise three rows would be sent under the hash of the two recorded.
        assert (digest, frame is not None and frame.height) == (recorded, 2)

    with pytest.raises(Conflict, match="changed while it was being read"):
        read()


def test_a_workbook_is_sized_by_what_it_unpacks_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.xlsx"
    customers(2000).write_excel(path)
    spec = sources.resolve(str(path))
    unpacked = sources.check_workbook(path, spec.display)
    assert unpacked is not None
    assert service.memory_needed(path, spec) == int(unpacked * service.MEMORY_PER_UNPACKED_BYTE)
    # Beyond what a workbook may unpack to, it is refused before anything is read.
    monkeypatch.setattr(sources, "EXCEL_MAX_UNPACKED", unpacked - 1)
    with pytest.raises(SourceError, match="unpacks to"):
        service.check_memory(path, spec, available=1 << 40)
