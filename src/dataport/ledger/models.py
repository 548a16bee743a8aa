"""Tables of the evidence log: entries, hash tiles, signed checkpoints and the log's head.

Entries are queued (``idx`` NULL) in the transaction of the change they record; the sequencer
gives them their index. The database refuses to delete entries or rewrite indexed ones, and
refuses any tile write that is not an extension of the tile it replaces (see the migration).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.audit.models import BigSerial
from dataport.db import Base, utcnow


class LedgerLog(Base):
    """The log's identity and head: one row, updated by the sequencer under its lock."""

    __tablename__ = "ledger_log"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(sa.String(200))
    #: The C2SP note verifier key of the log's signer.
    verifier_key: Mapped[str] = mapped_column(sa.String(300))
    #: Entries integrated into the tree (and covered by the latest checkpoint).
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: The right edge of the tree: the hashes of ``compact_range_nodes(size)``, concatenated.
    right_edge: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    #: Bumped by every sequencer run: the write that serialises sequencers on every backend.
    generation: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """One log entry: canonical bytes, and its index once sequenced."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.Index(
            "ix_ledger_entry_pending",
            "seq",
            sqlite_where=sa.text("idx IS NULL"),
            postgresql_where=sa.text("idx IS NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    #: The leaf index; NULL while queued. Unique: two entries never share an index.
    idx: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: The organisation the entry is about (who may fetch its receipt); not part of ``data``.
    org_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("organisation.id"))
    #: The audit event this entry is the evidence of, if any.
    audit_seq: Mapped[int | None] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("audit_event.seq"),
        index=True,
    )


class LedgerTile(Base):
    """A hash tile (C2SP tlog-tiles): up to 256 hashes, grown in place until full."""

    __tablename__ = "ledger_tile"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    tile_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class LedgerCheckpoint(Base):
    """Every checkpoint the log signed, with the cosignatures and timestamp it gathered."""

    __tablename__ = "ledger_checkpoint"

    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: The signed note: the log's signature, then witness cosignatures as they arrive.
    note: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: An RFC 3161 timestamp response (DER) over the checkpoint text, when one was obtained.
    timestamp: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
