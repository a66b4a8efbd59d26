"""The district map as server-side SVG: the shipped GeoJSON districts and the entities on them,
projected equirectangularly (a city is small enough), with no tile server and no script."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DISTRICTS = Path(__file__).parent / "data" / "districts.geojson"
WIDTH, HEIGHT, PAD = 640, 420, 12


@cache
def districts() -> list[dict[str, Any]]:
    """The demo city's districts (simplified shapes made for the demo)."""
    return list(json.loads(DISTRICTS.read_text(encoding="utf-8"))["features"])


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    points: str  # an SVG polygon's points
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    alarm: bool


def draw(lang: str, entities: list[tuple[str, float | None, float | None, bool]]) -> tuple[list[Shape], list[Dot]]:
    """Districts as polygons and entities (id, lon, lat, in alarm) as dots, in one frame."""
    rings = [f["geometry"]["coordinates"][0] for f in districts()]
    lons = [p[0] for r in rings for p in r] + [e[1] for e in entities if e[1] is not None]
    lats = [p[1] for r in rings for p in r] + [e[2] for e in entities if e[2] is not None]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((south + north) / 2))
    scale = min((WIDTH - 2 * PAD) / max((east - west) * kx, 1e-9), (HEIGHT - 2 * PAD) / max(north - south, 1e-9))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round(PAD + (lon - west) * kx * scale, 1), round(HEIGHT - PAD - (lat - south) * scale, 1)

    shapes = []
    for feature, ring in zip(districts(), rings, strict=True):
        pts = [xy(p[0], p[1]) for p in ring]
        props = feature["properties"]
        shapes.append(Shape(props["code"], props["name_fa" if lang == "fa" else "name_en"],
                            " ".join(f"{x},{y}" for x, y in pts), sum(x for x, _ in pts[:-1]) / (len(pts) - 1),
                            sum(y for _, y in pts[:-1]) / (len(pts) - 1)))
    dots = [Dot(*xy(lon, lat), label=eid, alarm=alarm) for eid, lon, lat, alarm in entities
            if lon is not None and lat is not None]
    return shapes, dots


def sparkline(values: list[float], width: int = 120, height: int = 28) -> str:
    """An SVG polyline's points for a small series (empty for fewer than two values)."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{round(i * step, 1)},{round(height - 2 - (v - low) / span * (height - 4), 1)}"
                    for i, v in enumerate(values))
