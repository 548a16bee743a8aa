"""Whereabouts and movement tracks (行踪轨迹, PIPL Art. 28)."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern, Vocabulary

_POINT = r"-?\d{1,3}\.\d{3,}\s*,\s*-?\d{1,3}\.\d{3,}"

DETECTOR = Detector(
    category="location_trace",
    label_zh="行踪轨迹",
    label_en="Whereabouts and movement tracks",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 (行踪轨迹); GB/T 35273-2020 Annex B",
    vocabulary=Vocabulary(
        zh=(
            "轨迹",
            "行踪",
            "行程",
            "足迹",
            "出行记录",
            "位置记录",
            "历史位置",
            "定位记录",
            "签到",
            "打卡地点",
            "途经",
            "停留点",
            "活动范围",
        ),
        latin=(
            "trajectory",
            "trajectories",
            "trace",
            "track",
            "tracks",
            "itinerary",
            "location_history",
            "gps_track",
            "footprint",
            "trip",
            "trips",
            "checkin",
            "route",
        ),
    ),
    # Several coordinate pairs in one cell: a recorded path.
    patterns=(ValuePattern("coordinate sequence", rf"(?:{_POINT}\s*[;|]\s*)+{_POINT}", 0.85),),
    header_score=0.8,
    requires=r"\d\.\d{3}",
)
