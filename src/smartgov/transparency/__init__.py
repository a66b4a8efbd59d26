"""Open data: the portal's datasets, resources and datastore, CKAN's Action API and DCAT (``README.md``).

Other modules use only this surface. The platform publishes its own datasets (from rollups, with
small cells suppressed by the caller) through :func:`publish_platform_dataset`, idempotently.
``reports`` (quarterly performance reports) and ``platform_data`` (the datasets published from the
rollups, ``suppression``) are made by the worker.
"""

from smartgov.transparency import demo as _demo  # noqa: F401 - registers the demo loader
from smartgov.transparency import platform_data, reports  # the worker's jobs, the reports' tables and pages
from smartgov.transparency.datastore import TYPES as DATASTORE_TYPES
from smartgov.transparency.events import DATASET_CREATED, DATASET_DELETED, DATASET_UPDATED, RESOURCE_UPLOADED
from smartgov.transparency.licenses import LICENSES
from smartgov.transparency.service import publish_platform_dataset

__all__ = [
    "DATASET_CREATED",
    "DATASET_DELETED",
    "DATASET_UPDATED",
    "DATASTORE_TYPES",
    "LICENSES",
    "RESOURCE_UPLOADED",
    "platform_data",
    "publish_platform_dataset",
    "reports",
]
