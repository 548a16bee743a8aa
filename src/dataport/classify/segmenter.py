"""jieba's part-of-speech tagger, its dictionary tables read from a cache built once per machine.

On every start, jieba reads its prefix dictionary (about 500,000 entries) back from its own
cache one object at a time (about 0.8 s) and ``jieba.posseg`` parses the tag of each of
350,000 words from the text dictionary on import (about 0.4 s). Both tables are kept in one
file under the cache folder and read in one go (about 0.3 s). The file's name carries all it
was built from (jieba's version, its dictionary's size and time, the marshal format), so an
upgrade builds a new one; a file that cannot be read or written only costs the slow path.
"""

from __future__ import annotations

import hashlib
import io
import logging
import marshal
import sys
import tempfile
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from dataport.config import get_settings

log = logging.getLogger(__name__)

#: Bumped whenever the content of the cache file changes shape.
_FORMAT = 1

Tables = tuple[dict[str, int], int, dict[str, str]]


def part_of_speech_tagger() -> ModuleType:
    """``jieba.posseg`` with jieba's default dictionary loaded, exactly as jieba loads it."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer: Any = jieba.dt
    loaded = tokenizer.initialized or "jieba.posseg" in sys.modules
    if loaded or tokenizer.dictionary != jieba.DEFAULT_DICT:
        return _slow_path(jieba, None)
    path = _cache_file(jieba)
    tables = _read(path)
    if tables is None:
        return _slow_path(jieba, path)
    freq, total, tags = tables
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
    # The tagger parses the tokenizer's dictionary file when imported: give it none to parse.
    tokenizer.get_dict_file = io.BytesIO
    try:
        posseg = import_module("jieba.posseg")
    finally:
        del tokenizer.get_dict_file
    posseg.dt.word_tag_tab = tags
    return posseg


def _slow_path(jieba: ModuleType, path: Path | None) -> ModuleType:
    jieba.initialize()
    posseg = import_module("jieba.posseg")
    if path is not None:
        _write(path, (jieba.dt.FREQ, jieba.dt.total, posseg.dt.word_tag_tab))
    return posseg


def _cache_file(jieba: ModuleType) -> Path:
    dictionary = Path(str(jieba.__file__)).parent / jieba.DEFAULT_DICT_NAME
    stat = dictionary.stat()
    built_from = (_FORMAT, jieba.__version__, str(dictionary), stat.st_size, stat.st_mtime_ns)
    key = repr((built_from, marshal.version, sys.version_info[:2])).encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    return get_settings().resolved_cache_dir / f"jieba-{jieba.__version__}-{digest}.marshal"


def _read(path: Path) -> Tables | None:
    try:
        # Written by ``_write`` into the owner's own folder; types checked below.
        tables = marshal.loads(path.read_bytes())  # noqa: S302
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.info("the cache %s cannot be read (%s): rebuilding it", path, exc)
        return None
    if not (
        isinstance(tables, tuple)
        and len(tables) == 3
        and isinstance(tables[0], dict)
        and isinstance(tables[1], int)
        and isinstance(tables[2], dict)
    ):
        log.info("the cache %s holds something else: rebuilding it", path)
        return None
    return tables


def _write(path: Path, tables: Tables) -> None:
    freq, total, tags = tables
    # The tagged words are words of the prefix dictionary: sharing the string objects makes
    # marshal write references to them, a smaller file read faster.
    words = {word: word for word in freq}
    shared = {words.get(word, word): sys.intern(tag) for word, tag in tags.items()}
    data = marshal.dumps((freq, total, shared))
    partial: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside and renamed: processes starting together never read half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
            partial = out.name
            out.write(data)
        Path(partial).replace(path)
    except OSError as exc:
        log.info("the cache %s cannot be written (%s): jieba loads slowly", path, exc)
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
