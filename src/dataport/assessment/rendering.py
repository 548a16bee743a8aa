"""Turn a report into HTML (Jinja2), PDF (WeasyPrint, from that HTML) or DOCX (python-docx).

The PDF is set in the CJK fonts the report names; if they are not installed the PDF is
refused rather than printed with empty boxes where the Chinese should be.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import jinja2
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dataport.assessment.report_model import (
    Answer,
    Cell,
    Facts,
    Label,
    Note,
    Report,
    Section,
    Table,
)
from dataport.errors import Unavailable

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.styles.style import ParagraphStyle
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph as DocxParagraph


def render(report: Report, fmt: str) -> bytes:
    renderers: dict[str, Callable[[Report], bytes]] = {
        "html": lambda r: render_html(r).encode("utf-8"),
        "pdf": render_pdf,
        "docx": render_docx,
    }
    return renderers[fmt](report)


# -- HTML and PDF --------------------------------------------------------------------------


def _lines(value: Cell) -> tuple[str | Label, ...]:
    return value if isinstance(value, tuple) else (value,)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dataport.assessment", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["lines"] = _lines
    env.tests["label"] = lambda v: isinstance(v, Label)
    env.tests["facts"] = lambda v: isinstance(v, Facts)
    env.tests["table"] = lambda v: isinstance(v, Table)
    env.tests["note"] = lambda v: isinstance(v, Note)
    env.tests["answer"] = lambda v: isinstance(v, Answer)
    return env


def render_html(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(report=report)


def render_pdf(report: Report) -> bytes:
    # WeasyPrint is imported here: it takes a second to load, and only PDFs need it.
    from weasyprint import HTML

    document = HTML(string=render_html(report)).render()
    pdf: bytes = document.write_pdf()
    # The fonts a document used are known once it is written.
    used = {font.family for font in document.fonts.values()}
    missing = [family for family in report.fonts if family not in used]
    if missing:
        raise Unavailable(
            f"the PDF is set in {', '.join(missing)}, which is not installed "
            f"(Debian: apt-get install {report.font_package}; or run scripts/ensure-fonts); "
            "without it the Chinese would print as empty boxes",
            f"PDF 需要字体 {', '.join(missing)}，但系统未安装"
            f"（Debian：apt-get install {report.font_package}，或运行 scripts/ensure-fonts），"
            "否则中文将显示为空白方框",
            fonts=missing,
        )
    return pdf


# -- DOCX ----------------------------------------------------------------------------------

_BLUE = RGBColor(0x1E, 0x3A, 0x8A)
_GREY = RGBColor(0x4B, 0x55, 0x63)
_RED = RGBColor(0xB9, 0x1C, 0x1C)
_AMBER = RGBColor(0x92, 0x40, 0x0E)


def _use_font(style: ParagraphStyle, family: str, size: float | None = None) -> None:
    """Set a style's font for Latin and East Asian text alike (Word keeps them apart)."""
    style.font.name = family
    if size is not None:
        style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), family)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _add_label(
    paragraph: DocxParagraph, label: Label, *, bold: bool = False, en_size: float = 8.5
) -> None:
    """Chinese, then the English on the next line in smaller grey type."""
    zh = paragraph.add_run(label.zh)
    zh.bold = bold
    if label.en and label.en != label.zh:
        zh.add_break()
        en = paragraph.add_run(label.en)
        en.font.size = Pt(en_size)
        en.font.color.rgb = _GREY
        en.bold = bold


def _fill_cell(cell: _Cell, value: Cell) -> None:
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(_lines(value)):
        if i:
            paragraph = cell.add_paragraph()
        if isinstance(line, Label):
            _add_label(paragraph, line)
        else:
            paragraph.add_run(line)


def _facts_table(doc: DocxDocument, facts: Facts) -> None:
    if facts.caption is not None:
        _add_label(doc.add_paragraph(), facts.caption, bold=True)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in facts.rows:
        row = table.add_row()
        row.cells[0].width, row.cells[1].width = Mm(60), Mm(114)
        _add_label(row.cells[0].paragraphs[0], label)
        _shade(row.cells[0], "F3F4F6")
        _fill_cell(row.cells[1], value)
    doc.add_paragraph()


def _grid_table(doc: DocxDocument, block: Table) -> None:
    caption = doc.add_paragraph()
    _add_label(caption, block.caption, bold=True)
    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, block.header, strict=True):
        _add_label(cell.paragraphs[0], label, bold=True)
        _shade(cell, "EEF2FF")
    if not block.rows:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        _fill_cell(merged, block.empty)
    for values in block.rows:
        row = table.add_row()
        for cell, value in zip(row.cells, values, strict=True):
            _fill_cell(cell, value)
    doc.add_paragraph()


def _answer(doc: DocxDocument, report: Report, section: Section, answer: Answer) -> None:
    if answer.label.zh != section.heading.zh:  # no need to say the heading twice
        _add_label(doc.add_paragraph(), answer.label, bold=True)
    if answer.missing:
        todo = doc.add_paragraph()
        label = report.label("to_complete")
        key = report.label("answer_key")
        run = todo.add_run(f"【{label.zh} · {label.en}】 {key.zh} {key.en}: {answer.key}")
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        run.font.color.rgb = _AMBER
        run.bold = True
        return
    for paragraph in answer.paragraphs:
        written = doc.add_paragraph(paragraph.text)
        if paragraph.lang == "en":
            for run in written.runs:
                run.font.color.rgb = _GREY


def _section(doc: DocxDocument, report: Report, section: Section) -> None:
    heading = doc.add_heading(level=1)
    number = section.number
    heading.add_run(f"{number.zh}、{section.heading.zh}" if number else section.heading.zh)
    heading.add_run().add_break()
    en = heading.add_run(f"{number.en}. {section.heading.en}" if number else section.heading.en)
    en.font.size = Pt(10)
    en.font.color.rgb = _GREY
    if section.requirement:
        box = doc.add_table(rows=1, cols=1)
        box.style = "Table Grid"
        cell = box.rows[0].cells[0]
        _shade(cell, "F3F4F6")
        tag = report.label("requirement")
        tag_run = cell.paragraphs[0].add_run(f"{tag.zh} · {tag.en}")
        tag_run.font.size = Pt(8)
        tag_run.font.color.rgb = _GREY
        _add_label(cell.add_paragraph(), section.requirement)
        for citation in section.citations:
            line = cell.add_paragraph()
            run = line.add_run(f"{citation.ref.zh} · {citation.ref.en}")
            run.font.size = Pt(8)
            if not citation.confirmed:
                mark = report.label("unconfirmed")
                flag = line.add_run(f"  〔{mark.zh} · {mark.en}〕")
                flag.font.size = Pt(8)
                flag.font.color.rgb = _AMBER
        doc.add_paragraph()
    for block in section.blocks:
        if isinstance(block, Facts):
            _facts_table(doc, block)
        elif isinstance(block, Table):
            _grid_table(doc, block)
        elif isinstance(block, Note):
            note = doc.add_paragraph()
            _add_label(note, block.text)
            if block.tone == "missing":
                for run in note.runs:
                    run.font.color.rgb = _AMBER
        else:
            _answer(doc, report, section, block)


def _page_number(paragraph: DocxParagraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


#: Word's own watermark: a VML text path behind the page, repeated by the header.
_WATERMARK = """\
<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
  path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas>
<v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>
<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>
<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>
<v:f eqn="sum @6 0 @5"/>
</v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
  o:connectangles="270,180,90,0"/>
<v:textpath on="t" fitshape="t"/>
<o:lock v:ext="edit" text="t" shapetype="t"/>
</v:shapetype>
<v:shape id="dataport-draft-watermark" o:spid="_x0000_s2049" type="#_x0000_t136"
  style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;\
z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;\
mso-position-vertical:center;mso-position-vertical-relative:margin"
  o:allowincell="f" fillcolor="#f2b8b8" stroked="f">
<v:fill opacity=".35"/>
<v:textpath style="font-family:&quot;{font}&quot;;font-size:1pt" string="{text}"/>
</v:shape>
</w:pict>
</w:r>"""


def _header_and_footer(doc: DocxDocument, report: Report) -> None:
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    run = header.add_run(
        f"{report.title.zh} · {report.title.en}    "
        f"{report.label('application').zh} {report.application_id[:8]}"
    )
    run.font.size = Pt(7.5)
    run.font.color.rgb = _GREY
    if report.draft:
        draft = report.label("draft")
        notice = header.add_run(f"    {draft.zh} {draft.en}")
        notice.bold = True
        notice.font.size = Pt(9)
        notice.font.color.rgb = _RED
        text = f"{draft.zh} {draft.en}"
        header._p.append(parse_xml(_WATERMARK.format(font=report.fonts[1], text=text)))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page = report.label("page")
    footer.add_run("第 ").font.size = Pt(8)
    _page_number(footer)
    footer.add_run(f" {page.zh} · {page.en} ").font.size = Pt(8)
    _page_number(footer)


def _cover(doc: DocxDocument, report: Report) -> None:
    title = doc.add_paragraph(style="Title")
    title.add_run(report.title.zh)
    title.add_run().add_break()
    en_title = title.add_run(report.title.en)
    en_title.font.size = Pt(13)
    en_title.font.color.rgb = _GREY
    _add_label(doc.add_paragraph(), report.basis, en_size=9)
    rows: list[tuple[Label, Cell]] = [
        (report.label("exporter"), report.exporter),
        (report.label("recipient"), report.recipient),
        (report.label("application"), report.application_id),
    ]
    if report.prepared_by:
        rows.append((report.label("prepared_by"), " ".join(p.text for p in report.prepared_by)))
    rows.append((report.label("generated"), report.generated_at))
    if report.keep_until is not None:
        cite = report.keep_citation
        basis = f"（{cite.ref.zh} · {cite.ref.en}）" if cite else ""
        rows.append((report.label("keep_until"), f"{report.keep_until.isoformat()}{basis}"))
    _facts_table(doc, Facts(tuple(rows)))
    if report.draft:
        notice = report.label("draft_notice")
        warning = doc.add_paragraph().add_run(f"{notice.zh}\n{notice.en}")
        warning.bold = True
        warning.font.color.rgb = _RED
        for incomplete in report.incomplete:
            item = doc.add_paragraph(style="List Bullet")
            item.add_run(f"{incomplete.title.zh} · {incomplete.title.en}").font.color.rgb = _RED


def _sign_off(doc: DocxDocument, report: Report) -> None:
    _add_label(doc.add_paragraph(), report.label("sign_off"), bold=True)
    table = doc.add_table(rows=0, cols=3)
    table.style = "Table Grid"
    for key in ("prepared_by", "reviewed_by", "approved_by"):
        row = table.add_row()
        _add_label(row.cells[0].paragraphs[0], report.label(key), bold=True)
        _shade(row.cells[0], "F3F4F6")
        _add_label(row.cells[1].paragraphs[0], report.label("signature"))
        row.cells[1].add_paragraph()
        _add_label(row.cells[2].paragraphs[0], report.label("date"))


def _colophon(doc: DocxDocument, report: Report) -> None:
    paragraph = doc.add_paragraph()
    paragraph.add_run().add_break(WD_BREAK.LINE)
    contents = report.label("contents_note")
    font = report.label("font")
    generated = report.label("generated")
    by = report.label("generated_by")
    small = paragraph.add_run(
        f"{contents.zh}\n{contents.en}\n"
        f"{generated.zh} · {generated.en}: {report.generated_at} · "
        f"{by.zh} · {by.en}: {report.generated_by}\n"
        f"{font.zh} · {font.en}: {', '.join(report.fonts)} ({report.font_package})"
    )
    small.font.size = Pt(8)
    small.font.color.rgb = _GREY


def render_docx(report: Report) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    body, heading = report.fonts
    _use_font(doc.styles["Normal"], body, 10.5)
    for name, size in (("Title", 20.0), ("Heading 1", 13.0), ("Heading 2", 11.0)):
        style = doc.styles[name]
        _use_font(style, heading, size)
        style.font.color.rgb = _BLUE
    props = doc.core_properties
    props.title = f"{report.title.zh} {report.title.en}"
    props.author = report.exporter
    props.subject = report.basis.en
    props.keywords = f"dataport; {report.kind}; {report.application_id}"
    props.comments = report.label("draft_notice").en if report.draft else report.basis.zh
    _header_and_footer(doc, report)
    _cover(doc, report)
    for part in report.sections:
        _section(doc, report, part)
    _sign_off(doc, report)
    _colophon(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
