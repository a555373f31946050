"""AWS partitions: which regions the program's `arn:aws:` ARNs are valid in.

Fact module. Source: the AWS SDKs' partitions file (aws/aws-sdk-js-v3
packages/util-endpoints/src/lib/aws/partitions.json, the same file as aws-sdk-go-v2
internal/endpoints/awsrulesfn/partitions.json), read 2026-12-05: each partition's `regionRegex`,
in the file's order of precedence. The region names themselves are the installed AWS provider's
(`pulumi_aws.Region`, provider_config.aws_regions()).

The program writes ARNs of the `aws` partition (`arn:aws:s3:::<bucket>`, `arn:aws:iam::aws:policy/...`:
components/aws/backups.py, components/aws/standby.py, components/aws/iam.py). In a region of
another partition (China `aws-cn`, GovCloud `aws-us-gov`, the isolated `aws-iso*`, the European
Sovereign Cloud `aws-eusc`) every such ARN names nothing, and IAM refuses the policies or grants
nothing: such regions are refused, whole, rather than half-supported.
"""

from __future__ import annotations

import re

COMMERCIAL = "aws"

# partitions.json `regionRegex`, per partition id.
PARTITION_REGION_REGEX = {
    "aws": r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
    "aws-cn": r"^cn\-\w+\-\d+$",
    "aws-us-gov": r"^us\-gov\-\w+\-\d+$",
    "aws-iso": r"^us\-iso\-\w+\-\d+$",
    "aws-iso-b": r"^us\-isob\-\w+\-\d+$",
    "aws-iso-e": r"^eu\-isoe\-\w+\-\d+$",
    "aws-iso-f": r"^us\-isof\-\w+\-\d+$",
    "aws-eusc": r"^eusc\-(de)\-\w+\-\d+$",
}


def partition_of(region: str) -> str | None:
    """The partition whose regionRegex matches `region` (None: no partition's).

    `\\w` in the regexes never matches a hyphen, so `us-gov-west-1` matches aws-us-gov only."""
    return next((p for p, regex in PARTITION_REGION_REGEX.items() if re.match(regex, region, re.ASCII)), None)


def other_partition_message(region: str) -> str | None:
    """Why a region of another partition is refused, or None for a commercial region."""
    partition = partition_of(region)
    if partition in (COMMERCIAL, None):
        return None
    return (
        f"{region} is in the {partition} partition: the program writes arn:aws: ARNs (commercial partition), "
        f"which name nothing there; use a commercial AWS region"
    )
