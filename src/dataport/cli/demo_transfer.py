"""The demo's transfer: customers to the German recipient under the filed standard contract.

A request outside the approved scope is refused first (and nothing is written); then the
approved columns leave, de-identified and watermarked, as a signed package with its receipt;
the recipient verifies it offline; and a leaked sample is traced back to the transfer.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from dataport import db
from dataport.assessment.models import Approval
from dataport.catalog import service as catalog
from dataport.catalog.models import Zone
from dataport.cli.context import (
    Table,
    console,
    lang,
    operator,
    ready_engine,
    settings,
    unit_of_work,
)
from dataport.identity import service as identity
from dataport.ledger import service as ledger
from dataport.transfer import destinations, package, runner, service, trace
from dataport.transfer.keys import exporter_keys
from dataport.transfer.models import Transfer, TransferStatus
from dataport.transfer.policy import load_policy

POLICY = """\
# De-identification policy for the customers sent to Rheinwerk Analytics (demo).
columns:
  手机号: mask               # 138****5678
quasi_identifiers: [会员等级]
"""
SENT = ("客户编号", "手机号", "会员等级")


def _say(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


def demo_transfer(demo_dir: Path, exporter_name: str, recipient_name: str, title: str) -> None:
    out = console()
    outbox = demo_dir / "outbox-frankfurt"
    outbox.mkdir(parents=True, exist_ok=True)
    policy_file = demo_dir / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    policy = load_policy(policy_file)
    with unit_of_work() as session:
        exporter = identity.find_organisation(session, exporter_name)
        recipient = identity.find_organisation(session, recipient_name)
        dataset = catalog.find_dataset(session, operator(), exporter, "customers")
        approval = session.scalars(
            sa.select(Approval).where(Approval.dataset_id == dataset.id)
        ).first()
        if approval is None:
            return
        if service.find_destination(session, exporter.id, "frankfurt") is None:
            service.declare_destination(
                session, operator(), settings(), org=exporter, name="frankfurt",
                url=str(outbox), zone=Zone.domestic, country="DE",
            )  # fmt: skip
        done = session.scalars(
            sa.select(Transfer.id).where(
                Transfer.approval_id == approval.id, Transfer.status == TransferStatus.delivered
            )
        ).first()
        ids = (dataset.id, recipient.id, approval.id, exporter.id)
    dataset_id, recipient_id, approval_id, exporter_id = ids
    order = runner.Order(
        dataset_id=dataset_id,
        recipient_id=recipient_id,
        destination="frankfurt",
        approval_id=approval_id,
        columns=SENT,
        policy=policy,
    )
    engine = ready_engine()
    try:
        sessions = db.make_sessionmaker(engine)
        if done is None:
            wider = replace(order, columns=(*SENT, "电子邮箱"))  # outside the approved fields
            refused = runner.run(sessions, settings(), operator(), wider)
            outcome = runner.run(sessions, settings(), operator(), order)
            transfer_id, refused_id = outcome.transfer_id, refused.transfer_id
        else:
            transfer_id, refused_id = done, None
    finally:
        engine.dispose()

    with unit_of_work() as session:
        shown = service.describe_transfer(
            session, service.get_transfer(session, operator(), transfer_id)
        )
        refusal = (
            service.describe_transfer(
                session, service.get_transfer(session, operator(), refused_id)
            )
            if refused_id
            else None
        )
        log_key = ledger.require_log(session).verifier_key
    folder = outbox / destinations.package_name(str(transfer_id))
    keys = exporter_keys(settings().home, exporter_id)
    location, path = destinations.open_package(str(folder))
    verdict = package.verify_package(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        keys.verifier_key,
        log_key,
        data_files=destinations.data_files(location, path),
    )
    (data,) = (folder / package.DATA).iterdir()
    leak = demo_dir / "leaked-sample.csv"
    pl.read_parquet(data).sample(fraction=0.1, seed=7, shuffle=True).select(
        "手机号", "会员等级"
    ).write_csv(leak)
    with unit_of_work() as session:
        traced = trace.trace_file(session, operator(), settings(), leak)

    table = Table(title=title, show_header=False)
    table.add_column(_say("What", "项目"))
    table.add_column(_say("Value", "内容"))
    if refusal is not None:
        reasons = "; ".join(_say(r.en, r.zh) for r in refusal.reasons)
        table.add_row(
            _say("Asked with 电子邮箱 too", "附带 电子邮箱 的请求"),
            _say("refused: ", "被拒绝：") + reasons,
        )
    table.add_row(_say("Transfer", "传输"), f"{shown.id} · {shown.status} · {shown.pathway}")
    table.add_row(
        _say("Sent", "发送"),
        _say(
            f"{shown.rows:,} rows of {', '.join(SENT)}; {shown.individuals:,} individuals and "
            f"{shown.sensitive_individuals:,} minors (sensitive)",
            f"{shown.rows:,} 行（{'、'.join(SENT)}）；{shown.individuals:,} 人，"
            f"其中未成年人（敏感）{shown.sensitive_individuals:,} 人",
        ),
    )
    table.add_row(_say("Policy", "脱敏策略"), str(policy_file))
    table.add_row(_say("Package", "数据包"), str(folder))
    table.add_row(_say("Receipt", "收据"), str(folder / package.RECEIPT))
    table.add_row(
        _say("Leaked sample traced", "泄露样本溯源"),
        _say(
            f"{leak.name}: transfer {traced.transfer_id} to {traced.recipient}, "
            f"confidence {traced.confidence}",
            f"{leak.name}：传输 {traced.transfer_id}，接收方 {traced.recipient}，"
            f"置信度 {traced.confidence}",
        ),
    )
    out.print(table)
    for en, zh in verdict.checks:
        out.print(f"  ✓ {_say(en, zh)}", markup=False)
    out.print(
        _say(
            "The recipient verifies the package offline; the exporter traces the leak:",
            "接收方离线核验数据包；出境方对泄露样本溯源：",
        )
    )
    out.print(
        f"  dataport receive {folder} --key '{keys.verifier_key}' --log-key '{log_key}'\n"
        f"  dataport trace {leak} --format json",
        markup=False,
    )
