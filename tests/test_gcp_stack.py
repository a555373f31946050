"""The GCP stack as committed: every DR property asserted on what the program registers."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from components.dns import FAILOVER_DNS_TTL_SECONDS
from tests.conftest import TEST_PRIVATE_KEY, evaluate_stack
from tools.offline import MOCK_PASSWORD, Secret, plaintext_occurrences

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"


def secret_named(evaluation, name):
    return next(r for r in evaluation.of_type(SECRET) if r.input("metadata.name") == name)


# ---- Cloud SQL ---------------------------------------------------------------------------------


def test_database_backups_run_daily_in_the_configured_window_and_keep_a_week(gcp):
    backups = gcp.one(SQL).input("settings.backupConfiguration")
    assert backups["enabled"] is True
    assert backups["startTime"] == "03:00"
    assert backups["backupRetentionSettings"] == {"retainedBackups": 7, "retentionUnit": "COUNT"}


def test_database_has_point_in_time_recovery_with_a_week_of_logs(gcp):
    backups = gcp.one(SQL).input("settings.backupConfiguration")
    assert backups["pointInTimeRecoveryEnabled"] is True
    assert backups["transactionLogRetentionDays"] == 7


def test_database_is_regional_private_and_encrypted_in_transit(gcp):
    instance = gcp.one(SQL)
    assert instance.input("settings.availabilityType") == "REGIONAL"
    ip = instance.input("settings.ipConfiguration")
    assert ip["ipv4Enabled"] is False
    assert ip["privateNetwork"] == gcp.one("gcp:compute/network:Network").urn.split("::")[-1] + "-id"
    assert ip["sslMode"] == "ENCRYPTED_ONLY"
    assert "authorizedNetworks" not in ip


def test_database_is_protected_twice(gcp):
    instance = gcp.one(SQL)
    assert instance.protect is True
    assert instance.input("settings.deletionProtectionEnabled") is True  # at the Cloud SQL API
    assert instance.input("deletionProtection") is True  # in the provider


def test_database_backups_outlive_the_instance(gcp):
    settings = gcp.one(SQL).input("settings")
    assert settings["retainBackupsOnDelete"] is True
    assert settings["finalBackupConfig"] == {"enabled": True, "retentionDays": 30}


def test_database_waits_for_private_services_access(gcp):
    connection = gcp.one("gcp:servicenetworking/connection:Connection")
    assert connection.urn in gcp.one(SQL).dependencies
    assert connection.input("service") == "servicenetworking.googleapis.com"


def test_database_instance_name_is_left_to_pulumi(gcp):
    # Cloud SQL holds a deleted instance's name for a week; an explicit name would block a rebuild.
    assert "name" not in gcp.one(SQL).inputs


def test_database_user_password_is_generated_and_secret(gcp):
    user = gcp.one("gcp:sql/user:User")
    assert isinstance(user.inputs["password"], Secret)
    assert user.input("password") == MOCK_PASSWORD
    password = gcp.one("random:index/randomPassword:RandomPassword", "astro-gcp-db-password")
    assert password.input("special") is True and password.input("length") >= 32


# ---- registry storage --------------------------------------------------------------------------


def test_registry_bucket_settings(gcp):
    bucket = gcp.one(BUCKET, "astro-gcp-registry")
    assert bucket.protect is True
    assert bucket.input("uniformBucketLevelAccess") is True
    assert bucket.input("publicAccessPrevention") == "enforced"
    assert bucket.input("versioning") == {"enabled": True}
    assert bucket.input("forceDestroy") is False
    assert bucket.input("deletionPolicy") == "PREVENT"
    assert bucket.input("softDeletePolicy.retentionDurationSeconds") >= 7 * 24 * 3600
    [rule] = bucket.input("lifecycleRules")
    assert rule["action"] == {"type": "Delete"}
    assert rule["condition"]["withState"] == "ARCHIVED"
    assert rule["condition"]["daysSinceNoncurrentTime"] == 30


def test_registry_grants_are_scoped_to_the_bucket(gcp):
    bucket_name = gcp.one(BUCKET, "astro-gcp-registry").input("name")
    account = gcp.one("gcp:serviceaccount/account:Account", "astro-gcp-registry-identity")
    email = f"{account.input('accountId')}@acme-astronomer-prod.iam.gserviceaccount.com"
    grants = [
        g for g in gcp.of_type("gcp:storage/bucketIAMMember:BucketIAMMember") if g.name.startswith("astro-gcp-registry")
    ]
    assert {g.input("role") for g in grants} == {"roles/storage.objectAdmin", "roles/storage.legacyBucketReader"}
    for grant in grants:
        assert grant.input("bucket") == bucket_name
        assert grant.input("member") == f"serviceAccount:{email}"
    # No project-wide role for the registry: the only one is the nodes' (tests/test_nodes.py).
    project_roles = [r for r in gcp.resources if r.type.startswith("gcp:projects/")]
    assert [(r.input("role"), r.input("member")) for r in project_roles] == [
        (
            "roles/container.defaultNodeServiceAccount",
            "serviceAccount:astro-gcp-nodes@acme-astronomer-prod.iam.gserviceaccount.com",
        )
    ]


def test_registry_workload_identity_member_is_the_charts_service_account(gcp):
    binding = gcp.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-registry-workload-identity")
    assert binding.input("role") == "roles/iam.workloadIdentityUser"
    # Named for this stack's cluster: other clusters of the project share the pool (tests/test_security.py).
    assert (
        binding.input("member")
        == "serviceAccount:acme-astronomer-prod.svc.id.goog[astronomer/astronomer-registry-astro-gcp]"
    )
    assert binding.input("serviceAccountId").endswith("astro-gcp-registry@acme-astronomer-prod.iam.gserviceaccount.com")
    # The project's identity pool exists only once the Workload Identity cluster does.
    assert gcp.one("gcp:container/cluster:Cluster").urn in binding.dependencies


# ---- network and cluster -----------------------------------------------------------------------


def test_network_names_are_stable(gcp):
    names = {r.input("name") for r in gcp.resources if r.type.startswith("gcp:compute/")}
    assert names == {
        "astro-gcp-vpc",
        "astro-gcp-nodes",
        "astro-gcp-private-services",
        "astro-gcp-router",
        "astro-gcp-nat",
        "astro-gcp-ingress",
    }
    assert gcp.one("gcp:compute/routerNat:RouterNat").input("router") == "astro-gcp-router"


def test_subnet_has_pod_and_service_ranges(gcp):
    subnet = gcp.one("gcp:compute/subnetwork:Subnetwork")
    ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.input("secondaryIpRanges")}
    assert ranges == {"pods": "10.20.0.0/14", "services": "10.30.0.0/20"}
    assert subnet.input("privateIpGoogleAccess") is True


def test_cluster_is_regional_private_with_workload_identity(gcp):
    cluster = gcp.one("gcp:container/cluster:Cluster")
    assert cluster.input("location") == "us-central1"
    assert cluster.input("privateClusterConfig.enablePrivateNodes") is True
    assert cluster.input("workloadIdentityConfig.workloadPool") == "acme-astronomer-prod.svc.id.goog"
    # STABLE no longer offers 1.33 (tools/offline.py GKE_SERVER_CONFIG): its default, 1.34, is chosen.
    assert cluster.input("minMasterVersion") == "1.34.5-gke.1176000"
    assert cluster.input("releaseChannel.channel") == "STABLE"
    assert cluster.input("removeDefaultNodePool") is True
    assert cluster.input("deletionProtection") is True
    pool = gcp.one("gcp:container/nodePool:NodePool")
    assert pool.input("nodeConfig.workloadMetadataConfig.mode") == "GKE_METADATA"
    assert pool.input("autoscaling") == {"minNodeCount": 1, "maxNodeCount": 3}
    assert pool.input("nodeConfig.machineType") == "e2-standard-8"


def test_kubernetes_provider_uses_the_clusters_outputs_and_no_static_credential(gcp):
    provider = gcp.one("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    kubeconfig = provider.input("kubeconfig")
    assert "server: https://203.0.113.10" in kubeconfig
    assert "command: gke-gcloud-auth-plugin" in kubeconfig
    assert "token:" not in kubeconfig and "password" not in kubeconfig
    # Every Kubernetes resource goes through it.
    for r in gcp.resources:
        if r.type.startswith("kubernetes:"):
            assert r.provider.startswith(provider.urn), r.name


def test_static_ip_is_reserved_and_protected(gcp):
    address = gcp.one("gcp:compute/address:Address")
    assert address.protect is True
    assert address.input("addressType") == "EXTERNAL"
    assert gcp.outputs["static_ip"] == "203.0.113.20"
    assert gcp.of_type("gcp:dns/recordSet:RecordSet") == []


def test_dns_record_when_a_zone_is_configured():
    """The TTL is components/dns.py's (60 s). Lowering it from 300 is an in-place change: the
    provider's `ttl` is Optional and not ForceNew (hashicorp/terraform-provider-google-beta 93c65b2d,
    google-beta/services/dns/resource_dns_record_set.go:272-276)."""
    evaluation = evaluate_stack("gcp", **{"astronomer-dr:dns": {"managedZone": "astro-zone"}})
    assert evaluation.error is None, evaluation.error
    record = evaluation.one("gcp:dns/recordSet:RecordSet")
    assert record.input("name") == "*.astro.acme.example.com."
    assert record.input("managedZone") == "astro-zone"
    assert record.input("type") == "A" and record.input("rrdatas") == ["203.0.113.20"]
    assert record.input("ttl") == FAILOVER_DNS_TTL_SECONDS == 60


def test_existing_cluster_builds_only_the_platform_and_data_on_it():
    existing = {
        "existing": {"name": "shared", "location": "us-central1", "network": "projects/acme/global/networks/shared"}
    }
    evaluation = evaluate_stack("gcp", **{"astronomer-dr:cluster": existing})
    assert evaluation.error is None, evaluation.error
    types = {r.type for r in evaluation.resources}
    assert not {
        t
        for t in types
        if t.startswith(("gcp:container/", "gcp:compute/network", "gcp:compute/subnetwork", "gcp:compute/router"))
    }
    assert (
        "gcp:container/getCluster:getCluster",
        {"name": "shared", "location": "us-central1", "project": "acme-astronomer-prod"},
    ) in evaluation.invokes
    assert (
        evaluation.one(SQL).input("settings.ipConfiguration.privateNetwork") == "projects/acme/global/networks/shared"
    )
    assert "server: https://203.0.113.11" in evaluation.one("pulumi:providers:kubernetes").input("kubeconfig")
    assert evaluation.one(RELEASE, "astronomer-release").input("name") == "astronomer"


# ---- the platform on GCP -----------------------------------------------------------------------


def test_bootstrap_secret_decodes_to_the_generated_password(gcp):
    bootstrap = secret_named(gcp, "astronomer-bootstrap")
    assert bootstrap.input("metadata.namespace") == "astronomer"
    assert isinstance(bootstrap.inputs["stringData"], Secret)
    url = urlsplit(bootstrap.input("stringData.connection"))
    assert url.scheme == "postgres"
    assert unquote(url.username) == "astronomer"
    assert unquote(url.password) == MOCK_PASSWORD
    assert (url.hostname, url.port, url.path) == ("10.99.0.3", 5432, "")


def test_tls_secret_is_the_one_the_chart_reads(gcp):
    tls = secret_named(gcp, "astronomer-tls")
    assert tls.input("type") == "kubernetes.io/tls"
    assert tls.input("stringData")["tls.key"] == TEST_PRIVATE_KEY
    assert isinstance(tls.inputs["stringData"], Secret)
    assert gcp.one(RELEASE, "astronomer-release").input("values.global.tlsSecret") == "astronomer-tls"


def test_release_is_pinned_atomic_and_waits_for_its_secrets(gcp):
    release = gcp.one(RELEASE, "astronomer-release")
    assert release.input("chart") == "astronomer"
    assert release.input("version") == "2.1.0"
    assert release.input("repositoryOpts.repo") == "https://helm.astronomer.io"
    assert release.input("name") == "astronomer"
    assert release.input("namespace") == "astronomer"
    # Installed as upstream's CI installs it (no wait, so not atomic); the ready Job waits instead.
    assert release.input("skipAwait") is True and not release.input("atomic") and release.input("cleanupOnFail") is True
    assert release.urn in gcp.one("kubernetes:batch/v1:Job", "astronomer-ready").dependencies
    assert release.input("timeout") >= 1200
    for name in ("astronomer-bootstrap", "astronomer-tls"):
        assert secret_named(gcp, name).urn in release.dependencies
    assert gcp.one("gcp:container/nodePool:NodePool").urn in release.dependencies
    assert (
        gcp.one("gcp:serviceaccount/iAMMember:IAMMember", "astro-gcp-registry-workload-identity").urn
        in release.dependencies
    )


def test_release_values_wire_the_gcp_foundation(gcp):
    values = gcp.one(RELEASE, "astronomer-release").input("values")
    assert values["global"]["baseDomain"] == "astro.acme.example.com"
    assert values["global"]["postgresql"]["enabled"] is False
    assert values["global"]["ssl"] == {"enabled": True, "mode": "require"}
    registry = values["astronomer"]["registry"]
    assert registry["gcs"] == {
        "enabled": True,
        "bucket": "acme-astronomer-prod-astro-gcp-registry",
        "useKeyfile": False,
    }
    assert registry["serviceAccount"]["name"] == "astronomer-registry-astro-gcp"
    assert registry["serviceAccount"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "astro-gcp-registry@acme-astronomer-prod.iam.gserviceaccount.com"
    }
    assert registry["httpSecret"] == MOCK_PASSWORD  # the RandomPassword's result, pinned
    assert values["prometheus"]["replicas"] == 2
    assert values["prometheus"]["sessionAffinity"] == "ClientIP"
    assert values["nginx"]["loadBalancerIP"] == "203.0.113.20"


def test_registry_http_secret_is_stable_random_state(gcp):
    secret = gcp.one("random:index/randomPassword:RandomPassword", "astronomer-registry-http-secret")
    assert "result" in secret.additional_secret_outputs
    assert isinstance(gcp.one(RELEASE, "astronomer-release").inputs["values"], Secret)


def test_outputs(gcp):
    outputs = gcp.outputs
    assert outputs["platform_url"] == "https://app.astro.acme.example.com"
    assert outputs["database_connection_name"].startswith("acme-astronomer-prod:us-central1:")
    assert outputs["registry_bucket"] == "acme-astronomer-prod-astro-gcp-registry"
    assert outputs["static_ip"] == "203.0.113.20"
    assert isinstance(outputs["kubeconfig"], Secret)


@pytest.mark.parametrize(
    "needle", [MOCK_PASSWORD, TEST_PRIVATE_KEY.splitlines()[1]], ids=["mock-password", "tls-private-key"]
)
def test_no_secret_in_plaintext_anywhere(gcp, needle):
    leaks = [f"{r.type} {r.name}{path}" for r in gcp.resources for path in plaintext_occurrences(r.inputs, needle)]
    leaks += [f"output{path}" for path in plaintext_occurrences(gcp.outputs, needle)]
    assert leaks == []


def test_every_child_has_a_component_parent(gcp):
    components = {r.urn for r in gcp.resources if not r.custom}
    stack_children = [r for r in gcp.resources if r.parent not in components]
    assert {r.type for r in stack_children} == {
        "astronomer-dr:gcp/foundation:GcpFoundation",
        "astronomer-dr:platform:AstronomerPlatform",
        "astronomer-dr:platform/velero:Velero",
        "astronomer-dr:gcp/alerts:GcpAlerts",
    }
