"""The console's transfer pages through HTTP: the exporter's list, counts and downloads, the
regulator's dashboard and alerts from the records, and leak tracing by upload."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import anyio
import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.ledger import service as ledger
from dataport.ledger.receipts import verify_receipt
from dataport.transfer import destinations, package
from dataport.transfer.models import Transfer, TransferStatus
from dataport.web.transfers import MAX_UPLOAD, BodyTooLarge, limited
from tests.web.test_pages import csrf_of, sign_in
from tests.web.world import Console, Transfers, build, send_transfers


@pytest.fixture
def traded(
    session: Session, connection: sa.Connection, settings: Settings
) -> tuple[Console, Transfers]:
    console = build(session, settings)
    session.flush()

    def sessions() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    sent = send_transfers(sessions, settings, console, today_in_china())
    ledger.checkpoint(session, settings)
    session.flush()
    return console, sent


def leaked(sent: Transfers, transfer_id: uuid.UUID, fraction: float = 0.3) -> bytes:
    """Some rows and columns of what a transfer delivered, shuffled, as CSV."""
    (data,) = sent.outbox.rglob(f"{destinations.package_name(str(transfer_id))}/data/*")
    frame = pl.read_parquet(data).sample(fraction=fraction, seed=3, shuffle=True)
    return frame.select("手机号", "会员等级").write_csv().encode()


def test_the_exporter_lists_its_transfers_with_its_counts(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    assert sign_in(client, console.a_officer) == 303
    page = client.get("/console/transfers")
    assert page.status_code == 200
    for tid in [*sent.delivered, sent.refused]:
        assert f"/console/transfers/{tid}" in page.text
    assert str(sent.b_transfer) not in page.text
    assert "beta-customers" not in page.text
    assert "超出批准范围的列：客户编号" not in page.text  # only the column outside it is named
    assert "超出批准范围的列：电子邮箱" in page.text
    assert "已拒绝" in page.text
    assert "已交付" in page.text
    assert "累计出境人数" in page.text
    assert "Lion City Insights Pte. Ltd." in page.text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_transfer_page_in_both_languages(
    client: TestClient, traded: tuple[Console, Transfers], lang: str
) -> None:
    console, sent = traded
    client.cookies.set("dataport_lang", lang, path="/console")
    assert sign_in(client, console.a_officer) == 303
    delivered = client.get(f"/console/transfers/{sent.delivered[0]}")
    assert delivered.status_code == 200
    assert f'<html lang="{lang}">' in delivered.text
    assert "receipt.json" in delivered.text
    assert "manifest.json" in delivered.text
    refused = client.get(f"/console/transfers/{sent.refused}")
    assert refused.status_code == 200
    assert "approval_columns" in refused.text
    assert "receipt.json" not in refused.text
    words = {"zh-CN": "超出批准范围的列", "en": "columns outside the approved scope"}
    assert words[lang] in refused.text


def test_the_receipt_verifies_and_the_manifest_is_the_signed_one(
    client: TestClient, session: Session, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    assert sign_in(client, console.a_officer) == 303
    tid = sent.delivered[-1]
    receipt = client.get(f"/console/transfers/{tid}/receipt.json")
    assert receipt.status_code == 200
    assert "attachment" in receipt.headers["content-disposition"]
    log_key = ledger.require_log(session).verifier_key
    verdict = verify_receipt(receipt.content, log_key)
    entry = json.loads(verdict.entry)
    assert entry["event"] == "transfer.delivered"
    assert entry["subject"]["id"] == str(tid)
    manifest = client.get(f"/console/transfers/{tid}/manifest.json")
    assert manifest.status_code == 200
    recorded = session.get_one(Transfer, tid)
    assert package.sha256_bytes(manifest.content) == recorded.manifest_sha256
    assert json.loads(manifest.content)["transfer_id"] == str(tid)
    signature = client.get(f"/console/transfers/{tid}/manifest.sig")
    assert signature.status_code == 200
    assert manifest.headers["content-type"].startswith("application/json")
    # A refused transfer has neither.
    assert client.get(f"/console/transfers/{sent.refused}/receipt.json").status_code == 404
    assert client.get(f"/console/transfers/{sent.refused}/manifest.json").status_code == 404


def test_a_manifest_changed_at_the_destination_is_not_served(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    tid = sent.delivered[0]
    (found,) = sent.outbox.rglob(f"{destinations.package_name(str(tid))}/{package.MANIFEST}")
    found.write_bytes(found.read_bytes().replace(b'"rows"', b'"rows" ', 1))
    assert sign_in(client, console.a_officer) == 303
    response = client.get(f"/console/transfers/{tid}/manifest.json")
    assert response.status_code == 422
    assert "清单哈希" in response.text


def test_another_companys_transfer_is_absent(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    assert sign_in(client, console.a_officer) == 303
    for suffix in ("", "/receipt.json", "/manifest.json", "/manifest.sig"):
        response = client.get(f"/console/transfers/{sent.b_transfer}{suffix}")
        assert response.status_code == 404, suffix
        assert "beta-customers" not in response.text
        assert "Beta Robotics" not in response.text
    # B's refused transfer has no receipt or manifest to give away: A's delivered ones do.
    client.cookies.clear()
    assert sign_in(client, console.b_admin) == 303
    for suffix in ("", "/receipt.json", "/manifest.json", "/manifest.sig"):
        response = client.get(f"/console/transfers/{sent.delivered[0]}{suffix}")
        assert response.status_code == 404, suffix
        assert "星海智能科技" not in response.text


def test_the_dashboard_and_alerts_come_from_the_transfers(
    client: TestClient, traded: tuple[Console, Transfers], session: Session
) -> None:
    console, sent = traded
    assert sign_in(client, console.reviewer) == 303
    page = client.get("/console/supervision")
    assert page.status_code == 200
    charts = page.text.split('id="chart-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(charts)
    year = today_in_china().year
    rows = session.scalars(
        sa.select(Transfer).where(
            Transfer.status == TransferStatus.delivered, Transfer.on >= date(year, 1, 1)
        )
    ).all()
    assert sum(data["individuals"]) == sum(t.individuals for t in rows)
    countries = {c for c, _ in data["countries"]}
    assert "US" in countries  # this year's unusually large transfer
    assert countries <= {"DE", "SG", "US"}
    assert f"/console/transfers/{sent.refused}" in page.text
    assert f"/console/transfers/{sent.b_transfer}" in page.text
    alerts = client.get("/console/alerts")
    assert "超范围传输" in alerts.text
    assert "传输量异常" in alerts.text
    assert f"/console/transfers/{sent.unusual}" in alerts.text


def _upload(
    client: TestClient, name: str, body: bytes, csrf: str, **headers: str
) -> tuple[int, str]:
    response = client.post(
        "/console/trace",
        data={"csrf": csrf},
        files={"file": (name, io.BytesIO(body), "text/csv")},
        headers=headers,
    )
    return response.status_code, response.text


def test_a_regulator_traces_a_leaked_sample_to_its_transfer(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    assert sign_in(client, console.reviewer) == 303
    csrf = csrf_of(client, "/console/trace")
    status, text = _upload(client, "found.csv", leaked(sent, sent.delivered[1]), csrf)
    assert status == 200, text[-1500:]
    assert "已匹配" in text
    assert f"/console/transfers/{sent.delivered[1]}" in text
    assert "Lion City Insights Pte. Ltd." in text  # the second delivery went to Singapore
    # A file of unrelated rows matches nothing.
    other = pl.DataFrame({"手机号": ["138****0000"] * 50, "会员等级": ["金卡"] * 50})
    status, text = _upload(client, "other.csv", other.write_csv().encode(), csrf)
    assert status == 200
    assert "未匹配" in text


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("empty.csv", b"", "是空文件"),
        ("notes.docx", b"PK\x03\x04", "仅支持"),
        ("broken.parquet", b"PAR1 not really parquet", "既不是可读取的 Parquet"),
    ],
)
def test_a_bad_file_is_refused_beside_the_field(
    client: TestClient, traded: tuple[Console, Transfers], name: str, body: bytes, message: str
) -> None:
    console, _ = traded
    assert sign_in(client, console.reviewer) == 303
    status, text = _upload(client, name, body, csrf_of(client, "/console/trace"))
    assert status == 422
    assert 'id="e-file"' in text
    assert message in text
    assert "dataport-trace-" not in text  # where the upload was kept is not shown


def test_a_file_over_the_limit_is_refused_unread(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    assert sign_in(client, console.reviewer) == 303
    csrf = csrf_of(client, "/console/trace")
    status, text = _upload(client, "huge.csv", b"a\n" * (MAX_UPLOAD // 2 + 10), csrf)
    assert status == 422
    assert "文件超过 20 MB" in text


def test_an_exporter_traces_only_over_its_own_transfers(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    assert sign_in(client, console.b_admin) == 303
    status, text = _upload(
        client, "found.csv", leaked(sent, sent.delivered[0]), csrf_of(client, "/console/trace")
    )
    assert status == 200
    assert "未匹配" in text
    assert "星海智能科技" not in text
    assert str(sent.delivered[0]) not in text


def test_the_upload_needs_its_token(client: TestClient, traded: tuple[Console, Transfers]) -> None:
    console, sent = traded
    assert sign_in(client, console.reviewer) == 303
    status, _ = _upload(client, "found.csv", leaked(sent, sent.delivered[0]), "forged")
    assert status == 403


def test_a_body_sent_in_chunks_is_cut_off_at_the_limit() -> None:
    """A chunked upload declares no length: reading stops once it passes the limit."""
    chunks = [b"x" * 1000] * 10
    pulled = []

    async def receive() -> dict[str, object]:
        pulled.append(1)
        return {"type": "http.request", "body": chunks[len(pulled) - 1], "more_body": True}

    async def read_all(limit: int) -> None:
        bounded = limited(receive, limit)  # type: ignore[arg-type]
        for _ in chunks:
            await bounded()

    def read(limit: int) -> None:
        # In a thread of its own: the browser tests may leave an event loop in this one.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(anyio.run, read_all, limit).result()

    pulled.clear()
    read(10_000)  # exactly at the limit: all of it read
    assert len(pulled) == 10
    pulled.clear()
    with pytest.raises(BodyTooLarge):
        read(3_500)
    assert len(pulled) == 4  # the fourth chunk passed the limit; nothing more was read


def test_a_chunked_upload_over_the_limit_is_refused(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    assert sign_in(client, console.reviewer) == 303
    csrf = csrf_of(client, "/console/trace")
    boundary = "dataport-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(MAX_UPLOAD // (1 << 20) + 2):
            yield b"a\n" * (1 << 19)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/console/trace",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 422
    assert "文件超过 20 MB" in response.text


def test_a_small_parquet_file_that_decodes_to_gigabytes_is_refused(
    client: TestClient, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    # 2,000 copies of a 1 MB value: about 100 KB of Parquet, 2 GB once decoded.
    bomb = io.BytesIO()
    pl.DataFrame({"备注": ["x" * 1_000_000] * 2_000}).write_parquet(
        bomb, compression="zstd", use_pyarrow=True, pyarrow_options={"use_dictionary": False}
    )
    assert len(bomb.getvalue()) < MAX_UPLOAD
    assert sign_in(client, console.reviewer) == 303
    status, text = _upload(
        client, "bomb.parquet", bomb.getvalue(), csrf_of(client, "/console/trace")
    )
    assert status == 422
    assert 'id="e-file"' in text
    assert "bomb.parquet 解码后超过 256 MB" in text
