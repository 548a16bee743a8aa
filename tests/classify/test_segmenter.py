"""jieba's tables from the per-machine cache: the same names and addresses as jieba's own load,
whether the cache is missing, present, damaged or cannot be written."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).parent / "data" / "freetext_cases.yaml"

# Each run is a fresh process: jieba keeps its tables in module state, loaded once.
PROGRAM = """
import hashlib, json, sys
import yaml
from dataport.classify import freetext
assert freetext.available()
import jieba, jieba.posseg
texts = [case["text"] for case in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["cases"]]
tags = jieba.posseg.dt.word_tag_tab
tables = [sorted(jieba.dt.FREQ.items()), jieba.dt.total, sorted(tags.items())]
print(json.dumps({
    "tables": hashlib.sha256(json.dumps(tables, ensure_ascii=False).encode()).hexdigest(),
    "names": [freetext.names_in(text) for text in texts],
    "addresses": freetext.addresses_in(texts),
}, ensure_ascii=False))
"""


def found(cache_dir: Path) -> dict[str, object]:
    env = {**os.environ, "DATAPORT_CACHE_DIR": str(cache_dir)}
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(CASES)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(run.stdout)
    return result


def test_the_cache_gives_what_jieba_gives_and_is_rebuilt_when_damaged(tmp_path: Path) -> None:
    unwritable = tmp_path / "a-file"
    unwritable.write_text("not a folder")
    jieba_own = found(unwritable)  # no cache can be kept: jieba loads its tables itself
    assert any(jieba_own["names"])  # type: ignore[arg-type]
    assert any(jieba_own["addresses"])  # type: ignore[arg-type]

    cache = tmp_path / "cache"
    assert found(cache) == jieba_own  # builds the cache
    (built,) = cache.iterdir()
    assert found(cache) == jieba_own  # reads it

    built.write_bytes(b"\x00damaged")
    assert found(cache) == jieba_own
    freq, total, _tags = marshal.loads(built.read_bytes())  # noqa: S302 - rebuilt whole

    # What is read is what the file holds: every word's tag forgotten, other names are found.
    built.write_bytes(marshal.dumps((freq, total, {})))
    forgetful = found(cache)
    assert forgetful["tables"] != jieba_own["tables"]
    assert forgetful["names"] != jieba_own["names"]
