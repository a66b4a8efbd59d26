"""``smartgov operations``: the MQTT consumer and the simulator."""

from __future__ import annotations

import typer

app = typer.Typer(help="The operations centre: MQTT consumer, simulator.", no_args_is_help=True)


@app.command()
def consume(url: str = typer.Option(None, help="MQTT broker (default: SMARTGOV_MQTT_URL)."),
            seconds: float = typer.Option(0, help="Stop after this many seconds (0: run until killed).")) -> None:
    """Consume device telemetry from the MQTT broker (QoS 1, acknowledged after commit)."""
    import logging
    import time

    from smartgov.db import Database
    from smartgov.settings import get_settings

    from .config import operations_settings
    from .mqtt import Consumer

    logging.basicConfig(level=logging.INFO)
    broker = url or operations_settings().mqtt_url
    if not broker:
        typer.echo("error: no broker: set SMARTGOV_MQTT_URL or pass --url", err=True)
        raise typer.Exit(2)
    consumer = Consumer(Database(get_settings().database_url), broker)
    consumer.run(until=time.monotonic() + seconds if seconds else None)


@app.command()
def simulate(devices: int = typer.Option(12, min=1, max=100000, help="How many devices."),
             rate: float = typer.Option(10.0, min=0.1, max=200000, help="Messages per second in all."),
             seconds: float = typer.Option(60.0, min=1, help="How long to run."),
             mqtt: bool = typer.Option(False, "--mqtt", help="Publish to the MQTT broker (else HTTP)."),
             agency: str = typer.Option("thr-city", help="The agency whose context the devices join."),
             url: str = typer.Option(None, help="Broker (with --mqtt) or server address (default: SMARTGOV_BASE_URL)."),
             ) -> None:
    """Simulate a city's sensors: air quality, traffic, water tanks, waste bins, street lights, bridges."""
    from smartgov import identity
    from smartgov.db import Database
    from smartgov.settings import get_settings

    from . import simulate as sim
    from .config import operations_settings

    settings = get_settings()
    database = Database(settings.database_url)
    with database.unit_of_work() as db:
        org_id = identity.organization_by_code(db, agency).id
    fleet = sim.provision(database, org_id, devices)
    if mqtt:
        broker = url or operations_settings().mqtt_url or "mqtt://127.0.0.1:1883"
        send, close = sim.mqtt_sender(broker)
    else:
        send, close = sim.http_sender(url or settings.base_url or "http://127.0.0.1:8000")
    try:
        sent = sim.run(fleet, rate=rate, seconds=seconds, send=send)
    finally:
        close()
    typer.echo(f"sent {sent} messages from {len(fleet)} devices")
