import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "health"


@pytest.mark.parametrize(
    "text", ["高血压", "2型糖尿病", "原发性高血压三级", "肺癌晚期", "青霉素过敏", "HIV阳性"]
)
def test_finds_conditions(text: str) -> None:
    assert matches_in(CATEGORY, text) == [text]


@pytest.mark.parametrize("text", ["E11.9", "I10"])
def test_icd_codes_count_in_a_diagnosis_column_only(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize(
    "text",
    ["血压计", "健康", "本产品适用于各类人群，请在医生指导下长期使用，如有不适请及时就医治疗"],
)
def test_rejects_text_that_names_no_condition(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
