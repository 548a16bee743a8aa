"""Pathway decisions on the boundaries the law draws, each test naming the article it checks."""

from __future__ import annotations

import pytest

from dataport.rules.pack import Pathway
from tests.rules.conftest import decision, fired

SCC = Pathway.standard_contract_or_certification
SA = Pathway.security_assessment


# -- Provisions Art. 5(4), 7(2), 8: volume thresholds for non-CIIOs -------------------------


@pytest.mark.parametrize(
    ("individuals", "pathway", "rule"),
    [
        (99_999, Pathway.exempt, "exempt-small-volume"),  # Art. 5(4): fewer than 100,000
        (100_000, SCC, "scc-volume"),  # Art. 8: 100,000 or more (以上 includes the number)
        (999_999, SCC, "scc-volume"),  # Art. 8: fewer than 1,000,000
        (1_000_000, SA, "sa-volume"),  # Art. 7(2): 1,000,000 or more
    ],
)
def test_non_sensitive_volume_boundaries(individuals: int, pathway: Pathway, rule: str) -> None:
    result = decision(individuals=individuals)
    assert result.pathway is pathway
    assert result.basis[0].rule == rule
    assert result.cumulative.individuals == individuals


@pytest.mark.parametrize(
    ("sensitive", "pathway"),
    [
        (1, SCC),  # Art. 8: sensitive PI has no floor; one individual is enough
        (9_999, SCC),  # Art. 8: fewer than 10,000
        (10_000, SA),  # Art. 7(2): 10,000 or more
    ],
)
def test_sensitive_volume_boundaries(sensitive: int, pathway: Pathway) -> None:
    result = decision(individuals=0, sensitive_individuals=sensitive)
    assert result.pathway is pathway
    assert result.cumulative.sensitive_individuals == sensitive


def test_art_5_4_exemption_never_covers_sensitive_pi_sent_earlier_in_the_year() -> None:
    result = decision(
        individuals=10,
        history=[{"date": "2025-02-01", "individuals": 0, "sensitive_individuals": 1}],
    )
    assert result.pathway is SCC
    assert result.cumulative.sensitive_individuals == 1


def test_data_without_pi_stays_outside_the_mechanisms_after_sensitive_pi_was_sent() -> None:
    # Provisions Art. 3: the volume triggers of Arts. 7 and 8 count personal information sent
    # this year, but they bind transfers of personal information; a later transfer with no
    # personal information and no important data needs none of the three mechanisms.
    history = [{"date": "2025-02-01", "individuals": 200_000, "sensitive_individuals": 20_000}]
    result = decision(contains_pi=False, individuals=0, sensitive_individuals=0, history=history)
    assert result.pathway is Pathway.exempt
    assert result.basis[0].rule == "no-pi-no-important-data"
    assert not {"sa-volume", "scc-volume"} & set(fired(result))


def test_basis_cites_the_article() -> None:
    result = decision(individuals=1_000_000)
    refs = [c.ref for c in result.basis[0].citations]
    assert any("第七条" in r and "Art. 7" in r for r in refs)
    assert result.basis[0].citations[0].status == "confirmed"


# -- counting window (Provisions Art. 5(4), 7, 8: since 1 January of the current year) ------


def test_the_counting_window_resets_on_1_january() -> None:
    history = [{"date": "2024-12-31", "individuals": 95_000}]
    january = decision("2025-01-01", individuals=10_000, history=history)
    assert january.pathway is Pathway.exempt
    assert january.cumulative.individuals == 10_000
    assert january.cumulative.transfers_counted == 1
    december = decision(
        "2024-12-31", individuals=10_000, history=[{"date": "2024-01-01", "individuals": 95_000}]
    )
    assert december.pathway is SCC
    assert december.cumulative.individuals == 105_000


def test_cumulative_includes_this_transfer_and_earlier_ones_of_the_year() -> None:
    result = decision(
        individuals=50_000,
        history=[
            {"date": "2025-01-10", "individuals": 30_000},
            {"date": "2025-05-31", "individuals": 20_000},
        ],
    )
    assert result.cumulative.individuals == 100_000
    assert result.cumulative.transfers_counted == 3
    assert result.pathway is SCC


# -- CIIOs (Provisions Art. 7(1), PIPL Art. 40) ------------------------------------------------


def test_a_ciio_needs_a_security_assessment_for_any_pi() -> None:
    result = decision(exporter={"ciio": True}, individuals=1)
    assert result.pathway is SA
    assert result.basis[0].rule == "sa-ciio"


def test_a_ciio_without_pi_or_important_data_is_not_assessed() -> None:
    result = decision(exporter={"ciio": True}, contains_pi=False, individuals=0)
    assert result.pathway is Pathway.exempt


def test_an_ftz_registered_ciio_gets_no_zone_exemption() -> None:
    result = decision(
        exporter={"ciio": True, "registered_zone": "lingang", "sector": "automotive"},
        individuals=10,
        fields=["icv.after_sales.fault_analysis"],
        conditions={"images_contain_faces_or_plates": False, "vin_identifies_individual": False},
    )
    assert result.pathway is SA
    zone_notes = [t for t in result.trace if t.stage == "ftz"]
    assert zone_notes
    assert all(not t.fired and "CIIO" in t.explanation for t in zone_notes)


# -- important data (Provisions Art. 2, 7) ---------------------------------------------------


def test_notified_important_data_needs_a_security_assessment() -> None:
    result = decision(important_data=True, contains_pi=False, individuals=0)
    assert result.pathway is SA
    assert result.basis[0].rule == "sa-important-data"


def test_data_merely_felt_to_be_important_is_not_important_data() -> None:
    result = decision(
        contains_pi=False, individuals=0, important_data=False, self_identified_important=True
    )
    assert result.pathway is Pathway.exempt  # Art. 2: not notified or published
    assert "sa-important-data" not in fired(result)


def test_important_data_defeats_the_art_5_exemptions() -> None:
    result = decision(purpose="contract_with_individual", important_data=True)
    assert result.pathway is SA


# -- exemptions (Provisions Art. 3, 4, 5(1)-(3)) ------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "rule", "article"),
    [
        ("contract_with_individual", "exempt-contract-with-individual", "Art. 5(1)"),
        ("hr_management", "exempt-hr-management", "Art. 5(2)"),
        ("emergency", "exempt-emergency", "Art. 5(3)"),
        ("foreign_origin", "exempt-foreign-origin", "Art. 4"),
    ],
)
def test_exemptions_hold_whatever_the_volume(purpose: str, rule: str, article: str) -> None:
    result = decision(purpose=purpose, individuals=5_000_000, sensitive_individuals=50_000)
    assert result.pathway is Pathway.exempt
    assert result.basis[0].rule == rule
    assert any(article in c.ref for c in result.basis[0].citations)


def test_trade_data_without_pi_is_exempt_but_with_pi_is_not() -> None:
    no_pi = decision(purpose="trade_no_pi", contains_pi=False, individuals=0)
    assert (no_pi.pathway, no_pi.basis[0].rule) == (Pathway.exempt, "exempt-trade-without-pi")
    with_pi = decision(purpose="trade_no_pi", individuals=200_000)
    assert with_pi.pathway is SCC  # Art. 3 needs no PI at all


def test_core_data_never_leaves() -> None:
    result = decision(core_data=True, purpose="emergency")
    assert result.pathway is Pathway.prohibited
    assert [o.id for o in result.obligations] == ["do-not-transfer"]


# -- obligations (PIPL Art. 39, 55, 56; SCC Measures Art. 7) -----------------------------------


def test_an_exempt_pi_transfer_still_needs_a_pia_and_notice() -> None:
    result = decision(individuals=10)
    ids = [o.id for o in result.obligations]
    assert result.pathway is Pathway.exempt
    assert {"pia", "notice", "separate-consent", "keep-records"} <= set(ids)
    assert "scc-filing" not in ids


def test_consent_is_not_asked_where_the_transfer_rests_on_a_contract() -> None:
    ids = [o.id for o in decision(purpose="contract_with_individual").obligations]
    assert "separate-consent" not in ids
    assert "pia" in ids


def test_standard_contract_filing_within_10_working_days() -> None:
    result = decision(individuals=100_000)
    filing = next(o for o in result.obligations if o.id == "scc-filing")
    assert "10 working days" in filing.text.en
    assert "10个工作日" in filing.text.zh


# -- the earlier regime (2022 Security Assessment Measures, 2023 Standard Contract Measures) ---


def test_a_transfer_before_22_march_2024_is_judged_by_the_rules_of_its_day() -> None:
    result = decision("2024-03-21", individuals=50_000)
    assert result.packs[0] == "cn-national@2023.06.01"
    # No volume exemption then: every PI transfer needed a mechanism.
    assert result.pathway is SCC
    assert any("Standard Contract Measures Art. 4" in c.ref for c in result.basis[0].citations)
    assert decision("2024-03-22", individuals=50_000).pathway is Pathway.exempt


def test_the_old_window_counted_from_1_january_of_the_previous_year() -> None:
    history = [{"date": "2023-02-01", "individuals": 60_000}]
    old = decision("2024-03-01", individuals=50_000, history=history)
    assert old.cumulative.window_from.isoformat() == "2023-01-01"
    assert old.cumulative.individuals == 110_000
    assert old.pathway is SA  # Measures Art. 4(3): 100,000 since 1 January of the previous year
    new = decision("2024-04-01", individuals=50_000, history=history)
    assert new.cumulative.individuals == 50_000
    assert new.pathway is Pathway.exempt


def test_before_the_standard_contract_measures_pipl_art_38_applied() -> None:
    result = decision("2023-01-15", individuals=10)
    assert result.packs[0] == "cn-national@2022.09.01"
    assert result.pathway is SCC
    assert any("PIPL Art. 38" in c.ref for c in result.basis[0].citations)


def test_old_regime_large_processor_trigger() -> None:
    result = decision("2023-08-01", exporter={"pi_individuals_handled": 1_200_000}, individuals=10)
    assert result.pathway is SA
    assert result.basis[0].rule == "sa-large-processor"


# -- free-trade-zone lists (Provisions Art. 6; Lingang general data list) ----------------------

ICV_OK = {"images_contain_faces_or_plates": False, "vin_identifies_individual": False}


def lingang(**transfer: object) -> object:
    return decision(exporter={"registered_zone": "lingang", "sector": "automotive"}, **transfer)


def test_lingang_general_data_list_exempts_listed_fields_when_its_conditions_hold() -> None:
    result = lingang(
        individuals=300_000,
        fields=[
            "icv.after_sales.fault_analysis",
            "icv.global_rnd_testing.rnd_design_data.clay_model",
        ],
        conditions=ICV_OK,
    )
    assert result.pathway is Pathway.exempt
    assert result.basis[0].pack == "cn-sh-lingang-general-data-list@2024.05.17"
    assert {c.key for c in result.basis[0].citations} >= {"lingang-icv-c1", "lingang-icv-c2"}


def test_images_with_faces_fall_back_to_national_rules() -> None:
    result = lingang(
        individuals=300_000,
        fields=["icv.after_sales.fault_analysis"],
        conditions={**ICV_OK, "images_contain_faces_or_plates": True},
    )
    assert result.pathway is SCC
    note = next(t for t in result.trace if t.rule == "ftz-general-list")
    assert "images_contain_faces_or_plates" in note.explanation


def test_an_unstated_condition_is_not_assumed_to_hold() -> None:
    result = lingang(individuals=300_000, fields=["icv.after_sales.fault_analysis"])
    assert result.pathway is SCC


def test_a_field_off_the_list_falls_back_to_national_rules() -> None:
    result = lingang(
        individuals=300_000,
        fields=["icv.after_sales.fault_analysis", "icv.after_sales.owner_home_address"],
        conditions=ICV_OK,
    )
    assert result.pathway is SCC
    note = next(t for t in result.trace if t.rule == "ftz-general-list")
    assert "owner_home_address" in note.explanation


def test_sensitive_pi_is_never_general_data() -> None:
    result = lingang(
        individuals=0,
        sensitive_individuals=5,
        fields=["icv.after_sales.fault_analysis"],
        conditions=ICV_OK,
    )
    assert result.pathway is SCC


@pytest.mark.parametrize(
    ("zone", "sector", "pack"),
    [
        ("tianjin_ftz", "manufacturing", "cn-tj-ftz-negative-list@2024.05.08"),
        ("beijing_ftz", "automotive", "cn-bj-ftz-negative-list@2024.08.30"),
        ("shanghai_ftz", "logistics", "cn-sh-ftz-negative-list@2025.02.08"),
    ],
)
def test_incomplete_negative_lists_grant_no_exemption(zone: str, sector: str, pack: str) -> None:
    result = decision(
        exporter={"registered_zone": zone, "sector": sector},
        individuals=200_000,
        fields=[f"{sector}.anything"],
    )
    assert result.pathway is SCC
    assert pack in result.packs
    note = next(t for t in result.trace if t.pack == pack)
    assert "not fully known" in note.explanation


def test_lists_apply_only_from_their_date() -> None:
    before = decision(
        "2024-05-16",
        exporter={"registered_zone": "lingang", "sector": "automotive"},
        individuals=300_000,
        fields=["icv.after_sales.fault_analysis"],
        conditions=ICV_OK,
    )
    assert before.pathway is SCC
    assert not any("lingang" in p for p in before.packs)


def test_every_rule_tried_is_in_the_trace_in_stage_order() -> None:
    result = decision(individuals=150_000)
    stages = [t.stage for t in result.trace]
    order = ["prohibition", "exemption", "ftz", "trigger", "default"]
    assert stages == sorted(stages, key=order.index)
    assert len(result.trace) == 12
