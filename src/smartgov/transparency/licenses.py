"""The licences a dataset may carry (CKAN's default list, with the URIs DCAT needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str
    open: bool
    family: str = ""

    def as_dict(self) -> dict[str, Any]:
        """CKAN's ``license_list`` item."""
        return {
            "id": self.id, "title": self.title, "url": self.url, "status": "active", "maintainer": "",
            "family": self.family, "od_conformance": "approved" if self.open else "not reviewed",
            "osd_conformance": "not reviewed", "domain_content": True, "domain_data": True,
            "domain_software": False, "is_generic": self.id.startswith("other"), "is_okd_compliant": self.open,
            "is_osi_compliant": False,
        }


LICENSES: tuple[License, ...] = (
    License("cc-by", "Creative Commons Attribution", "http://www.opendefinition.org/licenses/cc-by", True),
    License("cc-by-sa", "Creative Commons Attribution Share-Alike",
            "http://www.opendefinition.org/licenses/cc-by-sa", True),
    License("cc-zero", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero", True),
    License("odc-by", "Open Data Commons Attribution License",
            "http://www.opendefinition.org/licenses/odc-by", True),
    License("odc-odbl", "Open Data Commons Open Database License (ODbL)",
            "http://www.opendefinition.org/licenses/odc-odbl", True),
    License("odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)",
            "http://www.opendefinition.org/licenses/odc-pddl", True),
    License("other-open", "Other (Open)", "", True),
    License("other-at", "Other (Attribution)", "", True),
    License("other-closed", "Other (Not Open)", "", False),
    License("notspecified", "License not specified", "", False),
)
BY_ID = {lic.id: lic for lic in LICENSES}
