"""The settings a stack is parsed into: StackSettings, and StandbySettings which it holds.

Data only, below the rooms that parse (stack.py) and check (standby.py) them, so neither imports
the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .adopt import AdoptedSecrets, AdoptSettings
from .alerts import AlertSettings
from .aws import AwsSettings
from .backups import BackupSettings
from .gcp import GcpSettings
from .shared import PlatformSettings, TlsSettings

STANDBY_CLUSTER_MODES = ("warm", "cold")
# Warm by default: the failover's RTO target is minutes, and creating a regional GKE or EKS control
# plane plus nodes at failover adds 10-20 minutes while the whole region's customers fail over into
# the same second region (README, "A standby in a second region"). Cold is the cheaper choice.
DEFAULT_STANDBY_CLUSTER = "warm"


@dataclass(frozen=True)
class StandbySettings:
    primary_stack: str
    promote: bool = False
    cluster: str = DEFAULT_STANDBY_CLUSTER

    @property
    def declares_cluster(self) -> bool:
        """A warm standby's cluster exists all along; a cold one's only once promoted."""
        return self.promote or self.cluster == "warm"


@dataclass(frozen=True)
class StackSettings:
    cloud: str
    # Prefix of every physical name: derived from the stack, stable across runs, never a timestamp.
    name_prefix: str
    platform: PlatformSettings
    tls: TlsSettings
    gcp: GcpSettings | None = None
    aws: AwsSettings | None = None
    # What deserves a look but does not stop a recovery (a certificate about to expire);
    # `load_settings` logs each with pulumi.log.warn.
    warnings: tuple[str, ...] = ()
    # A standby stack in a second region (components/config/standby.py); None: a primary.
    standby: StandbySettings | None = None
    # Velero backups of the Airflow deployments (and a declared restore).
    backups: BackupSettings | None = None
    # Where the DR alerts go (components/config/alerts.py); None: nowhere, warned once.
    alerts: AlertSettings | None = None
    # What an existing installation calls what the program cannot name (tools/adopt; docs/ADOPTION.md).
    adopt: AdoptSettings | None = None
    # A running installation's identity and credentials, kept instead of generated (components/config/adopt.py).
    adopted: AdoptedSecrets = field(default_factory=AdoptedSecrets)

    # `parse_settings` sets exactly one cloud's settings, the one `cloud` names: code that knows its
    # cloud (a foundation, __main__'s cloud branch) takes them through these, already narrowed.
    def require_gcp(self) -> GcpSettings:
        """This GCP stack's settings; a programming error (not a config one) on an AWS stack."""
        if self.gcp is None:
            raise TypeError(f"GCP settings asked of a {self.cloud} stack")
        return self.gcp

    def require_aws(self) -> AwsSettings:
        """This AWS stack's settings; a programming error (not a config one) on a GCP stack."""
        if self.aws is None:
            raise TypeError(f"AWS settings asked of a {self.cloud} stack")
        return self.aws

    @property
    def region(self) -> str:
        """The stack's region (gcp:region or aws:region)."""
        return self.require_gcp().region if self.cloud == "gcp" else self.require_aws().region
