"""``smartgov analytics forecast``: backtest and forecast weekly demand, printing each model's error;
``smartgov analytics fund``: the fund projection of every stored scenario; ``smartgov analytics
holidays``: store the official holidays of Jalali years."""

from __future__ import annotations

import datetime as dt

import typer

from smartgov.settings import get_settings


def _database():  # type: ignore[no-untyped-def]
    from smartgov.db import Database

    return Database(get_settings().database_url)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def forecast(
    service: list[str] = typer.Option(None, "--service", "-s", help="Service code (repeat for several); default: "
                                      "every service with applications in the last two years."),
    horizon: int = typer.Option(8, min=1, max=26, help="Weeks ahead."),
    store: bool = typer.Option(True, help="Store the run (pages and the API show the newest one)."),
) -> None:
    """Backtest weekly demand models, print each one's MAPE, sMAPE and WAPE, forecast with the best.

    The backtest is rolling-origin: each of the last 12 weeks is forecast from the weeks before it,
    up to 4 weeks ahead; MAPE is over the weeks with nonzero demand.
    """
    from smartgov import analytics, clock
    from smartgov.analytics.forecast import demand
    from smartgov.analytics.forecast import service as forecasts
    from smartgov.errors import DomainError

    database = _database()
    failed = False
    try:
        with database.sessions() as db:
            codes = list(service or [])
            if not codes:
                end = clock.today()
                found = analytics.breakdown(db, forecasts.KPI, by="service", start=end - dt.timedelta(weeks=104),
                                            end=end)
                codes = [code for code, point in found if code and point.count]
        for code in codes:
            with database.unit_of_work() as db:
                try:
                    history = forecasts.weekly_history(db, code, clock.today())
                    run = forecasts.record_forecast(db, None, code, history, horizon=horizon)
                except DomainError as exc:
                    typer.echo(f"{code}: {exc.localized('en')}", err=True)
                    failed = True
                    db.rollback()
                    continue
                typer.echo(f"{code}: {run.history_weeks} weeks of history, backtest over the last "
                           f"{run.test_weeks} weeks, up to {demand.BACKTEST_HORIZON} ahead")
                for c in run.candidates:
                    mark = "*" if c["method"] == run.method else " "
                    typer.echo(f"  {mark} {c['method']:<16} MAPE {_pct(c['mape']):>8}  sMAPE {_pct(c['smape']):>8}  "
                               f"WAPE {_pct(c['wape']):>8}  ({c['nonzero']} of {c['pairs']} weeks nonzero)")
                typer.echo(f"  MAPE {_pct(run.mape)} ({run.method}; over weeks with nonzero demand)")
                for p in run.points:
                    typer.echo(f"  {p['week']}  {p['mean']:8.1f}  80 % {p['lo80']:.1f}–{p['hi80']:.1f}  "
                               f"95 % {p['lo95']:.1f}–{p['hi95']:.1f}  holidays {p['holidays']}")
                if not store:
                    db.rollback()
    finally:
        database.dispose()
    if failed:
        raise typer.Exit(1)


def fund() -> None:
    """Project every stored fund scenario from today's insurance population; print the balance by year."""
    from smartgov import clock
    from smartgov.analytics.forecast import service as forecasts

    database = _database()
    try:
        with database.sessions() as db:
            population, projections = forecasts.fund_projections(db, clock.today())
            typer.echo(f"{sum(g.count for g in population.contributors)} contributors, "
                       f"{sum(g.count for g in population.pensioners)} pensioners "
                       f"({population.estimated_pensioners} estimated)")
            for row, p in projections:
                negative = p.first_negative_year or "not within the horizon"
                typer.echo(f"{row.code}: balance turns negative in {negative}")
                for r in p.rows:
                    typer.echo(f"  {r.year}  contributions {r.contributions:>22,}  outlays {r.outlays:>22,}  "
                               f"balance {r.balance:>24,}")
    finally:
        database.dispose()


def holidays(
    first: int = typer.Option(..., min=1380, max=1500, help="First Jalali year."),
    last: int = typer.Option(None, min=1380, max=1500, help="Last Jalali year (default: the first)."),
) -> None:
    """Store the official solar holidays (and the lunar ones known) of Jalali years not stored yet."""
    from smartgov.analytics.forecast import service as forecasts

    database = _database()
    try:
        with database.unit_of_work() as db:
            added = forecasts.seed_holidays(db, None, first, last or first)
    finally:
        database.dispose()
    typer.echo(f"{added} holidays added")


def install(app: typer.Typer) -> None:
    """Add the forecast commands to ``smartgov analytics``."""
    app.command()(forecast)
    app.command()(fund)
    app.command()(holidays)
