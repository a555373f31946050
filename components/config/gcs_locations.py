"""Cloud Storage bucket locations: regions, predefined dual-regions and multi-regions.

Fact module. Source: https://cloud.google.com/storage/docs/locations ("Available locations"),
read 2026-12-05. A bucket's location is one of:
- a region: the page lists one for each Google Cloud region (provider_config.GCP_REGIONS, from
  https://cloud.google.com/compute/docs/regions-zones);
- a predefined dual-region, by its code, with the two regions it keeps the data in (the page
  names NAM4, EUR4 and ASIA1's pairs; EUR5, EUR7 and EUR8's pairs are as third-party copies of
  the page list them: the program checks the codes only, the pairs are for the reader and tests);
- a multi-region: ASIA, EU, US.
A configurable dual-region is a multi-region code plus two regions (`registry.dataLocations`).
Codes are taken in capitals and regions in lowercase, as the API returns them.
"""

from __future__ import annotations

from .. import provider_config

GCS_MULTI_REGIONS = ("US", "EU", "ASIA")
GCS_DUAL_REGIONS = {
    "ASIA1": ("asia-northeast1", "asia-northeast2"),  # Tokyo, Osaka
    "EUR4": ("europe-north1", "europe-west4"),  # Finland, Netherlands
    "EUR5": ("europe-west1", "europe-west2"),  # Belgium, London
    "EUR7": ("europe-west2", "europe-west3"),  # London, Frankfurt
    "EUR8": ("europe-west3", "europe-west6"),  # Frankfurt, Zurich
    "NAM4": ("us-central1", "us-east1"),  # Iowa, South Carolina
}
GCS_REGIONS = provider_config.GCP_REGIONS


def gcs_location(v: str) -> str | None:
    """None for a location Cloud Storage takes, else what is allowed (with the nearest region)."""
    if v in GCS_MULTI_REGIONS or v in GCS_DUAL_REGIONS or v in GCS_REGIONS:
        return None
    why = provider_config.gcp_region(v.lower())
    hint = f" ({why.split('; ')[-1]})" if why and "did you mean" in why else ""
    return (
        f"must be a region (us-central1), a dual-region ({', '.join(GCS_DUAL_REGIONS)}) or a multi-region "
        f"({', '.join(GCS_MULTI_REGIONS)}): a Cloud Storage location{hint}"
    )
