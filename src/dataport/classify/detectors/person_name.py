"""Personal names: Chinese names by surname table, romanised and Latin-script names."""

from __future__ import annotations

from dataport.classify import masking
from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("person_name")

#: Single-character surnames covering the great majority of the population, most common first.
SURNAMES = "".join(_WORDS.words("surnames"))
#: Two-character surnames; they must be tried before single characters.
COMPOUND_SURNAMES = _WORDS.words("compound_surnames")
#: Characters common in given names. A value is taken for a name only if every character after
#: the surname is here: "白色", "金额" and "张家口" have a surname but not a given name.
GIVEN_NAME_CHARS = "".join(_WORDS.words("given_name_chars"))

_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES + "])"
_GIVEN = "[" + "".join(sorted(set(GIVEN_NAME_CHARS))) + "]"

#: Common romanised surnames (Hanyu Pinyin), for names written "Wei Zhang" or "ZHANG Wei".
PINYIN_SURNAMES = _WORDS.words("pinyin_surnames")
_PINYIN = "(?:" + "|".join(sorted(set(PINYIN_SURNAMES), key=lambda s: (-len(s), s))) + ")"
_WORD = r"[A-Z][a-z]{1,9}"

DETECTOR = Detector(
    category="person_name",
    label_zh="姓名",
    label_en="Personal name",
    sensitivity=Sensitivity.PERSONAL,
    basis="GB/T 35273-2020 Annex A (personal basic information)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("Chinese name", rf"{_SURNAME}{_GIVEN}{{1,2}}", 0.8),
        # Ethnic-minority and transliterated names joined by a middle dot: 阿卜杜拉·艾力.
        ValuePattern(
            "name with middle dot", rf"[{HAN}]{{2,8}}[·•][{HAN}]{{2,10}}", 0.7, needs_context=True
        ),
        ValuePattern(
            "romanised Chinese name",
            rf"{_PINYIN} {_WORD}|{_WORD} {_PINYIN}|{_PINYIN.upper()} {_WORD}",
            0.65,
        ),
        ValuePattern("Latin-script name", rf"{_WORD}(?: {_WORD}){{1,2}}", 0.6, needs_context=True),
    ),
    scope=Scope.CELL,
    requires=r"[\x{3400}-\x{9fff}]|[A-Za-z]{2}",
    max_chars=40,
    mask=masking.person_name,
)
