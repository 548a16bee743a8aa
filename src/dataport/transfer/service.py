"""Transfers: destinations, the scope check, the records of each transfer, its history.

Services flush and never commit; ``runner`` strings the steps of one transfer together, each
in a unit of work of its own, because delivery must follow the commit that allowed it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment.calendar import today_in_china
from dataport.assessment.models import ApplicationKind, Approval
from dataport.audit.models import AuditEvent
from dataport.audit.service import record
from dataport.catalog import sources
from dataport.catalog.models import Dataset, DatasetVersion, SourceKind, Zone
from dataport.catalog.service import latest_version, source_spec_of
from dataport.config import Settings
from dataport.db import utcnow
from dataport.errors import Conflict, DataportError, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import Organisation
from dataport.ledger import service as ledger
from dataport.ledger.canonical import canonical_json
from dataport.ledger.keys import read_secret, write_secret
from dataport.ledger.models import LedgerEntry
from dataport.rules.engine import decide
from dataport.rules.pack import PackRegistry, Pathway
from dataport.rules.scenario import parse_scenario
from dataport.transfer import deidentify, destinations, keys, watermark
from dataport.transfer.counting import Counts, count_individuals
from dataport.transfer.history import history_of, used_under
from dataport.transfer.keys import ExporterKeys, exporter_keys
from dataport.transfer.models import Destination, Transfer, TransferStatus
from dataport.transfer.policy import Policy, check_columns
from dataport.transfer.schemas import DestinationOut, Reason, TransferOut
from dataport.urls import split_password, with_password

FORMATS = ("parquet", "csv")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class TransferBusy(Conflict):
    """Another process is delivering the same transfer right now."""

    code = "transfer_busy"


class TransferRefused(DataportError):
    """The transfer is outside what the law and the approval allow: recorded, not sent."""

    code = "transfer_refused"
    http_status = 422
    exit_code = 9


# -- destinations ---------------------------------------------------------------------------


def _check_destination_url(url: str, settings: Settings, org_id: uuid.UUID) -> None:
    """API callers may deliver only to their own outbox folders or to allowed URL schemes."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme and scheme != "file":
        if scheme not in settings.remote_schemes:
            raise InvalidInput(
                f"URL scheme {scheme!r} is not allowed for destinations declared through the "
                f"API (allowed: {', '.join(settings.remote_schemes) or 'none'})",
                f"通过 API 声明的目标位置不允许使用 {scheme!r} 协议"
                f"（允许：{'、'.join(settings.remote_schemes) or '无'}）",
                field="url",
            )
        if scheme == "s3" and "@" not in url.split("://", 1)[1].split("/", 1)[0]:
            # Without its own key the URL would be served with this server's credentials,
            # which may reach buckets of other organisations.
            raise InvalidInput(
                "an s3:// destination declared through the API must carry its own access key "
                "(s3://KEY:SECRET@bucket/prefix)",
                "通过 API 声明的 s3:// 目标位置必须自带访问密钥（s3://KEY:SECRET@bucket/prefix）",
                field="url",
            )
        return
    path = Path(url.removeprefix("file://")).resolve()
    allowed = [(root / str(org_id)).resolve() for root in settings.resolved_destination_roots]
    if not any(path == root or root in path.parents for root in allowed):
        raise InvalidInput(
            f"through the API, a local destination must be inside your outbox folder "
            f"({allowed[0]})",
            f"通过 API 声明的本地目标位置须位于本组织的发件目录（{allowed[0]}）之内",
            field="url",
        )


def declare_destination(
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    org: Organisation,
    name: str,
    url: str,
    zone: Zone,
    country: str,
) -> Destination:
    """Declare a place the organisation delivers to; transfers go to declared places only."""
    authorize(
        principal,
        Permission.dataset_write,
        org.id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            "a destination name is 1-100 letters, digits, dots, dashes or underscores",
            "目标位置名称须为 1-100 个字母、数字、点、短横线或下划线",
            field="name",
        )
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInput(
            f"country must be an ISO 3166-1 alpha-2 code such as DE, not {country!r}",
            f"国家须为 ISO 3166-1 两位字母代码（如 DE），而非 {country!r}",
            field="country",
        )
    url = url.strip()
    if not url:
        raise InvalidInput(
            "give the destination's folder or URL", "请提供目标位置的目录或 URL", field="url"
        )
    if not principal.is_operator:
        _check_destination_url(url, settings, org.id)
    if session.scalar(
        sa.select(Destination.id).where(Destination.org_id == org.id, Destination.name == name)
    ):
        raise Conflict(
            f"{org.name} already declared a destination named {name!r}",
            f"{org.name} 已声明名为 {name!r} 的目标位置",
            field="name",
        )
    # The password, if the URL holds one, goes to an owner-only file beside the exporter's keys.
    shown, password = split_password(url)
    destination = Destination(
        org_id=org.id, name=name, url=shown, zone=zone, country=country, created_by=principal.actor
    )
    session.add(destination)
    session.flush()
    record(
        session,
        principal,
        "destination.declared",
        target_type="destination",
        target_id=destination.id,
        org_id=org.id,
        name=name,
        url=destinations.redact(url),
        zone=str(zone),
        country=country,
    )
    if password is not None:
        # Last, once every record is in place; a transaction rolled back takes it away again.
        path = keys.destination_secret_path(settings.home, org.id, destination.id)
        write_secret(path, password)
        session.info.setdefault(_UNCOMMITTED_SECRETS, []).append(path)
    return destination


#: Password files written in a session's transaction and not yet committed with it.
_UNCOMMITTED_SECRETS = "dataport.transfer.uncommitted_secrets"


@sa.event.listens_for(Session, "after_commit")
def _keep_secrets(session: Session) -> None:
    session.info.pop(_UNCOMMITTED_SECRETS, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_secrets(session: Session, previous: Any) -> None:
    """A destination rolled back leaves no password behind for an id that was never kept."""
    if previous.parent is None:  # the session's own transaction, not a nested one
        for path in session.info.pop(_UNCOMMITTED_SECRETS, []):
            path.unlink(missing_ok=True)


def list_destinations(
    session: Session, principal: Principal, *, org_id: uuid.UUID | None = None
) -> Sequence[Destination]:
    visible = principal.visible_org_ids(Permission.dataset_read)
    query = sa.select(Destination).order_by(Destination.name)
    if visible is not None:
        query = query.where(Destination.org_id.in_(visible))
    if org_id is not None:
        query = query.where(Destination.org_id == org_id)
    return session.scalars(query).all()


def find_destination(session: Session, org_id: uuid.UUID, ref: str) -> Destination | None:
    """A declared destination of the organisation, by name, id or exact URL."""
    query = sa.select(Destination).where(Destination.org_id == org_id)
    found = session.scalars(query.where(Destination.name == ref)).first()
    if found is None:
        # Declared URLs are kept without their password: a URL given with one matches too.
        urls = {ref, split_password(ref)[0]}
        found = session.scalars(query.where(Destination.url.in_(urls))).first()
    if found is None:
        try:
            found = session.scalars(query.where(Destination.id == uuid.UUID(ref))).first()
        except ValueError:
            found = None
    return found


def destination_url(settings: Settings, destination: Destination) -> str:
    """The URL deliveries use: the declared one with its password, read from its file.

    A destination declared before passwords left the database has its URL whole there."""
    path = keys.destination_secret_path(settings.home, destination.org_id, destination.id)
    if not path.exists():
        return destination.url
    return with_password(destination.url, read_secret(path))


def describe_destination(destination: Destination) -> DestinationOut:
    out = DestinationOut.model_validate(destination)
    out.url = destinations.redact(out.url)
    return out


# -- preparing: read, de-identify, watermark, count, decide, check scope ------------------------


@dataclass(frozen=True)
class TransferRequest:
    dataset: Dataset
    recipient: Organisation
    #: A declared destination's name, id, or URL.
    destination: str
    approval_id: uuid.UUID | None = None
    purpose: str | None = None
    columns: tuple[str, ...] | None = None
    format: str = "parquet"
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True)
class Prepared:
    """A transfer's record and, unless it was refused, the table that leaves."""

    transfer: Transfer
    frame: pl.DataFrame | None
    keys: ExporterKeys | None


def _reason(code: str, en: str, zh: str) -> Reason:
    return Reason(code=code, en=en, zh=zh)


def read_dataset(settings: Settings, dataset: Dataset, version: DatasetVersion) -> pl.DataFrame:
    """The dataset's recorded version as a table; the source must still hash to it.

    Text files are read as text, every value exactly as written (a phone keeps its leading
    digits, an ID its X); typed files and database tables keep their types. A database table
    is read in batches and hashed, as the catalog recorded it, from the same rows.
    """
    spec = source_spec_of(dataset)
    if spec.kind is SourceKind.database:
        return _read_table(settings, dataset, version, spec)
    with sources.local_copy(spec, settings.home / "tmp") as path:
        assert path is not None  # noqa: S101 - file sources have a local path
        frame, digest, failure = read_file(
            path, spec, encoding=version.encoding, sheet=version.sheet
        )
    _check_unchanged(dataset, version, digest)
    if failure is not None:
        raise failure
    assert frame is not None  # noqa: S101 - parsed, or failed above
    return frame


def read_file(
    path: Path, spec: sources.SourceSpec, *, encoding: str | None, sheet: str | None
) -> tuple[pl.DataFrame | None, str, InvalidInput | None]:
    """A file source parsed, and its content hash: the table, ``sha256:...``, or the error.

    The file is hashed (in a stream, by another thread: hashlib lets go of the GIL) while
    Polars parses it from its path, so its bytes are never held in memory as well; the parse
    counts only if the hash still matches the recorded version, which the caller checks.
    """
    check_memory(path, spec)
    # Hash and parse read the file separately: it must not change meanwhile (a file still
    # being written would have its first bytes hashed and more of it parsed).
    before = _fingerprint(path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(sources.file_hash, path)
        try:
            frame: pl.DataFrame | None = parse_file(path, spec, encoding=encoding, sheet=sheet)
            failure: InvalidInput | None = None
        except InvalidInput as exc:
            frame, failure = None, exc
        digest = hashing.result()
    if _fingerprint(path) != before:
        raise Conflict(
            f"{spec.display} changed while it was being read: transfer it once nothing writes "
            "to it any more",
            f"{spec.display} 在读取期间发生了变化：请在不再写入该文件后再传输",
            field="dataset",
        )
    return frame, digest, failure


def _fingerprint(path: Path) -> tuple[int, int, int]:
    found = path.stat()
    return found.st_ino, found.st_size, found.st_mtime_ns


#: Memory a transfer takes per byte of the file it reads: the table, its de-identified and
#: watermarked copy (bench/transfer.py measured 4.3 on a 204 MB CSV: a peak of 1.06 GB,
#: 181 MB of it the libraries), with a margin. Parquet counts its uncompressed size, an .xlsx
#: workbook what it unpacks to (its XML is several times the size of its table; a packed
#: .xls counts 20 per byte).
MEMORY_PER_BYTE = {"csv": 6.0, "tsv": 6.0, "jsonl": 6.0, "parquet": 6.0, "excel": 20.0}
MEMORY_PER_UNPACKED_BYTE = 3.0


def memory_needed(path: Path, spec: sources.SourceSpec) -> int:
    """About how much memory transferring this file takes (the whole table is held)."""
    size = path.stat().st_size
    if spec.format == "parquet":
        metadata = pq.ParquetFile(path).metadata
        size = sum(metadata.row_group(g).total_byte_size for g in range(metadata.num_row_groups))
    if spec.format == "excel":
        # A workbook that unpacks to more than a workbook may is refused here, unread.
        unpacked = sources.check_workbook(path, spec.display)
        if unpacked is not None:
            return int(unpacked * MEMORY_PER_UNPACKED_BYTE)
    return int(size * MEMORY_PER_BYTE.get(spec.format, 3.0))


def available_memory() -> int | None:
    """Memory the system can give without swapping (Linux ``MemAvailable``), if known."""
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else None


def check_memory(path: Path, spec: sources.SourceSpec, available: int | None = None) -> None:
    """Refuse, before reading, a file whose table would not fit in memory."""
    available = available_memory() if available is None else available
    needed = memory_needed(path, spec)
    if available is not None and needed > available:
        mb = 1 << 20
        raise InvalidInput(
            f"{spec.display} needs about {needed // mb} MB of memory to transfer and "
            f"{available // mb} MB is available: split it into smaller files (or load it into "
            "a database table, which is read in batches) and transfer each",
            f"传输 {spec.display} 约需 {needed // mb} MB 内存，而可用内存为 {available // mb} MB："
            "请拆分为较小的文件（或导入数据库表，按批读取）后分别传输",
            field="dataset",
            needed=needed,
            available=available,
        )


def _check_unchanged(dataset: Dataset, version: DatasetVersion, digest: str) -> None:
    if digest != version.content_hash:
        raise Conflict(
            f"the source of {dataset.name} changed since version {version.number} was recorded "
            f"({version.content_hash[:19]}…, now {digest[:19]}…): run 'dataport dataset refresh "
            f"{dataset.name}' and transfer the new version",
            f"{dataset.name} 的数据源自第 {version.number} 版登记以来已变化：请先运行 "
            f"'dataport dataset refresh {dataset.name}'，再传输新版本",
            field="dataset",
        )


def _read_table(
    settings: Settings, dataset: Dataset, version: DatasetVersion, spec: sources.SourceSpec
) -> pl.DataFrame:
    """A database table, read in batches; its content hash is taken over those very rows."""
    batches, found = sources.read_table(spec)
    _check_unchanged(dataset, version, found.content_hash)
    if not batches:
        return pl.DataFrame(schema={c.name: pl.String for c in found.columns})
    return pl.concat(batches, how="vertical_relaxed")


def parse_file(
    path: Path, spec: sources.SourceSpec, *, encoding: str | None, sheet: str | None
) -> pl.DataFrame:
    """A file source as a table, read as the catalog recorded it."""
    fmt = spec.format
    try:
        if fmt in ("csv", "tsv"):
            separator = "\t" if fmt == "tsv" else ","
            if encoding is None:
                with path.open("rb") as file:
                    encoding = sources.detect_encoding(file.read(1 << 20), spec.display)
            if encoding in ("utf-8", "utf-8-sig", "ascii"):
                return pl.read_csv(path, infer_schema=False, separator=separator)
            # Another encoding: the text is decoded in memory (the catalog recorded which).
            text = path.read_bytes().decode(encoding).encode()
            return pl.read_csv(io.BytesIO(text), infer_schema=False, separator=separator)
        if fmt == "parquet":
            return pl.read_parquet(path)
        if fmt == "jsonl":
            return pl.read_ndjson(path)
        return pl.read_excel(path, sheet_name=sheet) if sheet else pl.read_excel(path)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"cannot read {spec.display} as {fmt}: {exc}",
            f"无法以 {fmt} 格式读取 {spec.display}：{exc}",
            field="dataset",
        ) from exc


def request_sha256(request: TransferRequest, version: DatasetVersion, destination: str) -> str:
    body = {
        "dataset_version": str(version.id),
        "recipient": str(request.recipient.id),
        "destination": destination,
        "approval": str(request.approval_id) if request.approval_id else None,
        "purpose": request.purpose,
        "columns": list(request.columns) if request.columns is not None else None,
        "format": request.format,
        "policy": request.policy.sha256,
    }
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class Table:
    """What leaves, and what is known about it."""

    frame: pl.DataFrame
    columns: list[dict[str, Any]]
    counts: Counts
    anonymity: deidentify.Anonymity
    carriers: dict[str, str]
    changed: dict[str, int]
    suppressed: dict[str, int]
    #: Cells a generalisation could not read, sent empty, per generalised column.
    unreadable: dict[str, int]


def _check_csv_columns(frame: pl.DataFrame) -> None:
    """Refuse, before anything is written, columns a CSV file cannot hold."""
    unfit = [name for name, dtype in frame.schema.items() if deidentify.opaque(dtype)]
    if unfit:
        raise InvalidInput(
            f"CSV cannot hold the columns {', '.join(unfit)} (lists, records or binary data): "
            "send Parquet (--format parquet), or leave them out (--columns)",
            f"CSV 无法容纳这些列：{'、'.join(unfit)}（列表、结构或二进制数据）："
            "请以 Parquet 格式发送（--format parquet），或用 --columns 排除这些列",
            field="format",
        )


def build_table(
    source: pl.DataFrame,
    request: TransferRequest,
    keys: ExporterKeys,
    transfer_id: uuid.UUID,
    on: date,
) -> Table:
    """The table that leaves: selected, de-identified and watermarked column by column, counted."""
    if request.columns is not None:
        missing = [c for c in request.columns if c not in source.columns]
        if missing or not request.columns:
            raise InvalidInput(
                f"no such columns: {', '.join(missing)}; columns: {', '.join(source.columns)}"
                if missing
                else "name at least one column to send",
                f"不存在这些列：{'、'.join(missing)}；现有列：{'、'.join(source.columns)}"
                if missing
                else "请至少指定一列",
                field="columns",
            )
    whole = source
    if request.columns is not None:
        source = source.select(request.columns)
    check_columns(request.policy, source.columns, whole.columns)
    # Each column is marked as soon as it is treated (the watermark on a column depends on
    # it alone): masked columns carry a mark of their own, tokenised and generalised ones none.
    actions = {name: request.policy.rule(name).actions for name in source.columns}
    wanted = request.policy.watermark.columns
    marker = watermark.Marker(
        keys.watermark,
        str(transfer_id),
        columns=[
            n
            for n, done in actions.items()
            if not {"tokenise", "generalise"} & set(done) and (wanted is None or n in wanted)
        ],
        masked=[n for n, done in actions.items() if "mask" in done],
    )
    treated = deidentify.apply_policy(source, request.policy, keys.tokenise, then=marker)
    if not treated.frame.columns:
        raise InvalidInput(
            "the policy drops every column: nothing would leave",
            "脱敏策略删除了所有列：没有数据可发送",
            field="policy",
        )
    if request.format == "csv":
        _check_csv_columns(treated.frame)
    marked = marker.embedded(treated.frame)
    # Who the rows are about is read from the whole source: a child's ID number stays home,
    # yet the row that leaves is still a child's. The rows are counted as they leave.
    counts = count_individuals(whole, marked.frame, treated.treatments, request.policy, on)
    del whole, source
    anonymity = deidentify.k_anonymity(
        marked.frame, request.policy.quasi_identifiers, request.policy.min_k
    )
    columns = [
        {
            "name": name,
            "type": str(dtype),
            "treatment": list(treated.treatments[name]),
            "categories": counts.sent_categories.get(name, []),
        }
        for name, dtype in marked.frame.schema.items()
    ]
    return Table(
        marked.frame,
        columns,
        counts,
        anonymity,
        dict(marked.carriers),
        marked.changed,
        treated.suppressed,
        treated.unreadable,
    )


def _decision(
    session: Session,
    exporter: Organisation,
    dataset: Dataset,
    recipient: Organisation,
    purpose: str,
    counts: Counts,
    on: date,
    exclude: uuid.UUID | None,
    registry: PackRegistry | None,
) -> dict[str, Any]:
    scenario = parse_scenario(
        {
            "as_of": on.isoformat(),
            "exporter": {
                "ciio": exporter.ciio,
                "registered_zone": exporter.registered_zone,
                "sector": dataset.sector,
            },
            "transfer": {
                "purpose": purpose,
                "recipient_country": recipient.country,
                "contains_pi": counts.contains_pi,
                "individuals": counts.individuals,
                "sensitive_individuals": counts.sensitive_individuals,
            },
            "history": [
                h.model_dump(mode="json")
                for h in history_of(session, exporter.id, until=on, exclude=exclude)
            ],
        },
        source="transfer",
    )
    return decide(scenario, registry).model_dump(mode="json")


def _scope_reasons(
    session: Session,
    principal: Principal,
    *,
    exporter: Organisation,
    dataset: Dataset,
    request: TransferRequest,
    destination: Destination | None,
    purpose: str,
    pathway: Pathway,
    table: Table,
    on: date,
) -> list[Reason]:
    reasons: list[Reason] = []
    recipient = request.recipient
    if recipient.id == exporter.id:
        reasons.append(
            _reason(
                "recipient_is_exporter",
                "the recipient is the exporter itself",
                "接收方即出境方本身",
            )
        )
    if recipient.country == "CN":
        reasons.append(
            _reason(
                "recipient_in_china",
                f"{recipient.name} is established in China: a transfer sends data abroad",
                f"{recipient.name} 设立于中国境内：传输只用于向境外提供数据",
            )
        )
    if destination is None:
        given = destinations.redact(request.destination)
        reasons.append(
            _reason(
                "destination_undeclared",
                f"{given!r} is not a destination {exporter.name} has declared "
                "('dataport destination add')",
                f"{given!r} 不是 {exporter.name} 已声明的目标位置（'dataport destination add'）",
            )
        )
    elif dataset.zone is Zone.offshore and destination.zone is not Zone.offshore:
        reasons.append(
            _reason(
                "offshore_to_domestic",
                f"{dataset.name} is offshore-zone data: it may not be delivered to the domestic "
                f"destination {destination.name}",
                f"{dataset.name} 为离岸区数据，不得交付至境内目标位置 {destination.name}",
            )
        )
    if pathway is Pathway.prohibited:
        reasons.append(
            _reason(
                "prohibited", "the rules prohibit this transfer abroad", "依据规则，该数据禁止出境"
            )
        )
    k, min_k = table.anonymity.k, request.policy.min_k
    if min_k is not None and k is not None and k < min_k:
        below = table.anonymity.rows_below_min_k
        reasons.append(
            _reason(
                "k_anonymity",
                f"after the policy the quasi-identifiers are {k}-anonymous, below the policy's "
                f"minimum of {min_k} ({below} rows in smaller groups)",
                f"脱敏后准标识符的 k 匿名度为 {k}，低于策略要求的 {min_k}"
                f"（{below} 行所在分组过小）",
            )
        )
    needs_approval = pathway in (
        Pathway.security_assessment,
        Pathway.standard_contract_or_certification,
    )
    if request.approval_id is None:
        if needs_approval:
            reasons.append(
                _reason(
                    "approval_required",
                    f"the pathway is {pathway}: pass --approval with an approval or filed "
                    "contract that covers this transfer",
                    f"出境路径为 {pathway}：请用 --approval 指定涵盖本次传输的批准或已备案合同",
                )
            )
        return reasons
    approval = session.get_one(Approval, request.approval_id)
    reasons.extend(
        _approval_reasons(session, approval, dataset, request, purpose, pathway, table, on)
    )
    return reasons


def _approval_reasons(
    session: Session,
    approval: Approval,
    dataset: Dataset,
    request: TransferRequest,
    purpose: str,
    pathway: Pathway,
    table: Table,
    on: date,
) -> list[Reason]:
    reasons = []
    if pathway is Pathway.security_assessment and approval.kind is ApplicationKind.contract_filing:
        reasons.append(
            _reason(
                "approval_kind",
                "the pathway is now a security assessment; a filed standard contract does not "
                "cover it",
                "出境路径现为安全评估；已备案的标准合同不能涵盖",
            )
        )
    if approval.dataset_id != dataset.id:
        reasons.append(
            _reason(
                "approval_dataset",
                "the approval is for another dataset",
                "该批准针对的是其他数据集",
            )
        )
    if approval.recipient_org_id != request.recipient.id:
        reasons.append(
            _reason(
                "approval_recipient",
                f"the approval names another recipient than {request.recipient.name}",
                f"该批准的境外接收方不是 {request.recipient.name}",
            )
        )
    if approval.purpose != purpose:
        reasons.append(
            _reason(
                "approval_purpose",
                f"the approval is for the purpose {approval.purpose}, not {purpose}",
                f"该批准的目的为 {approval.purpose}，而非 {purpose}",
            )
        )
    if approval.fields:
        outside = [c["name"] for c in table.columns if c["name"] not in approval.fields]
        if outside:
            reasons.append(
                _reason(
                    "approval_columns",
                    f"columns outside the approved scope: {', '.join(outside)} (approved: "
                    f"{', '.join(approval.fields)})",
                    f"超出批准范围的列：{'、'.join(outside)}（已批准：{'、'.join(approval.fields)}）",
                )
            )
    if on < approval.issued_on:
        reasons.append(
            _reason(
                "approval_not_yet_valid",
                f"the approval holds from {approval.issued_on}",
                f"该批准自 {approval.issued_on} 起生效",
            )
        )
    if approval.expires_on is not None and on >= approval.expires_on:
        reasons.append(
            _reason(
                "approval_expired",
                f"the approval expired on {approval.expires_on}",
                f"该批准已于 {approval.expires_on} 到期",
            )
        )
    used, used_sensitive = used_under(session, approval.id)
    counts = table.counts
    for code, now, before, limit, en, zh in (
        ("approval_individuals", counts.individuals, used, approval.max_individuals,
         "individuals", "个人"),
        ("approval_sensitive_individuals", counts.sensitive_individuals, used_sensitive,
         approval.max_sensitive_individuals, "individuals with sensitive PI", "敏感个人信息主体"),
    ):  # fmt: skip
        if now + before > limit:
            reasons.append(
                _reason(
                    code,
                    f"{now:,} {en} in this transfer and {before:,} sent before under the approval "
                    f"exceed its {limit:,}",
                    f"本次 {now:,} 名{zh}加上此前依该批准已发送的 {before:,} 名，"
                    f"超出批准的 {limit:,} 名",
                )
            )
    return reasons


def prepare(
    session: Session,
    principal: Principal,
    settings: Settings,
    request: TransferRequest,
    *,
    on: date | None = None,
    registry: PackRegistry | None = None,
) -> Prepared:
    """Decide and check a new transfer; record it as refused, or as allowed and preparing."""
    dataset = request.dataset
    authorize(
        principal,
        Permission.dataset_write,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    if request.format not in FORMATS:
        raise InvalidInput(
            f"format must be parquet or csv, not {request.format!r}",
            f"格式须为 parquet 或 csv，而非 {request.format!r}",
            field="format",
        )
    on = on or today_in_china()
    exporter = session.get_one(Organisation, dataset.org_id)
    version = latest_version(session, dataset.id)
    if version is None:  # pragma: no cover - registration always records version 1
        raise InvalidInput("the dataset has no version", "数据集没有版本", field="dataset")
    approval = session.get(Approval, request.approval_id) if request.approval_id else None
    if request.approval_id is not None and (approval is None or approval.org_id != exporter.id):
        raise NotFound(
            f"{exporter.name} has no approval {request.approval_id}",
            f"{exporter.name} 没有编号为 {request.approval_id} 的批准",
            field="approval",
        )
    purpose = request.purpose or (approval.purpose if approval else "business")
    destination = find_destination(session, exporter.id, request.destination)
    keys = exporter_keys(settings.home, exporter.id)
    transfer_id = uuid.uuid4()
    table = build_table(read_dataset(settings, dataset, version), request, keys, transfer_id, on)
    decision = _decision(
        session, exporter, dataset, request.recipient, purpose, table.counts, on, None, registry
    )
    pathway = Pathway(str(decision["pathway"]))
    reasons = _scope_reasons(
        session,
        principal,
        exporter=exporter,
        dataset=dataset,
        request=request,
        destination=destination,
        purpose=purpose,
        pathway=pathway,
        table=table,
        on=on,
    )
    transfer = Transfer(
        id=transfer_id,
        org_id=exporter.id,
        status=TransferStatus.refused if reasons else TransferStatus.preparing,
        dataset_id=dataset.id,
        dataset_version_id=version.id,
        recipient_org_id=request.recipient.id,
        destination_id=destination.id if destination else None,
        # As given (a name, an id or a URL), a password in it hidden: it is recorded.
        destination_ref=destinations.redact(request.destination),
        approval_id=request.approval_id,
        purpose=purpose,
        format=request.format,
        columns=table.columns,
        policy=request.policy.describe(),
        policy_sha256=request.policy.sha256,
        request_sha256=request_sha256(
            request, version, str(destination.id) if destination else request.destination
        ),
        decision=decision,
        pathway=str(pathway),
        rows=table.counts.rows,
        individuals=table.counts.individuals,
        sensitive_individuals=table.counts.sensitive_individuals,
        k_anonymity=table.anonymity.k,
        report=_report(table, request.columns),
        reasons=[r.model_dump() for r in reasons],
        on=on,
        created_by=principal.actor,
    )
    session.add(transfer)
    session.flush()
    common: dict[str, Any] = {
        "dataset": str(dataset.id),
        "dataset_version": version.number,
        "content_hash": version.content_hash,
        "recipient": str(request.recipient.id),
        "approval": str(request.approval_id) if request.approval_id else None,
        "pathway": str(pathway),
        "decision_sha256": decision_sha256(decision),
        "rows": table.counts.rows,
        "individuals": table.counts.individuals,
        "sensitive_individuals": table.counts.sensitive_individuals,
        "destination": destinations.redact(request.destination),
    }
    if reasons:
        record(
            session,
            principal,
            "transfer.refused",
            target_type="transfer",
            target_id=transfer.id,
            org_id=exporter.id,
            reasons=[r.code for r in reasons],
            **common,
        )
        return Prepared(transfer, None, None)
    record(
        session,
        principal,
        "transfer.allowed",
        target_type="transfer",
        target_id=transfer.id,
        org_id=exporter.id,
        **common,
    )
    return Prepared(transfer, table.frame, keys)


def decision_sha256(decision: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(decision)).hexdigest()


def _report(table: Table, selected: tuple[str, ...] | None) -> dict[str, Any]:
    return {
        "selected": list(selected) if selected is not None else None,
        "categories": table.counts.sent_categories,
        "personal_columns": table.counts.personal_columns,
        "sensitive_columns": table.counts.sensitive_columns,
        "minors": table.counts.minors,
        "k_anonymity": {
            "quasi_identifiers": list(table.anonymity.quasi_identifiers),
            "k": table.anonymity.k,
            "classes": table.anonymity.classes,
            "rows_below_min_k": table.anonymity.rows_below_min_k,
        },
        "suppressed": table.suppressed,
        "not_generalised": table.unreadable,
        "watermark": {"carriers": table.carriers, "changed": table.changed},
    }


def rebuild(
    session: Session, settings: Settings, transfer: Transfer, request: TransferRequest
) -> tuple[pl.DataFrame, ExporterKeys]:
    """The same table again, for a transfer interrupted before its delivery was recorded."""
    dataset = request.dataset
    version = session.get_one(DatasetVersion, transfer.dataset_version_id)
    keys = exporter_keys(settings.home, transfer.org_id)
    table = build_table(
        read_dataset(settings, dataset, version), request, keys, transfer.id, transfer.on
    )
    if (table.counts.rows, table.counts.individuals, table.counts.sensitive_individuals) != (
        transfer.rows,
        transfer.individuals,
        transfer.sensitive_individuals,
    ):
        raise Conflict(
            "the data no longer gives the counts recorded when the transfer was allowed; abort it "
            f"('dataport transfer abort {transfer.id}') and transfer again",
            f"数据已与传输获准时记录的人数不一致；请中止（'dataport transfer abort {transfer.id}'）"
            "后重新传输",
        )
    return table.frame, keys


# -- the rest of a transfer's life ------------------------------------------------------------


#: A claim this old is taken over even if its process may live (on another machine, say):
#: longer than any delivery should take.
CLAIM_LEASE = timedelta(hours=6)


def _this_host() -> str:
    return socket.gethostname()[:120]


def _abandoned(holder: str) -> bool:
    """A claim held by a process of this machine that no longer runs (killed, crashed)."""
    host, _, rest = holder.partition(" ")
    pid = rest.split(" ", 1)[0]
    if host != _this_host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _busy(transfer_id: uuid.UUID, holder: str | None, since: datetime | None) -> TransferBusy:
    who = holder.rsplit(" ", 1)[0] if holder else "another run"
    when = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
    return TransferBusy(
        f"transfer {transfer_id} is being delivered by another process ({who}{when}); "
        "wait for it to finish, then check with 'dataport transfers show'",
        f"传输 {transfer_id} 正由另一进程（{who}）交付中；请待其完成后用 "
        "'dataport transfers show' 查看",
        holder=who,
    )


def claim_delivery(session: Session, transfer_id: uuid.UUID) -> str:
    """Make this process the one delivering a ``preparing`` transfer, or raise TransferBusy.

    A compare-and-set on the row (one UPDATE), so of two runs racing exactly one wins on
    SQLite and PostgreSQL alike; a claim whose process died, or older than the lease, is
    taken over. The caller commits at once.
    """
    me = f"{_this_host()} {os.getpid()} {uuid.uuid4().hex[:12]}"
    now = utcnow()

    def take(*free: sa.ColumnElement[bool]) -> bool:
        result = session.execute(
            sa.update(Transfer)
            .where(
                Transfer.id == transfer_id,
                Transfer.status == TransferStatus.preparing,
                sa.or_(*free),
            )
            .values(claimed_by=me, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    if take(Transfer.claimed_by.is_(None), Transfer.claimed_at < now - CLAIM_LEASE):
        return me
    holder, since = session.execute(
        sa.select(Transfer.claimed_by, Transfer.claimed_at).where(Transfer.id == transfer_id)
    ).one()
    if holder is not None and _abandoned(holder) and take(Transfer.claimed_by == holder):
        return me
    raise _busy(transfer_id, holder, since)


def release_delivery(session: Session, transfer_id: uuid.UUID, holder: str) -> bool:
    """Give up this process's claim; False if it no longer held it (taken over)."""
    result = session.execute(
        sa.update(Transfer)
        .where(Transfer.id == transfer_id, Transfer.claimed_by == holder)
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def mark_delivered(
    session: Session, principal: Principal, transfer: Transfer, manifest_sha256: str
) -> None:
    """The package is committed at the destination: record it, with its evidence entry."""
    if transfer.status is not TransferStatus.preparing:
        raise Conflict(
            f"transfer {transfer.id} is {transfer.status}, not preparing",
            f"传输 {transfer.id} 的状态为 {transfer.status}，而非准备中",
        )
    transfer.status = TransferStatus.delivered
    transfer.manifest_sha256 = manifest_sha256
    transfer.delivered_at = utcnow()
    session.flush()
    version = session.get_one(DatasetVersion, transfer.dataset_version_id)
    record(
        session,
        principal,
        "transfer.delivered",
        target_type="transfer",
        target_id=transfer.id,
        org_id=transfer.org_id,
        dataset=str(transfer.dataset_id),
        dataset_version=version.number,
        content_hash=version.content_hash,
        recipient=str(transfer.recipient_org_id),
        approval=str(transfer.approval_id) if transfer.approval_id else None,
        pathway=transfer.pathway,
        decision_sha256=decision_sha256(transfer.decision),
        manifest_sha256=manifest_sha256,
        rows=transfer.rows,
        individuals=transfer.individuals,
        sensitive_individuals=transfer.sensitive_individuals,
        k_anonymity=transfer.k_anonymity,
    )


def mark_aborted(
    session: Session, principal: Principal, transfer: Transfer, reason: Reason
) -> None:
    if transfer.status is not TransferStatus.preparing:
        raise Conflict(
            f"only a transfer being prepared can be aborted; {transfer.id} is {transfer.status}",
            f"只有准备中的传输可以中止；{transfer.id} 的状态为 {transfer.status}",
        )
    transfer.status = TransferStatus.aborted
    transfer.reasons = [*transfer.reasons, reason.model_dump()]
    session.flush()
    record(
        session,
        principal,
        "transfer.aborted",
        target_type="transfer",
        target_id=transfer.id,
        org_id=transfer.org_id,
        reasons=[reason.code],
    )


def mark_receipt_written(session: Session, transfer: Transfer) -> None:
    transfer.receipt_written_at = utcnow()
    session.flush()


def delivery_entry(session: Session, transfer: Transfer) -> LedgerEntry | None:
    """The evidence-log entry of the transfer's delivery (indexed or still queued)."""
    return session.scalars(
        sa.select(LedgerEntry)
        .join(AuditEvent, AuditEvent.seq == LedgerEntry.audit_seq)
        .where(
            AuditEvent.action == "transfer.delivered",
            AuditEvent.target_type == "transfer",
            AuditEvent.target_id == str(transfer.id),
        )
    ).first()


def receipt_of(session: Session, transfer: Transfer) -> dict[str, object]:
    """The receipt proving the delivery is in the log (its entry must be sequenced)."""
    if transfer.status is not TransferStatus.delivered:
        raise NotFound(
            f"transfer {transfer.id} was not delivered ({transfer.status}): it has no receipt",
            f"传输 {transfer.id} 未交付（{transfer.status}）：没有收据",
        )
    entry = delivery_entry(session, transfer)
    if entry is None or entry.idx is None:
        raise NotFound(
            "the delivery is not in the evidence log yet: run 'dataport log checkpoint'",
            "该交付尚未记入证据日志：请运行 'dataport log checkpoint'",
        )
    return ledger.receipt(session, entry.idx)


def require_exporter(principal: Principal, transfer: Transfer) -> None:
    """Only the exporter's data officers and admins act on a transfer."""
    authorize(
        principal,
        Permission.dataset_write,
        transfer.org_id,
        read_permission=Permission.dataset_read,
        what="transfer",
    )


# -- reading -------------------------------------------------------------------------------


def _readable(principal: Principal, transfer: Transfer) -> bool:
    if principal.is_operator or principal.reads_across_orgs(Permission.dataset_read):
        return True
    if principal.org_id in (transfer.org_id, transfer.recipient_org_id):
        return principal.has(Permission.dataset_read)
    return False


def get_transfer(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """A transfer the principal may see: the exporter's, the recipient's, or a regulator's."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None or not _readable(principal, transfer):
        raise NotFound("no such transfer", "不存在该传输")
    return transfer


def list_transfers(
    session: Session, principal: Principal, *, org_id: uuid.UUID | None = None
) -> Sequence[Transfer]:
    query = sa.select(Transfer).order_by(Transfer.created_at.desc())
    visible = principal.visible_org_ids(Permission.dataset_read)
    if visible is not None:
        query = query.where(
            sa.or_(Transfer.org_id.in_(visible), Transfer.recipient_org_id.in_(visible))
        )
    if org_id is not None:
        query = query.where(sa.or_(Transfer.org_id == org_id, Transfer.recipient_org_id == org_id))
    return session.scalars(query).all()


def find_unfinished(session: Session, org_id: uuid.UUID, request_sha: str) -> Transfer | None:
    """The transfer this request already started (allowed, not yet finished), if any."""
    return session.scalars(
        sa.select(Transfer)
        .where(
            Transfer.org_id == org_id,
            Transfer.request_sha256 == request_sha,
            sa.or_(
                Transfer.status == TransferStatus.preparing,
                sa.and_(
                    Transfer.status == TransferStatus.delivered,
                    Transfer.receipt_written_at.is_(None),
                ),
            ),
        )
        .order_by(Transfer.created_at.desc())
    ).first()


def describe_transfer(
    session: Session, transfer: Transfer, principal: Principal | None = None
) -> TransferOut:
    """The transfer as shown; where the watermark lies is for the exporter and regulators."""
    entry = delivery_entry(session, transfer)
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([transfer.org_id, transfer.recipient_org_id])
            )
        ).all()
    )
    dataset = session.get_one(Dataset, transfer.dataset_id)
    version = session.get_one(DatasetVersion, transfer.dataset_version_id)
    destination = (
        session.get(Destination, transfer.destination_id) if transfer.destination_id else None
    )
    return TransferOut(
        id=transfer.id,
        status=transfer.status,
        exporter_id=transfer.org_id,
        exporter=names.get(transfer.org_id, ""),
        recipient_id=transfer.recipient_org_id,
        recipient=names.get(transfer.recipient_org_id, ""),
        dataset_id=transfer.dataset_id,
        dataset=dataset.name,
        dataset_version=version.number,
        destination=destination.name if destination else None,
        approval_id=transfer.approval_id,
        purpose=transfer.purpose,
        pathway=transfer.pathway,
        format=transfer.format,
        columns=transfer.columns,
        rows=transfer.rows,
        individuals=transfer.individuals,
        sensitive_individuals=transfer.sensitive_individuals,
        k_anonymity=transfer.k_anonymity,
        report=_shown_report(transfer, principal),
        cumulative=transfer.decision.get("cumulative", {}),
        reasons=[Reason.model_validate(r) for r in transfer.reasons],
        manifest_sha256=transfer.manifest_sha256,
        log_index=entry.idx if entry else None,
        on=transfer.on,
        created_at=transfer.created_at,
        delivered_at=transfer.delivered_at,
        receipt_written=transfer.receipt_written_at is not None,
    )


def _shown_report(transfer: Transfer, principal: Principal | None) -> dict[str, Any]:
    insider = principal is None or principal.org_id != transfer.recipient_org_id
    if insider:
        return transfer.report
    return {k: v for k, v in transfer.report.items() if k != "watermark"}
