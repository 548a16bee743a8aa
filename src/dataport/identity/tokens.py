"""API token secrets: their format, generation and hashing.

Tokens are 256-bit random secrets, so a single SHA-256 is the right hash (a slow password
hash adds nothing against guessing and costs every request).
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "dpt_"
_FORMAT = re.compile(r"dpt_[A-Za-z0-9_-]{43}")


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def is_well_formed(token: str) -> bool:
    return _FORMAT.fullmatch(token) is not None


def secret_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def display_prefix(token: str) -> str:
    return token[:12]
