"""Alerts on applications: a volume far above the exporter's usual ones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.supervision.alerts import UNUSUAL_FACTOR, alerts
from tests.factories import OPERATOR, organisation
from tests.web.world import register


def test_an_application_far_above_the_exporters_usual_volume_is_an_alert(
    session: Session, settings: Settings
) -> None:
    exporter = organisation(session, "星海智能科技", registered_zone="lingang")
    quiet = organisation(session, "Beta Robotics")
    recipient = organisation(session, "Rheinwerk Analytics GmbH", country="DE")
    dataset = register(session, settings, exporter, "车主数据")
    other = register(session, settings, quiet, "beta-telemetry")
    today = today_in_china()

    def apply(data: object, individuals: int, days_ago: int) -> applications.Application:
        return applications.submit(
            session,
            OPERATOR,
            applications.Submission(
                dataset=data, recipient=recipient, purpose="business", individuals=individuals,
                retention="1 year", storage_location="Munich, DE",
            ),
            on=today - timedelta(days=days_ago),
        )  # fmt: skip

    for individuals, days_ago in ((200_000, 90), (240_000, 60), (220_000, 30)):
        apply(dataset, individuals, days_ago)
    # The median of the earlier three is 220,000; four times it is far above it.
    unusual = apply(dataset, 4 * 220_000 + 1, 3)
    apply(other, 200_000, 90)
    apply(other, 900_000, 1)  # one earlier application is not enough to judge by
    found = [a for a in alerts(session, OPERATOR, today) if a.kind == "unusual_volume"]
    assert [(a.application_id, a.org_name) for a in found] == [(unusual.id, exporter.name)]
    assert found[0].values == {"count": 880_001, "usual": 220_000, "factor": 4.0}
    assert UNUSUAL_FACTOR < 4.0
