"""A small valid definition the tests change one piece at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgov.identity.nationalcode import make as make_national_code
from smartgov.services import ServiceDefinition, parse_definition

TODAY = dt.date(2024, 9, 1)  # 1403/06/11

MINIMAL = """\
id: permit
version: 2
title_fa: مجوز
title_en: Permit
agency: SSO
relationship: G2B
form:
  - name: workers
    type: number
    integer: true
    min: 1
    label_fa: تعداد کارگران
    label_en: Number of workers
  - name: wage
    type: money
    label_fa: دستمزد
    label_en: Wage
fee:
  formula: floor(answers.wage * 7 / 100)
workflow:
  states:
    - {id: submitted, initial: true, sla_hours: 24, label_fa: ثبت, label_en: Submitted}
    - {id: done, terminal: true, label_fa: پایان, label_en: Done}
  transitions:
    - from: submitted
      to: done
      action: approve
      roles: [officer]
      label_fa: تأیید
      label_en: Approve
"""


def definition_with(form_yaml: str = "", fee: str = "  amount: 0\n", **sections: str) -> ServiceDefinition:
    """MINIMAL with its form and fee replaced (``fee=""``: free) and other top-level sections added."""
    text = MINIMAL
    if form_yaml:
        head, rest = text.split("form:\n", 1)
        rest = rest[rest.index("workflow:") :]
        text = head + "form:\n" + form_yaml + (f"fee:\n{fee}" if fee else "") + rest
    for key, body in sections.items():
        text += f"{key}:\n{body}"
    return parse_definition(text, "test.yaml")


@pytest.fixture
def national_code() -> str:
    return make_national_code("001234567")


@pytest.fixture
def session(database):  # type: ignore[no-untyped-def]
    """A unit-of-work session for service-level tests (rolled back unless the test commits)."""
    with database.sessions() as s:
        yield s
        s.rollback()
