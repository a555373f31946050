"""The pack's security policies (issue 12): each reports a broken resource, passes a compliant one,
and the real program passes the mandatory ones while the exposure choices show as advisories."""

from __future__ import annotations

import json

import pytest

from policy.policies import ADVISORY, validate_resources
from tests.conftest import committed_stack
from tests.test_policy import HELM, TLS_ONLY_POLICY, mutate, resource, s3_stack
from tests.test_policy_program import as_policy_resources

GKE = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
EKS = "aws:eks/cluster:Cluster"
GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

GKE_OK = {
    "datapathProvider": "ADVANCED_DATAPATH",
    "privateClusterConfig": {"enablePrivateNodes": True},
    "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24"}]},
}
POOL_OK = {"namePrefix": "platform-", "nodeConfig": {"serviceAccount": "nodes@p.iam.gserviceaccount.com"}}
EKS_OK = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}}
GROUP_OK = {"nodeGroupNamePrefix": "platform-", "launchTemplate": {"id": "lt-1", "version": "1"}}
TEMPLATE_OK = {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}}
CNI_OK = {"addonName": "vpc-cni", "configurationValues": json.dumps({"enableNetworkPolicy": "true"})}


def names(violations) -> set[str]:
    return {v.policy for v in violations}


def test_compliant_security_resources_pass():
    resources = [
        resource(GKE, "gke", GKE_OK, protect=False),
        resource(POOL, "pool", POOL_OK, protect=False),
        resource(EKS, "eks", EKS_OK, protect=False),
        resource(ADDON, "cni", CNI_OK, protect=False),
        resource(GROUP, "group", GROUP_OK, protect=False),
        resource(TEMPLATE, "template", TEMPLATE_OK, protect=False),
        *s3_stack(),
    ]
    assert validate_resources(resources) == []


@pytest.mark.parametrize(
    "type_, props, policy",
    [
        (GKE, {**GKE_OK, "datapathProvider": None}, "gke-network-policy-enforced"),
        (
            POOL,
            mutate(POOL_OK, "nodeConfig.serviceAccount", "123-compute@developer.gserviceaccount.com"),
            "gke-node-dedicated-service-account",
        ),
        (POOL, {**POOL_OK, "name": "platform"}, "gke-node-pool-rolls-without-outage"),
        (GROUP, {**GROUP_OK, "nodeGroupName": "platform"}, "eks-node-group-rolls-without-outage"),
        (GROUP, {"nodeGroupNamePrefix": "platform-"}, "eks-node-group-launch-template"),
        (TEMPLATE, mutate(TEMPLATE_OK, "metadataOptions.httpTokens", "optional"), "launch-template-imdsv2"),
        (TEMPLATE, mutate(TEMPLATE_OK, "metadataOptions.httpPutResponseHopLimit", 2), "launch-template-imdsv2"),
    ],
)
def test_broken_security_setting_is_reported(type_, props, policy):
    violations = validate_resources([resource(type_, "r", props, protect=False)])
    assert names(violations) == {policy}
    assert all(v.mandatory and "Fix: " in v.message for v in violations)


def test_gke_calico_counts_as_enforcement():
    props = {**GKE_OK, "datapathProvider": None, "networkPolicy": {"enabled": True, "provider": "CALICO"}}
    assert validate_resources([resource(GKE, "gke", props, protect=False)]) == []


def test_eks_without_enforcing_cni_is_reported():
    plain = {"addonName": "vpc-cni", "configurationValues": json.dumps({"env": {"WARM_IP_TARGET": "5"}})}
    for addons in ([], [resource(ADDON, "cni", plain, protect=False)]):
        violations = validate_resources([resource(EKS, "eks", EKS_OK, protect=False), *addons])
        assert names(violations) == {"eks-network-policy-enforced"}


def test_s3_bucket_without_a_tls_policy_is_reported():
    for resources in (
        s3_stack(drop=("tls",)),
        [
            *s3_stack(drop=("tls",)),
            resource(
                "aws:s3/bucketPolicy:BucketPolicy",
                "other",
                {"bucket": "astro-registry", "policy": json.dumps({**TLS_ONLY_POLICY, "Statement": []})},
                protect=False,
            ),
        ],
    ):
        violations = validate_resources(resources)
        assert names(violations) == {"s3-bucket-denies-insecure-transport"}
        assert "aws:SecureTransport" in violations[0].message


@pytest.mark.parametrize(
    "type_, props, policy",
    [
        (GKE, mutate(GKE_OK, "masterAuthorizedNetworksConfig", None), "gke-control-plane-exposure"),
        (
            GKE,
            mutate(GKE_OK, "masterAuthorizedNetworksConfig.cidrBlocks", [{"cidrBlock": "0.0.0.0/0"}]),
            "gke-control-plane-exposure",
        ),
        (EKS, mutate(EKS_OK, "vpcConfig.publicAccessCidrs", []), "eks-public-endpoint-exposure"),
        (
            HELM,
            {"chart": "astronomer", "version": "2.1.0", "values": {"nginx": {"loadBalancerSourceRanges": []}}},
            "astronomer-nginx-exposure",
        ),
    ],
)
def test_exposure_is_advisory(type_, props, policy):
    violations = [v for v in validate_resources([resource(type_, "r", props, protect=False)]) if v.policy == policy]
    assert len(violations) == 1 and violations[0].enforcement_level == ADVISORY


@pytest.mark.parametrize(
    "stack, expected",
    [
        ("gcp", {"gke-control-plane-exposure", "astronomer-nginx-exposure"}),
        ("aws", {"eks-public-endpoint-exposure", "astronomer-nginx-exposure"}),
    ],
)
def test_the_program_shows_its_exposure_choices_as_advisories(stack, expected):
    """The committed stacks keep the API and NGINX open (recovery from anywhere): the pack says so."""
    violations = validate_resources(as_policy_resources(committed_stack(stack)))
    assert [v for v in violations if v.mandatory] == []
    assert {v.policy for v in violations if v.enforcement_level == ADVISORY} == expected
