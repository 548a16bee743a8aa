"""Criminal records (违法犯罪记录): sensitive under GB/T 35273 and the TC260 guide."""

from __future__ import annotations

from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern, Vocabulary

_TERMS = (
    "犯罪记录|违法犯罪|前科|刑事处罚|刑事拘留|行政拘留|有期徒刑|无期徒刑|拘役|缓刑|假释|服刑|劳动教养"
    "|取保候审|监视居住|涉毒|吸毒|判处"
)

DETECTOR = Detector(
    category="criminal_record",
    label_zh="违法犯罪记录",
    label_en="Criminal record",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB/T 35273-2020 Annex B; TC260-PG-20244A (敏感个人信息识别指南)",
    vocabulary=Vocabulary(
        zh=("犯罪", "前科", "违法记录", "刑事", "案底", "服刑", "涉案", "判决"),
        latin=("criminal", "crime", "conviction", "convictions", "offence", "offense", "arrest"),
    ),
    patterns=(ValuePattern("record", rf"[{HAN}0-9]{{0,12}}(?:{_TERMS})[{HAN}0-9]{{0,12}}", 0.75),),
    header_score=0.8,
    requires=r"[\x{3400}-\x{9fff}]",
    max_chars=48,
)
