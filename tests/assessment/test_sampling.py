"""Sample-size calculators reproduce the published Krejcie–Morgan (1970) table."""

from __future__ import annotations

import pytest

from smartgov.assessment.sampling import cochran, krejcie_morgan
from smartgov.errors import DomainError

# Krejcie & Morgan (1970), Table 1 "Table for determining sample size from a given population":
# all 90 (N, S) pairs in the order printed. The table has no row for N = 100,000; its last
# row is N = 1,000,000 → 384.
KREJCIE_MORGAN_TABLE = [
    (10, 10),
    (15, 14),
    (20, 19),
    (25, 24),
    (30, 28),
    (35, 32),
    (40, 36),
    (45, 40),
    (50, 44),
    (55, 48),
    (60, 52),
    (65, 56),
    (70, 59),
    (75, 63),
    (80, 66),
    (85, 70),
    (90, 73),
    (95, 76),
    (100, 80),
    (110, 86),
    (120, 92),
    (130, 97),
    (140, 103),
    (150, 108),
    (160, 113),
    (170, 118),
    (180, 123),
    (190, 127),
    (200, 132),
    (210, 136),
    (220, 140),
    (230, 144),
    (240, 148),
    (250, 152),
    (260, 155),
    (270, 159),
    (280, 162),
    (290, 165),
    (300, 169),
    (320, 175),
    (340, 181),
    (360, 186),
    (380, 191),
    (400, 196),
    (420, 201),
    (440, 205),
    (460, 210),
    (480, 214),
    (500, 217),
    (550, 226),
    (600, 234),
    (650, 242),
    (700, 248),
    (750, 254),
    (800, 260),
    (850, 265),
    (900, 269),
    (950, 274),
    (1000, 278),
    (1100, 285),
    (1200, 291),
    (1300, 297),
    (1400, 302),
    (1500, 306),
    (1600, 310),
    (1700, 313),
    (1800, 317),
    (1900, 320),
    (2000, 322),
    (2200, 327),
    (2400, 331),
    (2600, 335),
    (2800, 338),
    (3000, 341),
    (3500, 346),
    (4000, 351),
    (4500, 354),
    (5000, 357),
    (6000, 361),
    (7000, 364),
    (8000, 367),
    (9000, 368),
    (10000, 370),
    (15000, 375),
    (20000, 377),
    (30000, 379),
    (40000, 380),
    (50000, 381),
    (75000, 382),
    (1000000, 384),
]


def test_table_has_every_published_row() -> None:
    assert len(KREJCIE_MORGAN_TABLE) == 90


@pytest.mark.parametrize(("population", "published"), KREJCIE_MORGAN_TABLE)
def test_krejcie_morgan_reproduces_the_published_table(population: int, published: int) -> None:
    assert krejcie_morgan(population).n == published


def test_krejcie_morgan_exact_values() -> None:
    assert krejcie_morgan(100).exact == pytest.approx(79.5073, abs=1e-4)  # seed 004's worked example
    # Between the table's last two rows the formula gives 383 for N = 100,000 (382.63).
    assert krejcie_morgan(100_000).exact == pytest.approx(382.634, abs=1e-3)
    assert krejcie_morgan(100_000).n == 383
    assert krejcie_morgan(1).n == 1


def test_cochran_infinite_and_finite_population() -> None:
    infinite = cochran()
    assert infinite.exact == pytest.approx(1.959964**2 * 0.25 / 0.0025, rel=1e-6)  # 384.146
    assert infinite.n == 385 and infinite.population is None
    finite = cochran(1000)
    assert finite.exact == pytest.approx(384.146 / (1 + 383.146 / 1000), rel=1e-5)  # 277.5
    assert finite.n == 278
    assert cochran(500, confidence=0.99, margin=0.05).n == 286  # z = 2.5758: n0 = 663.49 → 285.9


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: krejcie_morgan(0), "population"),
        (lambda: krejcie_morgan(10.5), "population"),
        (lambda: krejcie_morgan(100, p=1.0), "p"),
        (lambda: cochran(100, margin=0), "margin"),
        (lambda: cochran(100, confidence=1.2), "confidence"),
    ],
)
def test_bad_parameters_name_the_field(call, field: str) -> None:
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.field == field
