"""The planted events of a run (emerging theme, hotspot, exceedance) and the month calendar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic.geography import Geography
from synthetic.groups import Groups


@dataclass(frozen=True)
class Calendar:
    """Months of the run: labels ``YYYY-MM`` and first days (one extra, the end bound)."""

    labels: tuple[str, ...]
    starts: np.ndarray  # datetime64[D], len = months + 1

    @property
    def n(self) -> int:
        """Number of months."""
        return len(self.labels)

    @classmethod
    def build(cls, start_month: str, months: int) -> Calendar:
        """Calendar of ``months`` months from ``start_month`` (``YYYY-MM``)."""
        m0 = np.datetime64(start_month, "M")
        ms = m0 + np.arange(months + 1)
        labels = tuple(str(x) for x in ms[:-1])
        return cls(labels, ms.astype("datetime64[D]"))

    def month_of(self, dates: np.ndarray) -> np.ndarray:
        """Month index of each date (may be < 0 or >= n)."""
        return (dates.astype("datetime64[M]") - self.starts[0].astype("datetime64[M]")).astype(int)


@dataclass(frozen=True)
class Plan:
    """Where and when the planted events happen (month indices are 0-based)."""

    theme_ward: int
    theme_start: int
    hotspot_place: int
    hotspot_start: int
    exceed_ward: int
    exceed_months: tuple[int, ...]


def make_plan(geo: Geography, groups: Groups, cal: Calendar, rng: np.random.Generator) -> Plan:
    """Choose the planted events: deterministic given the borough and the generator state."""
    n = cal.n
    theme_start = max(1, int(round(n * 15 / 24)))  # month 16 of 24
    hotspot_start = max(1, n - 3)  # the last quarter
    ex_month = max(1, int(round(n * 11 / 24)))  # autumn of year 1: apart from the summer peak
    exceed_months = (ex_month,) if n < 12 else (ex_month, ex_month + 1)
    # exceedance: the ward with the most group-months of activity (a surge needs a local source)
    wards = np.array(groups.ward)
    life = np.clip(np.array(groups.end), 0, n) - np.array(groups.start)
    activity = np.bincount(wards, weights=life, minlength=geo.n_wards)
    exceed_ward = int(np.argmax(activity))
    order = np.argsort(-activity)
    theme_ward = int(order[min(3, len(order) - 1)])
    places = geo.places
    shops = places.index[
        (places["location_type"] == "shop_takeaway") & ~places["ward"].isin([theme_ward, exceed_ward])
    ].to_numpy()
    hotspot_place = int(shops[0]) if len(shops) else 0
    return Plan(theme_ward, theme_start, hotspot_place, hotspot_start, exceed_ward, exceed_months)


def events_frame(plan: Plan, geo: Geography, cal: Calendar, app: str, mult: float = 4.0) -> pd.DataFrame:
    """``truth/events.csv``."""
    place = geo.places.iloc[plan.hotspot_place]
    ex = plan.exceed_months
    rows = [
        {
            "event_type": "emerging_theme",
            "theme": "online_cse",
            "start_month": cal.labels[plan.theme_start],
            "end_month": cal.labels[-1],
            "ward_code": geo.ward_codes[plan.theme_ward],
            "place_name": "",
            "description": (
                f"Online-initiated sexual exploitation through the app {app}, new from "
                f"{cal.labels[plan.theme_start]}, concentrated on girls living in "
                f"{geo.ward_names[plan.theme_ward]}: crime mo_text, online/cse flags, MAP notes."
            ),
        },
        {
            "event_type": "hotspot",
            "theme": "youth_violence",
            "start_month": cal.labels[plan.hotspot_start],
            "end_month": cal.labels[-1],
            "ward_code": place["ward_code"],
            "place_name": place["name"],
            "description": (
                f"{place['name']} becomes a hotspot of youth violence, robbery and drug supply in the "
                f"last quarter; recorded under its name and aliases ({place['aliases']})."
            ),
        },
        {
            "event_type": "exceedance",
            "theme": "syv",
            "start_month": cal.labels[ex[0]],
            "end_month": cal.labels[ex[-1]],
            "ward_code": geo.ward_codes[plan.exceed_ward],
            "place_name": "",
            "description": (
                f"A surge of serious youth violence in {geo.ward_names[plan.exceed_ward]} "
                f"in {len(ex)} month(s), several times its expected level (groups based there "
                f"offend about {mult:g}x as often)."
            ),
        },
    ]
    return pd.DataFrame(rows)
