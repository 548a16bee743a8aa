from tests.classify.detectors.tables import matches_in

CATEGORY = "location_trace"


def test_finds_a_recorded_path() -> None:
    path = "31.230416,121.473701;31.231002,121.474310;31.232115,121.475502"
    assert matches_in(CATEGORY, path) == [path]


def test_a_single_position_is_no_path() -> None:
    assert matches_in(CATEGORY, "31.230416,121.473701") == []
