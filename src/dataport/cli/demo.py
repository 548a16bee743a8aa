"""``dataport demo``: a whole walk through dataport on the embedded default, with sample data.

It can run again on the same home: what exists is reused, unchanged data is recognised.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import polars as pl
import sqlalchemy as sa
import typer
from rich.panel import Panel
from rich.rule import Rule
from sqlalchemy.orm import Session

from dataport import db
from dataport.assessment import service as applications
from dataport.assessment.calendar import add_years, today_in_china
from dataport.assessment.models import Application
from dataport.audit.service import list_events
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset, RightKind
from dataport.cli.context import Table, console, label, lang, operator, settings, unit_of_work
from dataport.cli.demo_scan import demo_scan
from dataport.cli.demo_transfer import demo_transfer
from dataport.identity import service as identity
from dataport.identity import signin
from dataport.identity.models import Member, Organisation, OrgKind, Role
from dataport.ledger import service as ledger
from dataport.ledger.receipts import verify_receipt
from dataport.ledger.tilelog import LogDirectory
from dataport.rules.engine import decide
from dataport.rules.scenario import parse_scenario
from dataport.rules.schemas import Decision
from dataport.samples.customers import customers, write_csv

#: Demo accounts for the console (printed at the end: they are demonstration accounts only).
DEMO_PASSWORD = "dataport-demo-2026"  # noqa: S105 - a published demo account
EXPORTER = "临港星海智能科技有限公司"
REGULATOR = "临港新片区数据跨境服务中心"
RECIPIENT = "Rheinwerk Analytics GmbH"


def say(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


def _org(session: Session, name: str, **fields: object) -> Organisation:
    found = session.scalars(sa.select(Organisation).where(Organisation.name == name)).first()
    if found is not None:
        return found
    return identity.create_organisation(session, operator(), name=name, **fields)  # type: ignore[arg-type]


def _member(session: Session, org: Organisation, email: str, name: str, role: Role) -> Member:
    found = session.scalars(sa.select(Member).where(Member.email == email)).first()
    if found is not None:
        return found
    return identity.add_member(
        session, operator(), org=org, email=email, display_name=name, role=role
    )


def _register(
    session: Session, org: Organisation, name: str, path: str, description: str
) -> catalog.Registration:
    spec = sources.resolve(path)
    inspection = catalog.read_source(operator(), settings(), org_id=org.id, spec=spec)
    existing = session.scalars(
        sa.select(Dataset).where(Dataset.org_id == org.id, Dataset.name == name)
    ).first()
    if existing is not None:
        return catalog.record_version(
            session, operator(), dataset=existing, spec=spec, inspection=inspection
        )
    return catalog.register_dataset(
        session,
        operator(),
        org=org,
        name=name,
        spec=spec,
        inspection=inspection,
        sector="ecommerce",
        description=description,
    )


def _evidence(demo_dir: Path) -> None:
    out = console()
    with unit_of_work() as session:
        ledger.checkpoint(session, settings())
        status = ledger.status(session)
        exporter = identity.find_organisation(session, EXPORTER)
        dataset = catalog.find_dataset(session, operator(), exporter, "customers")
        entries = [
            e
            for e in ledger.evidence_of(session, "dataset", str(dataset.id))
            if e.index is not None
        ]
        receipt = ledger.receipt(session, entries[-1].index or 0)
        ledger.export(session, LogDirectory(demo_dir / "log"))
    receipt_file = demo_dir / "customers-receipt.json"
    receipt_file.write_text(json.dumps(receipt, ensure_ascii=False, indent=2) + "\n", "utf-8")
    verdict = verify_receipt(receipt_file.read_bytes(), status.verifier_key)
    table = Table(title=say("7. Evidence log", "7. 证据日志"))
    table.add_column(say("What", "项目"))
    table.add_column(say("Value", "内容"))
    table.add_row(say("Log (origin)", "日志（来源）"), status.origin)
    table.add_row(say("Entries", "条目数"), str(status.size))
    table.add_row(say("Root hash", "根哈希"), status.root_hash)
    table.add_row(say("Verifier key", "验证公钥"), status.verifier_key)
    table.add_row(say("Receipt of 'customers'", "“customers”的收据"), str(receipt_file))
    table.add_row(say("Static mirror", "静态镜像"), str(demo_dir / "log"))
    out.print(table)
    for en, zh in verdict.checks:
        out.print(f"  ✓ {say(en, zh)}")
    out.print(
        say(
            "Anyone can check the receipt offline, with nothing but the log's public key:",
            "任何人仅凭日志公钥即可离线核验该收据：",
        )
    )
    out.print(
        f"  dataport verify {receipt_file} --key '{status.verifier_key}'\n"
        f"  dataport log verify {demo_dir / 'log'} --key '{status.verifier_key}'",
        markup=False,
    )


def _minors(frame: pl.DataFrame, today: date) -> int:
    births = frame["出生日期"].str.to_date()
    return int((births > add_years(today, -14)).sum())


def _what_if(today: date, individuals: int, sensitive: int) -> Decision:
    return decide(
        parse_scenario(
            {
                "as_of": today.isoformat(),
                "exporter": {"ciio": False, "registered_zone": "lingang", "sector": "ecommerce"},
                "transfer": {
                    "purpose": "business",
                    "recipient_country": "DE",
                    "contains_pi": True,
                    "individuals": individuals,
                    "sensitive_individuals": sensitive,
                },
            },
            source="demo",
        )
    )


def _pathways(frame: pl.DataFrame) -> None:
    """Three what-ifs: the whole table, without bank cards, and without minors as well."""
    today = today_in_china()
    rows = frame.height
    minors = _minors(frame, today)
    cases = [
        (
            say(
                "the whole table (bank cards are financial accounts: sensitive PI)",
                "整表出境（银行卡号属金融账户，为敏感个人信息）",
            ),
            _what_if(today, 0, rows),
        ),
        (
            say(
                f"without bank cards (the {minors} children under 14 stay sensitive)",
                f"去除银行卡号（{minors} 名未满十四周岁者的信息仍属敏感）",
            ),
            _what_if(today, rows - minors, minors),
        ),
        (
            say("without bank cards and without minors", "去除银行卡号并剔除未成年人"),
            _what_if(today, rows - minors, 0),
        ),
    ]
    table = Table(
        title=say(
            "5. Sending 'customers' to Rheinwerk Analytics GmbH (DE): which pathway?",
            "5. 向 Rheinwerk Analytics GmbH（德国）提供“customers”：适用何种出境路径？",
        ),
        show_lines=True,
    )
    table.add_column(say("What is sent", "出境内容"))
    table.add_column(say("Pathway", "路径"))
    table.add_column(say("Because", "依据"))
    for what, decision in cases:
        basis = decision.basis[0]
        table.add_row(
            what,
            say(decision.pathway_label.en, decision.pathway_label.zh),
            f"{say(basis.title.en, basis.title.zh)}\n{basis.citations[0].ref}",
        )
    console().print(table)
    console().print(
        say(
            "Every answer cites its articles and keeps a trace: dataport assess --scenario FILE",
            "每个结论都引用法条并保留评估轨迹：dataport assess --scenario FILE",
        )
    )


def _application(frame: pl.DataFrame) -> None:
    today = today_in_china()
    minors = _minors(frame, today)
    with unit_of_work() as session:
        exporter = identity.find_organisation(session, EXPORTER)
        dataset = catalog.find_dataset(session, operator(), exporter, "customers")
        existing = session.scalars(
            sa.select(Application).where(Application.dataset_id == dataset.id)
        ).first()
        if existing is None:
            application = applications.submit(
                session,
                operator(),
                applications.Submission(
                    dataset=dataset,
                    recipient=identity.find_organisation(session, RECIPIENT),
                    purpose="business",
                    individuals=frame.height - minors,
                    sensitive_individuals=minors,
                    fields=("客户编号", "姓名", "性别", "手机号", "电子邮箱", "会员等级"),
                    retention=say("2 years", "2年"),
                    storage_location="Frankfurt am Main, DE",
                    contract_effective_on=today,
                ),
                on=today,
            )
            due = application.due_on
            applications.confirm_complete(session, operator(), application, on=today)
            applications.approve(
                session,
                operator(),
                application,
                scope=applications.Scope(
                    fields=("客户编号", "手机号", "会员等级"),
                    max_individuals=frame.height - minors,
                    max_sensitive_individuals=minors,
                ),
                on=today,
            )
        else:
            application, due = existing, None
        detail = applications.describe_application(session, application)
    approval = detail.approval
    lines = [
        say(
            f"Standard contract filed on {detail.received_on} "
            f"(review due by {due or '-'}, 15 working days); approved.",
            f"标准合同于 {detail.received_on} 备案（审查期限 {due or '-'}，15个工作日）；已通过。",
        ),
    ]
    if approval is not None:
        lines.append(
            say(
                f"Scope: fields {', '.join(approval.fields)}; at most "
                f"{approval.max_individuals:,} individuals and "
                f"{approval.max_sensitive_individuals:,} with sensitive PI.",
                f"批准范围：字段 {'、'.join(approval.fields)}；"
                f"至多 {approval.max_individuals:,} 人，"
                f"其中敏感个人信息 {approval.max_sensitive_individuals:,} 人。",
            )
        )
    lines.append(f"dataport application show {detail.id}")
    console().print(
        Panel("\n".join(lines), title=say("6. Application and approval", "6. 出境申报与批准"))
    )


def demo(
    rows: Annotated[int, typer.Option(help="Customers in the sample table.", min=10)] = 20_000,
) -> None:
    """Run the guided demo on the embedded default. 运行演示。"""
    started = time.monotonic()
    out = console()
    conf = settings()
    out.print(Rule(say("dataport demo", "dataport 演示")))
    out.print(
        say("Home", "主目录")
        + f": {conf.home}\n"
        + say("Database", "数据库")
        + f": {db.redact_url(conf.resolved_database_url)}"
    )

    # 1. The parties.
    with unit_of_work() as session:
        exporter = _org(
            session,
            EXPORTER,
            kind=OrgKind.enterprise,
            country="CN",
            registered_zone="lingang",
            uscc="91310115MA1K4ABCDD",
        )
        regulator = _org(
            session, REGULATOR, kind=OrgKind.regulator, country="CN", registered_zone="lingang"
        )
        recipient = _org(session, RECIPIENT, kind=OrgKind.enterprise, country="DE")
        _member(session, exporter, "admin@xinghai.example.cn", "陈静", Role.admin)
        officer = _member(session, exporter, "dpo@xinghai.example.cn", "李明", Role.data_officer)
        reviewer = _member(session, regulator, "reviewer@lgdata.example.cn", "王芳", Role.reviewer)
        _member(session, recipient, "privacy@rheinwerk.example.de", "Anna Weber", Role.data_officer)
        for person in (officer, reviewer):
            if person.password_hash is None:
                signin.set_password(session, operator(), person, DEMO_PASSWORD)
        _, officer_token = identity.create_token(
            session, operator(), member=officer, name="demo", expires_in=timedelta(days=7)
        )
        _, reviewer_token = identity.create_token(
            session, operator(), member=reviewer, name="demo", expires_in=timedelta(days=7)
        )
        orgs = Table(title=say("1. Organisations", "1. 参与方"))
        for key in ("name", "kind", "country", "registered_zone"):
            orgs.add_column(label(key))
        for org in (exporter, regulator, recipient):
            orgs.add_row(org.name, label(org.kind), org.country, org.registered_zone or "-")
        out.print(orgs)

    # 2. The data: a customer table, and the same kind of data from a legacy GBK system.
    demo_dir = conf.home / "demo"
    frame = customers(rows)
    utf8 = write_csv(frame, demo_dir / "customers.csv")
    legacy = write_csv(
        customers(2_000, seed=7), demo_dir / "crm_export_gbk.csv", encoding="gb18030"
    )
    out.print(
        say(
            f"2. Generated {rows:,} customers with valid ID numbers, phones and bank cards:",
            f"2. 已生成 {rows:,} 条客户记录（身份证号、手机号、银行卡号均有效）：",
        )
    )
    out.print(f"   {utf8}\n   {legacy} (GB18030)")
    preview = Table(title=say("First rows (synthetic data)", "前几行（合成数据）"))
    for column in frame.columns[:8]:
        preview.add_column(column)
    for row in frame.head(3).iter_rows():
        preview.add_row(*(str(v) for v in row[:8]))
    out.print(preview)

    # 3. Registration: schema, rows, content hash, version, rights, zone.
    with unit_of_work() as session:
        exporter = identity.find_organisation(session, EXPORTER)
        first = _register(
            session,
            exporter,
            "customers",
            str(utf8),
            say("Customer master data of the online shop", "网店客户主数据"),
        )
        second = _register(
            session,
            exporter,
            "crm-legacy-export",
            str(legacy),
            say("Export of the former CRM (GBK encoded)", "旧版 CRM 系统导出（GBK 编码）"),
        )
        table = Table(title=say("3. Registered datasets", "3. 已登记数据集"))
        for key in ("dataset", "version", "rows", "columns", "encoding", "zone", "content_hash"):
            table.add_column(label(key))
        for reg in (first, second):
            v = reg.version
            status = "" if reg.new_version else say(" (unchanged)", "（未变化）")
            table.add_row(
                reg.dataset.name,
                f"{v.number}{status}",
                f"{v.row_count:,}",
                str(len(v.columns)),
                v.encoding or "-",
                label(reg.dataset.zone),
                v.content_hash[:19] + "…",
            )
        out.print(table)
        rights = Table(title=say("Data rights of 'customers'", "“customers”的数据权利"))
        rights.add_column(label("right"))
        rights.add_column(label("holder"))
        for right, holder in catalog.rights_of(session, first.dataset):
            rights.add_row(label(RightKind(right.kind)), holder.name)
        out.print(rights)

        # 4. The audit trail.
        events = list_events(session, operator(), limit=8)
        trail = Table(title=say("4. Audit trail (newest first)", "4. 审计记录（最新在前）"))
        for key in ("at", "actor", "action", "target"):
            trail.add_column(label(key))
        for event in events:
            trail.add_row(
                event.at.isoformat(" ", "seconds"),
                event.actor,
                event.action,
                f"{event.target_type}:{event.target_id[:8]}",
            )
        out.print(trail)

    # 4a. The scan: what the customers hold, graded, individuals and minors counted.
    demo_scan(
        EXPORTER,
        "customers",
        say("4a. Scan of 'customers': classification and grading", "4a. 扫描“customers”：分类分级"),
    )

    # 5. Which legal pathway sending the customers to Germany needs, and what changes it.
    _pathways(frame)

    # 6. The exporter files the standard contract; the regulator reviews it and sets a scope.
    _application(frame)

    # 7. The evidence log: the registrations and the application are entries under a signed
    # checkpoint, and a receipt proves one of them offline.
    _evidence(demo_dir)

    # 8. The transfer under that scope: refused beyond it, delivered within it, verified by
    # the recipient, and a leaked sample traced back to it.
    demo_transfer(
        demo_dir,
        EXPORTER,
        RECIPIENT,
        say("8. Transfer to Rheinwerk Analytics GmbH", "8. 向 Rheinwerk Analytics GmbH 传输"),
    )

    # 9. What to try next.
    out.print(
        Panel(
            say(
                "Start the API:   dataport serve\n"
                "Open the docs:   http://127.0.0.1:8000/docs\n"
                "Open the console: http://127.0.0.1:8000/console/\n"
                f"  exporter's data officer: dpo@xinghai.example.cn / {DEMO_PASSWORD}\n"
                f"  regulator's reviewer:    reviewer@lgdata.example.cn / {DEMO_PASSWORD}\n"
                "  (Transfers: the receipt and the signed manifest; Leak tracing: upload\n"
                "   the leaked sample above; the regulator's dashboard counts the transfer)\n"
                f"On the command line:\n"
                f"  dataport dataset show customers --org {EXPORTER}\n"
                "  dataport audit list\n"
                "The API with the demo tokens (valid for 7 days; only their hashes are\n"
                "stored) is below, outside this box, so that the tokens are never cut.",
                "启动 API：      dataport serve\n"
                "查看接口文档：  http://127.0.0.1:8000/docs\n"
                "打开控制台：    http://127.0.0.1:8000/console/\n"
                f"  出口方数据合规官：dpo@xinghai.example.cn / {DEMO_PASSWORD}\n"
                f"  监管方审核员：    reviewer@lgdata.example.cn / {DEMO_PASSWORD}\n"
                "  （“出境传输”页可下载收据与签名清单；“泄露溯源”页可上传上面的泄露样本；\n"
                "   监管方的数据出境态势按已记录的传输统计）\n"
                f"命令行：\n"
                f"  dataport dataset show customers --org {EXPORTER}\n"
                "  dataport audit list\n"
                "使用演示令牌调用 API 的命令见下方（框外完整显示；令牌 7 天内有效，\n"
                "系统只保存其哈希值）。",
            ),
            title=say("9. Next", "9. 下一步"),
        )
    )
    # Printed as plain lines: a terminal wraps them, where a box would cut the tokens off.
    for who_en, who_zh, token in (
        ("the exporter's data officer", "出口方数据合规官", officer_token),
        (
            "the regulator's reviewer (reads across organisations)",
            "监管方审核员（可跨组织查看）",
            reviewer_token,
        ),
    ):
        out.print(say(f"As {who_en}:", f"以{who_zh}身份："))
        out.print(
            f"  curl -H 'Authorization: Bearer {token}' http://127.0.0.1:8000/v1/datasets",
            soft_wrap=True,
        )
    out.print(
        say(
            f"Done in {time.monotonic() - started:.1f} s.",
            f"完成，用时 {time.monotonic() - started:.1f} 秒。",
        )
    )
