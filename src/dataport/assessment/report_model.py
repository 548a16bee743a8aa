"""A report as its renderers see it: bilingual sections of facts, tables, notes and answers.

``reports`` builds one from an application; ``rendering`` turns it into HTML, PDF or DOCX. The
same structure feeds every format, so the formats cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Label:
    """A text in both languages; reports show the Chinese first."""

    zh: str
    en: str


#: One value: data (a number, a name, a hash), a bilingual label, or several lines of either.
Cell = str | Label | tuple[str | Label, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """Pre-filled facts, one label and value per row."""

    rows: tuple[tuple[Label, Cell], ...]
    caption: Label | None = None


@dataclass(frozen=True, slots=True)
class Table:
    caption: Label
    header: tuple[Label, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: Shown instead of an empty table.
    empty: Label


@dataclass(frozen=True, slots=True)
class Note:
    text: Label
    #: ``info`` for context, ``missing`` for something dataport does not have yet.
    tone: str = "info"


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    #: ``zh-CN`` or ``en`` when the writer said which; None when the text did not say.
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A narrative part a person writes; ``paragraphs`` is empty while it is not written."""

    key: str
    label: Label
    paragraphs: tuple[Paragraph, ...]
    required: bool

    @property
    def missing(self) -> bool:
        return not self.paragraphs


Block = Facts | Table | Note | Answer


@dataclass(frozen=True, slots=True)
class Citation:
    ref: Label
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    number: Label | None
    heading: Label
    requirement: Label | None
    citations: tuple[Citation, ...]
    blocks: tuple[Block, ...]

    @property
    def missing_answers(self) -> tuple[Answer, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Answer) and b.required and b.missing)

    @property
    def title(self) -> Label:
        """The heading with its number, as an error message names the section."""
        if self.number is None:
            return self.heading
        return Label(f"{self.number.zh}、{self.heading.zh}", f"{self.number.en}. {self.heading.en}")


@dataclass(frozen=True, slots=True)
class Report:
    kind: str
    title: Label
    basis: Label
    citations: tuple[Citation, ...]
    application_id: str
    exporter: str
    recipient: str
    generated_at: str
    generated_by: str
    prepared_by: tuple[Paragraph, ...]
    draft: bool
    sections: tuple[Section, ...]
    #: Font families the PDF is set in: body first, then headings.
    fonts: tuple[str, ...]
    font_package: str
    keep_until: date | None = None
    keep_citation: Citation | None = None
    labels: dict[str, Label] = field(default_factory=dict)

    @property
    def incomplete(self) -> tuple[Section, ...]:
        """Sections with a required answer still unwritten."""
        return tuple(s for s in self.sections if s.missing_answers)

    def label(self, key: str) -> Label:
        return self.labels[key]
