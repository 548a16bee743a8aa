"""URLs as they may be printed or recorded."""

from __future__ import annotations

import re

#: A password after ``scheme://user:``, up to the last ``@`` of that URL (a secret pasted
#: without percent-encoding may hold ``/`` or ``@``: hiding a path too is the safe mistake).
_PASSWORD = re.compile(r"(://[^/:@?#&\s]*):([^?#&\s]*)@")


def redact_password(url: str) -> str:
    """``url`` with a password in it replaced by ``***`` (any scheme: s3, sftp, https...)."""
    return _PASSWORD.sub(r"\1:***@", url)


def redact_secret_of(url: str, text: str) -> str:
    """``text`` (a library's message about ``url``) with the URL's password hidden wherever it
    appears, quoted on its own as well as inside a URL."""
    found = _PASSWORD.search(url)
    text = redact_password(text)
    return text.replace(found.group(2), "***") if found and found.group(2) else text


def split_password(url: str) -> tuple[str, str | None]:
    """``url`` with its password replaced by ``***``, and the password (None if it has none)."""
    found = _PASSWORD.search(url)
    if found is None or not found.group(2) or found.group(2) == "***":
        return url, None
    return redact_password(url), found.group(2)


def with_password(url: str, password: str) -> str:
    """A URL split by ``split_password`` made whole again."""
    return url.replace(":***@", f":{password}@", 1)
