import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "address"

FOUND = [
    ("上海市徐汇区虹漕路461号58号楼", False),
    ("北京市朝阳区建国路88号", False),
    ("浙江省杭州市西湖区文三路90号", False),
    ("河南省周口市太康县常营镇李庄村3组", False),
    ("广西壮族自治区天津市江北蒋路H座 477835", False),  # as Faker writes them
    ("虹漕路461号", True),  # street and number only: in an address column
]

NOT_FOUND = [
    ("上海市某某科技有限公司", False),  # a company name with a city
    ("北京市朝阳区", False),  # a district, not a home
    ("市场部3号会议室", False),
    ("虹漕路461号", False),
    ("请于3号前回复", False),
]


@pytest.mark.parametrize(("text", "context"), FOUND)
def test_finds_addresses(text: str, context: bool) -> None:
    found = matches_in(CATEGORY, text, context=context)
    assert len(found) == 1
    assert found[0] in text


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_non_addresses(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []


def test_finds_an_address_inside_free_text() -> None:
    text = "客户反映，快递应送到北京市海淀区中关村大街27号1101室，谢谢"
    [found] = matches_in(CATEGORY, text)
    assert "中关村大街27号" in found


def test_a_long_unpunctuated_run_is_not_one_address() -> None:
    assert matches_in(CATEGORY, "北京市" + "很" * 70 + "路3号") == []
