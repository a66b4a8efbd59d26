"""The events the open-data portal publishes: what was published, changed or withdrawn, and by whom."""

from smartgov.events import declare

DATASET_CREATED = declare("transparency.dataset_created", "A dataset was published on the open-data portal.")
DATASET_UPDATED = declare("transparency.dataset_updated", "A dataset's metadata or resources changed.")
DATASET_DELETED = declare("transparency.dataset_deleted", "A dataset was withdrawn from the open-data portal.")
RESOURCE_UPLOADED = declare("transparency.resource_uploaded",
                            "A resource's file was uploaded and its rows loaded into the datastore.")
