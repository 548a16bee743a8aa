"""The registry loads one detector per module and refuses a broken set."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

from dataport.classify import STABLE_CATEGORIES, all_detectors, detector_for, detectors
from dataport.classify.errors import DetectorRegistryError, UnknownCategory
from dataport.classify.registry import _load


def test_every_stable_category_has_a_detector() -> None:
    categories = {d.category for d in all_detectors()}
    assert set(STABLE_CATEGORIES) <= categories


def test_every_detector_module_is_loaded() -> None:
    modules = {
        m.name for m in pkgutil.iter_modules(detectors.__path__) if not m.name.startswith("_")
    } - {"base"}
    assert modules == {d.category for d in all_detectors()}


def test_every_detector_has_both_labels_and_a_column_vocabulary() -> None:
    for detector in all_detectors():
        assert detector.label_zh
        assert detector.label_en
        assert detector.basis
        assert detector.vocabulary.zh or detector.vocabulary.latin


def test_detector_for_names_an_unknown_category() -> None:
    assert detector_for("cn_mobile").category == "cn_mobile"
    with pytest.raises(UnknownCategory, match="no_such_thing"):
        detector_for("no_such_thing")


def write_package(root: Path, modules: dict[str, str]) -> str:
    # A name of its own per test: imported packages stay cached in sys.modules.
    package = root / f"extra_detectors_{root.name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source)
    return package.name


DETECTOR_SOURCE = """
from dataport.classify.detectors.base import Detector, Sensitivity, Vocabulary
DETECTOR = Detector(
    category={category!r}, label_zh="测试", label_en="test", sensitivity=Sensitivity.PERSONAL,
    basis="test", vocabulary=Vocabulary(zh=("测试",)), header_score=0.5,
)
"""


def test_a_category_declared_twice_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = write_package(
        tmp_path,
        {
            "one": DETECTOR_SOURCE.format(category="twice"),
            "two": DETECTOR_SOURCE.format(category="twice"),
        },
    )
    with pytest.raises(DetectorRegistryError, match="declared twice"):
        _load(package, ["one", "two"])


def test_a_module_without_detector_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = write_package(tmp_path, {"empty": "VALUE = 1\n"})
    with pytest.raises(DetectorRegistryError, match="must define DETECTOR"):
        _load(package, ["empty"])


def test_a_set_missing_stable_categories_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = write_package(tmp_path, {"only": DETECTOR_SOURCE.format(category="only")})
    with pytest.raises(DetectorRegistryError, match="cn_resident_id"):
        _load(package, ["only"])
