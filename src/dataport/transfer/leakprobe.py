"""How large a Parquet file becomes once decoded, measured in a child process with a memory cap.

A few kilobytes of Parquet can decode to gigabytes (a long value repeated, compressed away), and
the size the file declares can be forged, so the only safe measure is to decode it where running
out of memory harms nothing: a short-lived process whose address space is capped. Used by leak
tracing for uploads from the console; ``dataport trace`` on an operator's own file reads it
directly.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from dataport.errors import InvalidInput

#: The child's address space: enough for Python, Arrow and a decoded budget, no more.
_ADDRESS_SPACE = 2 << 30
_ROWS_PER_BATCH = 8192
_OVER_BUDGET = 3


def check_decoded_size(path: Path, budget: int, *, shown_as: str) -> None:
    """Refuse ``path`` unless its Parquet content decodes to at most ``budget`` bytes."""
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "dataport.transfer.leakprobe", str(path), str(budget)],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput(
            f"{shown_as}: decoding the Parquet file took too long",
            f"{shown_as}：解码该 Parquet 文件耗时过长",
            field="file",
        ) from exc
    if done.returncode == 0:
        return
    mb = budget // (1 << 20)
    # Over the budget, out of the capped memory (Arrow's or Python's MemoryError), or killed.
    if done.returncode in (_OVER_BUDGET, -9) or b"MemoryError" in done.stderr:
        raise InvalidInput(
            f"{shown_as} decodes to more than {mb} MB; trace it with `dataport trace`",
            f"{shown_as} 解码后超过 {mb} MB；请使用 `dataport trace` 溯源",
            field="file",
        )
    reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
    raise InvalidInput(
        f"{shown_as} is neither Parquet nor CSV that can be read: {reason[0]}",
        f"{shown_as} 既不是可读取的 Parquet，也不是可读取的 CSV：{reason[0]}",
        field="file",
    )


def _decoded_size(path: str, budget: int) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))
    import pyarrow.parquet as pq  # imported under the cap

    total = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_ROWS_PER_BATCH, use_threads=False):
        total += batch.nbytes
        if total > budget:
            sys.exit(_OVER_BUDGET)
    return total


if __name__ == "__main__":
    _decoded_size(sys.argv[1], int(sys.argv[2]))
