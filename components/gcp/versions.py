"""Which GKE version to create the cluster at: one the release channel offers, in the chart's range.

With a release channel, GKE creates a cluster only at a version that channel offers; the provider
sends `min_master_version` as the cluster's initial version (terraform-provider-google-beta,
google-beta/services/container/resource_container_cluster.go:3203, `InitialClusterVersion`), and
after creation it only ever upgrades towards it, never down (same file, :4918-4934). So the
version is chosen at each run from what `gcp.container.get_engine_versions` reports for the
channel (GetServerConfig), within the versions chart 2.1.0 supports, and a channel that offers
none of them is refused before anything is declared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..schema import SUPPORTED_KUBERNETES_MINORS, ConfigError

_VERSION = re.compile(r"^1\.(\d+)(?:\.|$)")
VERSION_KEY = "astronomer-dr:cluster.kubernetesVersion"
CHANNEL_KEY = "astronomer-dr:cluster.releaseChannel"
NO_CHANNEL = "UNSPECIFIED"


def minor(version: str) -> int | None:
    m = _VERSION.match(version or "")
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class ChannelOffer:
    """What GetServerConfig says one channel offers (or, for UNSPECIFIED, the static versions).

    `default`: the channel's default version; `newest`: a function from a version prefix ("1.34.")
    to the newest version the channel offers with that prefix, or None (the provider's
    `release_channel_latest_version` queried with `version_prefix`).
    """

    default: str | None
    newest: Callable[[str], str | None]
    offered: tuple[str, ...] = field(default=())


def choose_gke_version(channel: str, requested: str, offer: ChannelOffer) -> str:
    """The version to create at: the channel's default when the chart supports it and it is not
    older than `requested`; otherwise the offered version nearest to that default, within range.

    `requested` is `cluster.kubernetesVersion`: a minor ("1.33", the oldest accepted) or an exact
    version ("1.34.5-gke.1176000", which the channel must offer).
    """
    low, high = SUPPORTED_KUBERNETES_MINORS[0], SUPPORTED_KUBERNETES_MINORS[-1]
    floor = minor(requested)
    if floor is None or not low <= floor <= high:
        raise ConfigError([f"{VERSION_KEY}: must be 1.{low} to 1.{high}, got {requested!r}"])
    exact = requested.count(".") >= 2
    if exact:
        found = offer.newest(requested)
        if found == requested:
            return requested
        raise ConfigError(
            [
                f"{VERSION_KEY}: channel {channel} does not offer {requested}; its default is {offer.default}. "
                f"Set a minor version (1.{floor}) to let the channel choose the patch"
            ]
        )
    default_minor = minor(offer.default) if offer.default else None
    if default_minor is not None and floor <= default_minor <= high:
        return offer.default  # type: ignore[return-value]
    # Nearest to the channel's default first: the versions GKE keeps longest in the channel.
    target = default_minor if default_minor is not None else high
    for m in sorted(range(floor, high + 1), key=lambda m: (abs(m - target), -m)):
        found = offer.newest(f"1.{m}.")
        if found:
            return found
    raise ConfigError(
        [
            f"{CHANNEL_KEY}: GKE's {channel} channel offers no version from 1.{floor} ({VERSION_KEY}) to 1.{high} "
            f"(chart 2.1.0's range); its default is {offer.default}. Choose a channel that does "
            f"(REGULAR or STABLE usually offer the chart's newest versions; EXTENDED keeps older ones) "
            f"or a chart version that supports {offer.default}"
        ]
    )


def channel_offer(channel: str, fetch: Callable[[str], Mapping]) -> ChannelOffer:
    """A ChannelOffer from get_engine_versions results; `fetch(prefix)` runs the invoke."""
    first = fetch("")
    if channel == NO_CHANNEL:
        offered = tuple(first.get("valid_master_versions") or ())
        return ChannelOffer(
            default=first.get("default_cluster_version"),
            newest=lambda prefix: next((v for v in offered if v.startswith(prefix)), None),
            offered=offered,
        )
    cache: dict[str, str | None] = {"": (first.get("release_channel_latest_version") or {}).get(channel)}

    def newest(prefix: str) -> str | None:
        if prefix not in cache:
            cache[prefix] = (fetch(prefix).get("release_channel_latest_version") or {}).get(channel)
        return cache[prefix]

    return ChannelOffer(default=(first.get("release_channel_default_version") or {}).get(channel), newest=newest)


def resolve_gke_version(channel: str, requested: str, project: str, location: str) -> str:
    """Asks GKE (synchronously, so a refusal comes before any resource is declared)."""
    from pulumi_gcp import container

    def fetch(prefix: str) -> Mapping:
        result = container.get_engine_versions(project=project, location=location, version_prefix=prefix or None)
        return {
            "default_cluster_version": result.default_cluster_version,
            "valid_master_versions": result.valid_master_versions,
            "release_channel_default_version": result.release_channel_default_version,
            "release_channel_latest_version": result.release_channel_latest_version,
        }

    return choose_gke_version(channel, requested, channel_offer(channel, fetch))
