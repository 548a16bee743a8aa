"""Run one transfer and SIGKILL this very process when it reaches a given step.

``python -m tests.transfer.crash STEP ORDER.json``: the test reads the steps on stdout.
``python -m tests.transfer.crash STEP ORDER.json GO``: at STEP, wait until the file GO
exists, then go on (to hold a transfer mid-delivery while another process tries it).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

from dataport import db
from dataport.config import get_settings
from dataport.identity.authz import Principal
from dataport.transfer import runner
from dataport.transfer.policy import parse_policy


def main(stop: str, order_file: str, go: str | None = None) -> None:
    spec = json.loads(Path(order_file).read_text(encoding="utf-8"))
    order = runner.Order(
        dataset_id=uuid.UUID(spec["dataset_id"]),
        recipient_id=uuid.UUID(spec["recipient_id"]),
        destination=spec["destination"],
        approval_id=uuid.UUID(spec["approval_id"]),
        policy=parse_policy(spec["policy"]),
    )

    def progress(step: str) -> None:
        sys.stdout.write(step + "\n")
        sys.stdout.flush()
        if step == stop and go is None:
            os.kill(os.getpid(), signal.SIGKILL)
        while step == stop and go is not None and not Path(go).exists():
            time.sleep(0.05)

    settings = get_settings()
    engine = db.make_engine(settings.resolved_database_url)
    runner.run(
        db.make_sessionmaker(engine),
        settings,
        Principal.operator("crash"),
        order,
        progress=progress,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
