"""The EKS platform node group and its launch template: facts and the resources they become.

* A change must roll, never empty the cluster. In terraform-provider-aws
  internal/service/eks/node_group.go, `ami_type`, `capacity_type`, `disk_size`, `instance_types`,
  `node_group_name(_prefix)`, `node_role_arn`, `subnet_ids` and the launch template's `id`/`name`
  are ForceNew; the launch template's `version` is not (UpdateNodegroupVersion: a rolling update,
  `update_config.max_unavailable` nodes at a time). So:
  - the disk lives in the launch template: a new size is a new template version, rolled in place;
  - the group is named from a prefix, so what must still replace it (instance types, AMI type)
    creates the new group first and deletes the old one only once the new one is ACTIVE
    (a fixed name would make create-before-delete impossible: the new group would take it).
* IMDSv2 only, with a hop limit of 1, as the EKS best practices guide says ("Restrict access to
  the instance profile assigned to the worker node",
  https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html):
  pods (which run one network hop from the node) cannot read the node role's credentials;
  they use IRSA.
* The group's size is cluster-autoscaler's from creation on (components/aws/autoscaler.py):
  `desiredNodes` sizes a new group only, and `pulumi up` ignores the size the autoscaler set
  (`ignore_changes`, as pulumi_aws 7.51.1 eks/node_group.py, "Ignoring Changes to Desired Size",
  shows it); otherwise every update would set it back and drain what the autoscaler added.
  `minNodes` and `maxNodes` stay Pulumi's: the bounds the autoscaler keeps within.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_aws import ec2, eks

from ..config import AwsClusterSettings
from .kms import TAGS

AMI_TYPE = "AL2023_x86_64_STANDARD"
# The root device of the EKS-optimized Amazon Linux 2023 AMIs.
ROOT_DEVICE = "/dev/xvda"
METADATA_OPTIONS: dict[str, Any] = {
    "http_endpoint": "enabled",
    "http_tokens": "required",
    "http_put_response_hop_limit": 1,
}
# `node_group_name_prefix` allows 63 minus the 26-character unique suffix (node_group.go).
GROUP_NAME_PREFIX = "platform-"
GROUP_NAME_PREFIX_MAX = 63 - 26
# Engine property paths (not SDK names): what cluster-autoscaler owns after creation.
AUTOSCALED_INPUTS = ("scalingConfig.desiredSize",)


def launch_template(name: str, settings: AwsClusterSettings, parent: pulumi.Resource) -> ec2.LaunchTemplate:
    """Node settings that change by a new template version (rolled in place): disk, metadata."""
    return ec2.LaunchTemplate(
        f"{name}-platform",
        name_prefix=f"{name}-platform-",
        description="EKS platform nodes: IMDSv2 only (hop limit 1), encrypted gp3 root volume",
        metadata_options=ec2.LaunchTemplateMetadataOptionsArgs(**METADATA_OPTIONS),
        block_device_mappings=[
            ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE,
                ebs=ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=settings.disk_size_gb,
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )
        ],
        update_default_version=True,
        tags=TAGS,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def platform_node_group(
    name: str,
    settings: AwsClusterSettings,
    cluster_name: pulumi.Input[str],
    node_role_arn: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    depends_on: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> eks.NodeGroup:
    template = launch_template(name, settings, parent)
    return eks.NodeGroup(
        f"{name}-platform",
        cluster_name=cluster_name,
        node_group_name_prefix=GROUP_NAME_PREFIX,
        node_role_arn=node_role_arn,
        subnet_ids=subnet_ids,
        ami_type=AMI_TYPE,
        capacity_type="ON_DEMAND",
        instance_types=list(settings.instance_types),
        # No disk_size: with a launch template EKS takes the disk from the template only.
        launch_template=eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
        scaling_config=eks.NodeGroupScalingConfigArgs(
            min_size=settings.min_nodes, max_size=settings.max_nodes, desired_size=settings.desired_nodes
        ),
        update_config=eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
        labels={"astronomer.io/pool": "platform"},
        tags=TAGS,
        # Explicit: the replacement group is ACTIVE before the old one is drained and deleted.
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on),
            delete_before_replace=False,
            ignore_changes=list(AUTOSCALED_INPUTS),
        ),
    )
