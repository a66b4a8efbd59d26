"""A report's record as the reader sees it, in one language: the same words for the page and the PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import jdatetime

from smartgov.i18n import N_, format_date, format_number, format_percent, gettext, localize_digits

from .quarters import Quarter

UNITS = {"days": N_("{n} days"), "rial": N_("{n} rial")}
STATUS = {True: N_("Target met"), False: N_("Target missed"), None: N_("No target")}
SUPPRESSED = N_("fewer than {n}")
NOTHING_DRAWN = N_("Nothing to draw: no figure above zero in these months.")
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate: a signed number keeps its sign on the left


@dataclass
class Row:
    """One KPI's line and chart."""

    code: str
    title: str
    definition: str
    target: str
    value: str
    previous: str
    change: str
    status: str
    met: bool | None
    months: list[str] = field(default_factory=list)
    month_values: list[float | None] = field(default_factory=list)
    target_value: float | None = None
    places: int | None = None  # decimals of the chart's labels (None: one below 100)

    @property
    def drawn(self) -> bool:
        """Whether the chart has a column to draw (not every month empty or zero)."""
        return any(v for v in self.month_values if v)


def amount(value: float | None, unit: str, lang: str, below: int, *, suppressed: bool = False,
           sign: str = "") -> str:
    """A KPI value in its unit, or why there is none; ``sign`` goes before the number, isolated left to
    right in Persian so that "+۲۰" reads the same on the page and in the PDF."""
    if suppressed:
        return gettext(SUPPRESSED, lang, n=localize_digits(str(below), lang))
    if value is None:
        return "—"
    if unit == "percent":
        shown = format_percent(value, lang, 1)
    elif unit == "count":
        shown = format_number(round(value), lang)
    else:
        places = 0 if unit == "rial" else (2 if unit == "score" else 1)
        shown = format_number(round(value) if unit == "rial" else value, lang, None if unit == "rial" else places)
    if sign:
        shown = f"{LRI}{sign}{shown}{PDI}" if lang == "fa" else sign + shown
    return gettext(UNITS[unit], lang, n=shown) if unit in UNITS else shown


def month_label(period: str, lang: str) -> str:
    j = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(period))
    names = jdatetime.date.j_months_fa if lang == "fa" else jdatetime.date.j_months_en
    return names[j.month - 1]


def _signed(value: float | None, unit: str, lang: str, below: int) -> str:
    if value is None:
        return "—"
    return amount(abs(value), unit, lang, below, sign="+" if value > 0 else "−" if value < 0 else "")


def rows(document: dict[str, Any], lang: str) -> list[Row]:
    """Every KPI of the report, in catalogue order."""
    below = int(document["suppress_below"])
    out = []
    for k in document["kpis"]:
        unit = k["unit"]
        out.append(Row(
            code=k["code"], title=k["title"].get(lang) or k["title"]["en"], definition="",
            target=amount(k["target"], unit, lang, below),
            value=amount(k["value"], unit, lang, below, suppressed=k["suppressed"]),
            previous=amount(k["previous"]["value"], unit, lang, below, suppressed=k["previous"]["suppressed"]),
            change=_signed(k["change"], unit, lang, below), status=gettext(STATUS[k["met"]], lang), met=k["met"],
            months=[month_label(m["period"], lang) for m in k["months"]],
            month_values=[m["value"] for m in k["months"]], target_value=k["target"],
            places=0 if unit in ("count", "rial") else None))
    return out


def heading(document: dict[str, Any], lang: str) -> dict[str, str]:
    """Title, scope, period and issuer lines."""
    quarter = Quarter.parse(document["quarter"])
    agency = document.get("agency")
    scope = agency[f"name_{lang}"] if agency else gettext("All agencies (national)", lang)
    issuer = document.get("issuer") or {}
    return {
        "title": gettext("Performance report", lang), "scope": scope, "quarter": quarter.label(lang),
        "period": gettext("From {start} to {end}", lang,
                          start=format_date(dt.date.fromisoformat(document["start"]), lang),
                          end=format_date(dt.date.fromisoformat(document["end"]), lang)),
        "previous": Quarter.parse(document["previous_quarter"]).label(lang),
        "issuer": issuer.get(f"name_{lang}", ""),
        "generated": format_date(dt.datetime.fromisoformat(document["generated_at"]), lang),
        "revision": localize_digits(str(document.get("revision", 1)), lang),
        "below": localize_digits(str(document["suppress_below"]), lang),
    }


def summary(document: dict[str, Any], lang: str) -> str:
    """"3 of 5 targets met" and the SLA misses."""
    met = sum(1 for k in document["kpis"] if k["met"] is True)
    judged = sum(1 for k in document["kpis"] if k["met"] is not None)
    return gettext("{met} of {judged} targets met this quarter.", lang, met=localize_digits(str(met), lang),
                   judged=localize_digits(str(judged), lang))


def sla(document: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The SLA section's lines: decided with a deadline, on time, missed."""
    below = int(document["suppress_below"])
    s = document["sla"]
    missed = s.get("missed") or {"value": None, "suppressed": False}
    return [
        (gettext("Decided with a deadline", lang), amount(s["decided_with_deadline"], "count", lang, below,
                                                          suppressed=s["decided_with_deadline"] is None)),
        (gettext("Decided on time", lang), amount(s["on_time_percent"], "percent", lang, below)),
        (gettext("Deadlines missed", lang), amount(missed["value"], "count", lang, below,
                                                   suppressed=missed["suppressed"])),
    ]


def participation(document: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """Participation answered: petitions on time, comments and votes (national)."""
    by_code = {r.code: r for r in rows(document, lang)}
    return [(by_code[c].title, by_code[c].value) for c in document.get("participation", []) if c in by_code]


MODELS = {"ets": N_("Exponential smoothing (damped trend)"),
          "ets_holiday": N_("Exponential smoothing on holiday-adjusted demand"),
          "sarimax_holiday": N_("SARIMAX with holidays as a regressor")}
NO_SECTION = N_("Forecasts against actuals are not part of this report yet.")


@dataclass
class Accuracy:
    """One service's weeks: forecast (made before the week) against applications received."""

    title: str
    mape: str
    note: str
    weeks: list[list[str]]  # week, actual, forecast, 80 % interval, error
    labels: list[str] = field(default_factory=list)  # the chart's weeks
    actual: list[float | None] = field(default_factory=list)
    predicted: list[float | None] = field(default_factory=list)


def _week_label(week: str, lang: str) -> str:
    j = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(week))
    return localize_digits(f"{j.month}/{j.day}", lang)


def forecasts(document: dict[str, Any], lang: str) -> tuple[str, list[Accuracy]]:
    """The section's introduction and each service's weeks; a report made before the section existed
    says it has none."""
    section = document.get("forecasts")
    if section is None:
        return gettext(NO_SECTION, lang), []
    below = int(document["suppress_below"])
    intro = gettext("Applications received each whole week from {first} to {last}, against the demand forecast "
                    "made before that week began. Error: |actual − forecast| ÷ actual; MAPE: its mean over the "
                    "weeks compared (not over weeks with no applications or with a hidden figure).", lang,
                    first=format_date(dt.date.fromisoformat(section["first_week"]), lang),
                    last=format_date(dt.date.fromisoformat(section["last_day"]), lang))
    out = []
    for s in section["services"]:
        title = s["title"].get(lang) or s["service"]
        if not s["weeks"]:
            out.append(Accuracy(title, "—", gettext("No forecast was stored before these weeks.", lang), []))
            continue
        models = sorted({gettext(MODELS.get(w["model"], w["model"]), lang) for w in s["weeks"] if w["model"]})
        note = gettext("Forecast for {n} of {total} weeks; compared in {compared}. Model: {models}.", lang,
                       n=localize_digits(str(s["forecast_weeks"]), lang),
                       total=localize_digits(str(len(s["weeks"])), lang),
                       compared=localize_digits(str(s["compared_weeks"]), lang), models="، ".join(models)
                       if lang == "fa" else ", ".join(models))
        lines = []
        for w in s["weeks"]:
            predicted = w["predicted"]
            interval = "—" if predicted is None else \
                f"{format_number(w['low'], lang, 1)} – {format_number(w['high'], lang, 1)}"
            lines.append([
                format_date(dt.date.fromisoformat(w["week"]), lang),
                amount(w["actual"], "count", lang, below, suppressed=w["suppressed"]),
                "—" if predicted is None else format_number(predicted, lang, 1),
                interval,
                "—" if w["ape"] is None else format_percent(w["ape"], lang, 1),
            ])
        out.append(Accuracy(title, "—" if s["mape"] is None else format_percent(s["mape"], lang, 1), note, lines,
                            [_week_label(w["week"], lang) for w in s["weeks"]],
                            [w["actual"] for w in s["weeks"]], [w["predicted"] for w in s["weeks"]]))
    return intro, out


def accuracy_label(a: Accuracy, lang: str) -> str:
    """What a screen reader says of a service's forecast chart."""
    return gettext("{title}: applications received each week (columns) and the forecast (line)", lang,
                   title=a.title)


ACCURACY_HEADER = (N_("Week from"), N_("Received"), N_("Forecast"), N_("80 % interval"), N_("Forecast error"))
