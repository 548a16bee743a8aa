"""Transfers in the console: an exporter's list with its counts against the year's thresholds,
each transfer with its receipt and signed manifest, and leak tracing of a file found abroad."""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.types import Message, Receive

from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.errors import InvalidInput, NotFound
from dataport.identity import signin
from dataport.identity.authz import Permission
from dataport.supervision.flows import national_thresholds, sent_in_window, share
from dataport.transfer import destinations, package, trace
from dataport.transfer import service as transfers
from dataport.transfer.models import Destination, Transfer, TransferStatus
from dataport.transfer.schemas import TraceOut
from dataport.web.core import (
    PREFIX,
    Form,
    LangDep,
    SessionDep,
    SignedInDep,
    render,
    same_origin,
    settings_of,
)
from dataport.web.exporter import PURPOSES
from dataport.web.i18n import translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)

#: The largest file the console accepts for tracing (larger ones: ``dataport trace``).
MAX_UPLOAD = 20 * 1024 * 1024
#: What an uploaded Parquet file may decode to (a small file can expand a thousandfold).
MAX_DECODED = 256 * 1024 * 1024
_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")


def _thresholds(session: SessionDep, me: SignedInDep) -> dict[str, Any]:
    """The exporter's individuals sent in the counting window against the pack's thresholds."""
    today = today_in_china()
    pack, limits = national_thresholds(today)
    sent = sent_in_window(session, me.organisation.id, today)
    rows = []
    for limit in limits:
        count = (
            sent.individuals
            if limit.fact == "cumulative_individuals"
            else sent.sensitive_individuals
        )
        rows.append(
            {"limit": limit, "count": count, "percent": min(100, round(share(count, limit) * 100))}
        )
    return {"pack": pack, "rows": rows, "sent": sent}


@router.get("/transfers")
def transfer_list(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep
) -> Response:
    principal = me.principal
    supervisor = principal.has(Permission.supervision_read)
    found = transfers.list_transfers(session, principal)
    if not supervisor:
        # An exporter's own transfers (those it received, if any, are the recipient's to list).
        found = [t for t in found if t.org_id == me.organisation.id]
    shown = [transfers.describe_transfer(session, t, principal) for t in found]
    countries = _countries(session, found)
    return render(
        request,
        "transfers.html",
        lang=lang,
        signed_in=me,
        section="transfers",
        transfers=shown,
        countries=countries,
        counts=None if supervisor else _thresholds(session, me),
    )


def _countries(session: SessionDep, found: Any) -> dict[uuid.UUID, str]:
    """Each transfer's destination country (the declared place), by transfer id."""
    ids = {t.destination_id for t in found if t.destination_id}
    places = {d.id: d.country for d in (session.get(Destination, i) for i in ids) if d}
    return {t.id: places.get(t.destination_id, "") for t in found}


def _readable(session: SessionDep, me: SignedInDep, transfer_id: uuid.UUID) -> Transfer:
    return transfers.get_transfer(session, me.principal, transfer_id)


@router.get("/transfers/{transfer_id}")
def transfer_page(
    request: Request,
    transfer_id: uuid.UUID,
    lang: LangDep,
    session: SessionDep,
    me: SignedInDep,
) -> Response:
    found = _readable(session, me, transfer_id)
    shown = transfers.describe_transfer(session, found, me.principal)
    destination = session.get(Destination, found.destination_id) if found.destination_id else None
    return render(
        request,
        "transfer.html",
        lang=lang,
        signed_in=me,
        section="transfers",
        transfer=shown,
        country=destination.country if destination else "",
        has_receipt=shown.status == TransferStatus.delivered and shown.log_index is not None,
        has_manifest=shown.manifest_sha256 is not None,
        purposes=PURPOSES,
    )


def _download(body: bytes, name: str, media_type: str = "application/json") -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/transfers/{transfer_id}/receipt.json")
def transfer_receipt(transfer_id: uuid.UUID, session: SessionDep, me: SignedInDep) -> Response:
    """The delivery's evidence-log receipt: its entry with the inclusion proof."""
    found = _readable(session, me, transfer_id)
    body = transfers.receipt_of(session, found)
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    return _download(text.encode(), f"receipt-{found.id}.json")


def _package_file(session: SessionDep, settings: Settings, found: Transfer, name: str) -> bytes:
    if found.manifest_sha256 is None or found.destination_id is None:
        raise NotFound(
            f"transfer {found.id} has no package ({found.status})",
            f"传输 {found.id} 没有数据包（{found.status}）",
        )
    destination = session.get_one(Destination, found.destination_id)
    location = destinations.open_location(transfers.destination_url(settings, destination))
    folder = location.package(str(found.id))
    data = destinations.reader(location, folder)(name)
    if data is None:
        raise NotFound(
            f"the package of transfer {found.id} no longer holds {name} at its destination",
            f"传输 {found.id} 的数据包在目标位置已不含 {name}",
        )
    return data


@router.get("/transfers/{transfer_id}/manifest.json")
def transfer_manifest(
    transfer_id: uuid.UUID, session: SessionDep, me: SignedInDep, request: Request
) -> Response:
    """The package's manifest, served only when it is the one the transfer recorded."""
    found = _readable(session, me, transfer_id)
    data = _package_file(session, settings_of(request), found, package.MANIFEST)
    actual = package.sha256_bytes(data)
    if actual != found.manifest_sha256:
        raise package.PackageError(
            f"the manifest at the destination has {actual}; the transfer recorded "
            f"{found.manifest_sha256}",
            f"目标位置的清单哈希为 {actual}，而传输记录为 {found.manifest_sha256}",
        )
    return _download(data, f"manifest-{found.id}.json")


@router.get("/transfers/{transfer_id}/manifest.sig")
def transfer_signature(
    transfer_id: uuid.UUID, session: SessionDep, me: SignedInDep, request: Request
) -> Response:
    """The exporter's signature over the manifest (a C2SP signed note)."""
    found = _readable(session, me, transfer_id)
    data = _package_file(session, settings_of(request), found, package.SIGNATURE)
    return _download(data, f"manifest-{found.id}.sig", "text/plain; charset=utf-8")


# -- leak tracing ---------------------------------------------------------------------------


def _may_trace(me: SignedInDep) -> None:
    """Regulators trace across exporters; an exporter's members only over its own transfers
    (the service limits the candidates to what the person may read)."""
    principal = me.principal
    if not (principal.has(Permission.supervision_read) or principal.has(Permission.dataset_read)):
        raise NotFound("no such page", "不存在该页面")


def confidence_text(value: float) -> str:
    """A confidence as a percentage; it is a lower bound, so never shown as a certain 100%."""
    if value >= 0.999999:
        return "> 99.9999%"
    return f"{value * 100:.4f}%"


def _trace_page(
    request: Request,
    lang: LangDep,
    me: SignedInDep,
    form: Form,
    result: TraceOut | None = None,
    file_name: str = "",
) -> Response:
    return render(
        request,
        "trace.html",
        lang=lang,
        signed_in=me,
        section="trace",
        form=form,
        result=result,
        file_name=file_name,
        max_mb=MAX_UPLOAD // (1024 * 1024),
        across=me.principal.has(Permission.supervision_read),
        confidence=confidence_text(result.confidence) if result else "",
        status_code=422 if form.errors else 200,
    )


@router.get("/trace")
def trace_form(request: Request, lang: LangDep, me: SignedInDep) -> Response:
    _may_trace(me)
    return _trace_page(request, lang, me, Form())


@dataclass
class Upload:
    """The tracing form: its fields, the file's name and (at most the limit and one) bytes."""

    form: Form
    name: str = ""
    data: bytes | None = None


class BodyTooLarge(Exception):
    """The request body went past the limit while it was being read."""


def limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that stops the body once it passes ``limit`` bytes (a body sent in chunks
    declares no length, and the form parser would otherwise keep all of it on disk)."""
    read = 0

    async def receive_limited() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                raise BodyTooLarge
        return message

    return receive_limited


async def _upload(request: Request, signed_in: SignedInDep) -> Upload:
    """The tracing form: refused unread when too large, its CSRF token checked."""
    same_origin(request)
    limit = MAX_UPLOAD + 64 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Upload(Form(errors={"file": "too_large"}))
    sent = Upload(Form())
    bounded = Request(request.scope, limited(request.receive, limit))
    try:
        async with bounded.form(max_files=1, max_fields=10) as data:
            for key, value in data.multi_items():
                if isinstance(value, str):
                    sent.form.values.setdefault(key, value)
                elif key == "file" and value.filename:
                    sent.name = Path(value.filename).name
                    sent.data = await value.read(MAX_UPLOAD + 1)
    except BodyTooLarge:
        return Upload(Form(errors={"file": "too_large"}))
    signin.require_csrf(signed_in, sent.form.values.get("csrf"))
    return sent


UploadDep = Annotated[Upload, Depends(_upload)]


@router.post("/trace")
def trace_upload(
    request: Request, lang: LangDep, session: SessionDep, me: SignedInDep, sent: UploadDep
) -> Response:
    _may_trace(me)
    t = translator(lang)
    form, name, data = sent.form, sent.name, sent.data
    too_large = t("error_file_too_large", mb=MAX_UPLOAD // (1024 * 1024))
    if form.errors.get("file") == "too_large":
        form.errors["file"] = too_large
        return _trace_page(request, lang, me, form)
    if data is None:
        form.error("file", t("error_choose_file"))
        return _trace_page(request, lang, me, form)
    suffix = Path(name).suffix.lower()
    if suffix not in _SUFFIXES:
        form.error("file", t("error_file_kind"))
        return _trace_page(request, lang, me, form, file_name=name)
    if len(data) > MAX_UPLOAD:
        form.error("file", too_large)
        return _trace_page(request, lang, me, form, file_name=name)
    with tempfile.TemporaryDirectory(prefix="dataport-trace-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            result = trace.trace_file(
                session, me.principal, settings_of(request), path, decoded_budget=MAX_DECODED
            )
        except InvalidInput as error:
            # The message names the file as the person knows it, not where it was kept.
            form.error("file", error.message(lang).replace(str(path), name))
            return _trace_page(request, lang, me, form, file_name=name)
    return _trace_page(request, lang, me, form, result=result, file_name=name)
