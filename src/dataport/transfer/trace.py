"""Leak tracing: which transfer, and so which recipient, a file found in the wild came from.

The file may be a part of what was delivered: some rows, in any order, some columns, as CSV
or Parquet. Every delivered transfer of the exporters whose watermark keys this installation
holds is a candidate; the watermark's bits are compared with each (``watermark.score``).
"""

from __future__ import annotations

import codecs
import io
import uuid
from collections import defaultdict
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.catalog import sources
from dataport.catalog.models import Dataset
from dataport.config import Settings
from dataport.errors import InvalidInput, SourceError
from dataport.identity.authz import Permission, Principal
from dataport.identity.models import Organisation
from dataport.transfer import leakprobe, watermark
from dataport.transfer.keys import watermark_key_if_any
from dataport.transfer.models import Transfer, TransferStatus
from dataport.transfer.schemas import TraceMatch, TraceOut


def read_leak(
    path: Path, *, decoded_budget: int | None = None, shown_as: str | None = None
) -> pl.DataFrame:
    """A suspected file: Parquet by its magic bytes, otherwise CSV read as text.

    ``decoded_budget``: for a file from someone else (an upload), a Parquet file is first
    decoded in a capped child process and refused if it would exceed this many bytes.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc}", f"无法读取 {path}：{exc}", field="file"
        ) from exc
    if not data:
        raise InvalidInput(f"{path} is empty", f"{path} 是空文件", field="file")
    try:
        if data[:4] == b"PAR1":
            if decoded_budget is not None:
                leakprobe.check_decoded_size(path, decoded_budget, shown_as=shown_as or str(path))
            return pl.read_parquet(io.BytesIO(data))
        text = _as_utf8(data, shown_as or str(path))
        first_line = text[: text.find(b"\n")]
        # A table saved by a spreadsheet as "text" is tab-separated, whatever its name says.
        tabs = path.suffix.lower() == ".tsv" or first_line.count(b"\t") > first_line.count(b",")
        return pl.read_csv(io.BytesIO(text), infer_schema=False, separator="\t" if tabs else ",")
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise InvalidInput(
            f"{path} is neither Parquet nor CSV that can be read: {exc}",
            f"{path} 既不是可读取的 Parquet，也不是可读取的 CSV：{exc}",
            field="file",
        ) from exc


def _as_utf8(data: bytes, shown_as: str) -> bytes:
    """A leaked CSV's bytes as UTF-8: leaks are often re-saved by a spreadsheet, in GBK or in
    UTF-16, so the encoding is detected as for a registered file."""
    try:
        encoding = sources.detect_encoding(data[: 1 << 20], shown_as)
    except SourceError as exc:
        raise InvalidInput(exc.en, exc.zh, field="file") from exc
    if encoding == "utf-8":
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        # "utf-16" reads its byte-order mark; the text is left without one.
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = sources.fault_line(data, encoding)
        where, where_zh = (f"line {line}", f"第 {line} 行") if line else ("it", "该文件")
        raise InvalidInput(
            f"{shown_as}: {where} is not valid {encoding} text (a damaged or cut-off file)",
            f"{shown_as}：{where_zh}不是有效的 {encoding} 文本（文件损坏或被截断）",
            field="file",
        ) from exc


def trace_file(
    session: Session,
    principal: Principal,
    settings: Settings,
    path: Path,
    *,
    org_id: uuid.UUID | None = None,
    decoded_budget: int | None = None,
) -> TraceOut:
    """The transfer the file's watermark points to, with a confidence; or no match.

    ``decoded_budget``: see ``read_leak`` (set for uploaded files)."""
    frame = read_leak(path, decoded_budget=decoded_budget)
    visible = principal.visible_org_ids(Permission.dataset_read)
    query = sa.select(Transfer).where(Transfer.status == TransferStatus.delivered)
    if visible is not None:
        query = query.where(Transfer.org_id.in_(visible))
    if org_id is not None:
        query = query.where(Transfer.org_id == org_id)
    by_exporter: dict[uuid.UUID, list[Transfer]] = defaultdict(list)
    for transfer in session.scalars(query):
        by_exporter[transfer.org_id].append(transfer)
    candidates = sum(len(t) for t in by_exporter.values())
    best: tuple[watermark.Score, Transfer] | None = None
    for exporter_id, transfers in by_exporter.items():
        key = watermark_key_if_any(settings.home, exporter_id)
        if key is None:
            continue
        cells = watermark.observed_cells(frame, key)
        masks = {str(t.id): watermark.transfer_mask(key, str(t.id)) for t in transfers}
        scores = watermark.score(cells, masks, candidates)
        if scores and (best is None or scores[0].false_match < best[0].false_match):
            top = next(t for t in transfers if str(t.id) == scores[0].transfer_id)
            best = (scores[0], top)
    match = None
    if best is not None and best[0].cells > 0:
        found, transfer = best
        recipient = session.get_one(Organisation, transfer.recipient_org_id)
        exporter = session.get_one(Organisation, transfer.org_id)
        dataset = session.get_one(Dataset, transfer.dataset_id)
        match = TraceMatch(
            transfer_id=transfer.id,
            recipient=recipient.name,
            recipient_id=recipient.id,
            exporter=exporter.name,
            dataset=dataset.name,
            confidence=found.confidence,
            agreement=round(found.agreement, 4),
            cells=found.cells,
            columns=list(found.columns),
        )
    matched = best is not None and best[0].matches
    return TraceOut(
        file=str(path),
        rows=frame.height,
        matched=matched,
        transfer_id=match.transfer_id if matched and match else None,
        recipient=match.recipient if matched and match else None,
        confidence=match.confidence if matched and match else 0.0,
        best=match,
        candidates=candidates,
    )
