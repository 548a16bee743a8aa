"""De-identification policies: what happens to each column before data leaves, as YAML.

::

    columns:
      姓名: drop
      手机号: mask                              # 138****5678 (keep 3 and 4)
      电子邮箱: {mask: {keep_start: 1, keep_end: 0}}
      身份证号: tokenise                        # HMAC-SHA256 with the exporter's key
      出生日期: {generalise: year}              # year | month | city | {grid: 0.01}
      住址: {generalise: city, suppress: {min_count: 5}}
      会员等级: {suppress: {min_count: 10}}     # rare values become empty
    quasi_identifiers: [出生日期, 住址, 性别]    # k-anonymity is reported over these
    min_k: 5                                    # optional: refuse below this k
    individual_key: 客户编号                     # optional: rows of one person share it
    watermark: {columns: [累计消费金额]}          # optional: the carriers (default: all fit)

Columns the policy does not name leave as they are. An error names the field at fault.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dataport.errors import InvalidInput
from dataport.ledger.canonical import canonical_json
from dataport.yamlfile import read_yaml

Action = Literal["keep", "drop", "mask", "tokenise", "generalise", "suppress"]
GENERALISATIONS = ("year", "month", "city")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mask(_Strict):
    keep_start: int = Field(default=3, ge=0, le=64)
    keep_end: int = Field(default=4, ge=0, le=64)


class Suppress(_Strict):
    #: Values held by fewer rows than this are suppressed (left empty).
    min_count: int = Field(ge=2, le=1_000_000)


class Generalise(_Strict):
    #: ``year``, ``month`` (of a date), ``city`` (of a Chinese address), or ``grid`` (GPS).
    to: Literal["year", "month", "city", "grid"]
    #: Cell size in degrees for ``grid``, e.g. 0.01 (about 1 km).
    grid: str | None = None

    @property
    def grid_decimals(self) -> int:
        assert self.grid is not None  # noqa: S101 - set for every grid generalisation
        exponent = Decimal(self.grid).normalize().as_tuple().exponent
        return max(0, -int(exponent))


class ColumnRule(_Strict):
    """What happens to one column. At most one of drop / mask / tokenise; generalise and
    suppress may go together (generalise first)."""

    drop: bool = False
    mask: Mask | None = None
    tokenise: bool = False
    generalise: Generalise | None = None
    suppress: Suppress | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        names = []
        if self.drop:
            names.append("drop")
        if self.mask:
            names.append("mask")
        if self.tokenise:
            names.append("tokenise")
        if self.generalise:
            names.append("generalise")
        if self.suppress:
            names.append("suppress")
        return tuple(names) or ("keep",)


class WatermarkSpec(_Strict):
    #: Columns that may carry the mark; None lets dataport pick every column that fits.
    columns: list[str] | None = None


class Policy(_Strict):
    columns: dict[str, ColumnRule] = {}
    quasi_identifiers: list[str] = []
    min_k: int | None = Field(default=None, ge=2)
    individual_key: str | None = None
    watermark: WatermarkSpec = WatermarkSpec()

    def rule(self, column: str) -> ColumnRule:
        return self.columns.get(column, ColumnRule())

    def describe(self) -> dict[str, Any]:
        """The policy as JSON, as the manifest and the records keep it."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @property
    def sha256(self) -> str:
        return "sha256:" + hashlib.sha256(canonical_json(self.describe())).hexdigest()


class _PolicyFile(_Strict):
    columns: dict[str, Any] = {}
    quasi_identifiers: list[str] = []
    min_k: int | None = Field(default=None, ge=2)
    individual_key: str | None = None
    watermark: WatermarkSpec = WatermarkSpec()

    @field_validator("columns")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not name.strip():
                raise ValueError("column names must be non-empty text")
        return value


def _rule(name: str, spec: Any) -> ColumnRule:
    where = f"columns.{name}"
    if spec in ("keep", None):
        return ColumnRule()
    if spec == "drop":
        return ColumnRule(drop=True)
    if spec == "mask":
        return ColumnRule(mask=Mask())
    if spec in ("tokenise", "tokenize"):
        return ColumnRule(tokenise=True)
    if isinstance(spec, str):
        raise _invalid(
            where,
            f"unknown treatment {spec!r}; use keep, drop, mask, tokenise, or a mapping with "
            "mask, generalise or suppress",
            f"未知的处理方式 {spec!r}；可用 keep、drop、mask、tokenise，或含 mask、generalise、"
            "suppress 的映射",
        )
    if not isinstance(spec, dict) or not spec:
        raise _invalid(where, "expected a treatment or a mapping", "应为处理方式或映射")
    unknown = set(spec) - {"mask", "tokenise", "tokenize", "generalise", "generalize", "suppress"}
    if unknown:
        raise _invalid(
            where,
            f"unknown keys {', '.join(sorted(map(str, unknown)))}",
            f"未知的键 {', '.join(sorted(map(str, unknown)))}",
        )
    fields: dict[str, Any] = {}
    if "mask" in spec:
        fields["mask"] = spec["mask"] or {}
    if spec.get("tokenise") or spec.get("tokenize"):
        fields["tokenise"] = True
    general = spec.get("generalise", spec.get("generalize"))
    if general is not None:
        fields["generalise"] = _generalisation(where, general)
    if "suppress" in spec:
        fields["suppress"] = spec["suppress"]
    exclusive = [k for k in ("mask", "tokenise") if k in fields]
    if len(exclusive) > 1 or (exclusive and ("generalise" in fields or "suppress" in fields)):
        raise _invalid(
            where,
            "mask and tokenise each stand alone; only generalise and suppress combine",
            "mask 与 tokenise 须单独使用；只有 generalise 与 suppress 可以组合",
        )
    try:
        return ColumnRule.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        sub = ".".join(str(p) for p in first["loc"])
        raise _invalid(f"{where}.{sub}", first["msg"], f"取值无效：{first['msg']}") from exc


def _generalisation(where: str, spec: Any) -> Generalise:
    if spec in GENERALISATIONS:
        return Generalise(to=spec)
    if isinstance(spec, dict) and set(spec) == {"grid"}:
        try:
            size = Decimal(str(spec["grid"]))
        except InvalidOperation:
            size = Decimal(0)
        if not Decimal("0.000001") <= size <= Decimal(10):
            raise _invalid(
                f"{where}.generalise.grid",
                "a grid cell is a number of degrees between 0.000001 and 10, e.g. 0.01",
                "网格大小须为 0.000001 至 10 之间的度数，例如 0.01",
            )
        return Generalise(to="grid", grid=str(size))
    raise _invalid(
        f"{where}.generalise",
        "generalise to year, month, city, or {grid: SIZE}",
        "泛化方式须为 year、month、city 或 {grid: 网格大小}",
    )


def _invalid(field: str, en: str, zh: str, source: str = "policy") -> InvalidInput:
    return InvalidInput(f"{source}: {field}: {en}", f"{source}：字段 {field}：{zh}", field=field)


def parse_policy(data: Any, source: str = "policy") -> Policy:
    """Validate a policy mapping (an empty or missing policy keeps every column as it is)."""
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{source}: a policy must be a mapping with 'columns'",
            f"{source}：脱敏策略须为包含 columns 的映射",
            field="policy",
        )
    try:
        raw = _PolicyFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "policy"
        raise _invalid(field, first["msg"], f"取值无效：{first['msg']}", source) from exc
    try:
        columns = {name: _rule(name, spec) for name, spec in raw.columns.items()}
    except InvalidInput as exc:
        raise InvalidInput(
            exc.en.replace("policy:", f"{source}:", 1),
            exc.zh.replace("policy：", f"{source}：", 1),
            field=exc.field,
        ) from exc
    return Policy(
        columns=columns,
        quasi_identifiers=raw.quasi_identifiers,
        min_k=raw.min_k,
        individual_key=raw.individual_key,
        watermark=raw.watermark,
    )


def load_policy(path: Path) -> Policy:
    data = read_yaml(path, field="policy", what="policy file")
    return parse_policy(data, str(path))


def check_columns(policy: Policy, available: list[str], source: list[str] | None = None) -> None:
    """Every column the policy names must exist in the data it is applied to (the
    ``individual_key`` may be any column of the ``source``, sent or not)."""
    named = [
        *(("columns", c) for c in policy.columns),
        *(("quasi_identifiers", c) for c in policy.quasi_identifiers),
        *(("watermark.columns", c) for c in policy.watermark.columns or ()),
    ]
    if policy.individual_key:
        named.append(("individual_key", policy.individual_key))
    for field, column in named:
        present = set(source or available) if field == "individual_key" else set(available)
        if column not in present:
            raise InvalidInput(
                f"policy: {field}: no column {column!r} in the data sent; columns: "
                f"{', '.join(available)}",
                f"脱敏策略：字段 {field}：所发送的数据中没有列 {column!r}；"
                f"现有列：{'、'.join(available)}",
                field=field,
            )
