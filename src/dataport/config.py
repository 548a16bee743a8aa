"""Settings: one object, read from ``DATAPORT_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["zh-CN", "en"]


def _default_home() -> Path:
    return Path.home() / ".dataport"


class Settings(BaseSettings):
    """Everything configurable. The defaults give the embedded mode: a SQLite file in ``home``."""

    model_config = SettingsConfigDict(env_prefix="DATAPORT_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    #: SQLAlchemy URL; empty means ``sqlite:///<home>/dataport.db``.
    database_url: str = ""
    #: Language of CLI output and error messages. ``auto`` follows ``LANG``.
    lang: Literal["auto", "zh-CN", "en"] = "auto"
    #: Folders from which API callers may register local files (default ``<home>/inbox``);
    #: each organisation may use only its own subfolder, ``<root>/<organisation id>/``.
    source_roots: list[Path] = Field(default_factory=list)
    #: fsspec URL schemes API callers may register (the CLI may use any).
    remote_schemes: list[str] = Field(default_factory=list)
    #: Folders API callers may declare as transfer destinations (default ``<home>/outbox``);
    #: each organisation only its own subfolder, ``<root>/<organisation id>/``.
    destination_roots: list[Path] = Field(default_factory=list)
    #: Whether API callers may register database tables by URL (the CLI always may).
    api_database_sources: bool = False
    #: Rows sampled to infer column types when registering a file.
    infer_rows: int = 10_000
    #: Local processes a scan runs its units in (0: one per two CPU cores).
    scan_workers: int = 0
    #: Ray cluster for ``--executor ray`` (``ray://host:10001``); empty starts Ray locally.
    ray_address: str = ""
    #: Origin of the evidence log created on first use (``dataport log init`` sets it
    #: explicitly); empty means ``dataport.local/log/<random>``.
    log_origin: str = ""
    #: Mark the console's cookies ``Secure`` (set it when the console is served over HTTPS,
    #: directly or behind a reverse proxy).
    cookie_secure: bool = False
    #: A console session ends this many hours after sign-in, or after this many idle minutes.
    session_hours: int = Field(default=12, ge=1, le=168)
    session_idle_minutes: int = Field(default=60, ge=5, le=24 * 60)
    #: Tables derived from installed libraries, built once per machine (default
    #: ``<home>/cache``); deleting it only costs the time to build them again.
    cache_dir: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'dataport.db'}"

    @property
    def is_embedded(self) -> bool:
        """True when the database is the default SQLite file that dataport manages itself."""
        return not self.database_url

    @property
    def resolved_source_roots(self) -> list[Path]:
        return self.source_roots or [self.home / "inbox"]

    @property
    def resolved_destination_roots(self) -> list[Path]:
        return self.destination_roots or [self.home / "outbox"]

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.home / "cache"

    @property
    def language(self) -> Language:
        if self.lang != "auto":
            return self.lang
        env_lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
        return "zh-CN" if env_lang.lower().startswith("zh") else "en"

    def ensure_home(self) -> Path:
        """Create the home folder (owner-only) if needed and return it."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.home


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
