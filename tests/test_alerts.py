"""The DR posture watched (issue 20): `astronomer-dr:alerts`, Velero's rules and what each cloud
registers to deliver them, on primaries and standbys. Evaluations are the session's cached ones
(tests/conftest.py committed_stack); the rest are pure functions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components.config import NO_ALERTS_WARNING, REPLICA_LAG_RPO_SECONDS, AlertSettings, parse_settings
from components.gcp.alerts import BACKUP_LOG_METHOD, REPLICA_LAG_METRIC, backup_log_filter, seconds
from components.platform.alerts import (
    DR_LABEL,
    DR_RECEIVER,
    MAX_FOR_SECONDS,
    VELERO_SCRAPE_JOB,
    Deployments,
    SnsReceiver,
    alerting_values,
    backup_rules,
    longest_gap_seconds,
    velero_rules,
)
from components.platform.velero_chart import SCHEDULE_NAME
from components.schema import ConfigError
from tests.conftest import TLS_SECRETS, committed_stack
from tests.stack_inputs import DELETE, stack_with
from tests.test_platform import assert_keys_exist_in_chart
from tools.offline import MOCK_AWS_ACCOUNT

FACTS = Path(__file__).parent / "velero" / "metrics-v1.18.1.txt"
RELEASE = "kubernetes:helm.sh/v3:Release"
# The committed stacks' platform: namespace and release `astronomer`, no namespace pools.
DEPLOYMENTS = Deployments("astronomer", "astronomer")
EMAIL = "dr-oncall@acme.example.com"


@pytest.fixture(autouse=True)
def tls_secret_keys(monkeypatch):
    from pulumi.runtime import config as runtime_config

    monkeypatch.setattr(runtime_config, "is_config_secret", lambda key: key in TLS_SECRETS)


def velero_metrics() -> set[str]:
    lines = [line.split() for line in FACTS.read_text().splitlines() if line and not line.startswith("#")]
    return {name for name, _kind in lines}


def platform_values(evaluation) -> dict:
    return evaluation.one(RELEASE, "astronomer-release").input("values")


# ---- the contract: astronomer-dr:alerts --------------------------------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws", "gcp-standby", "aws-standby"])
def test_committed_stacks_send_alerts_to_their_addresses(stack):
    settings = parse_settings(stack_with(stack, {}), stack)
    assert settings.alerts == AlertSettings(emails=(EMAIL,))
    assert NO_ALERTS_WARNING not in settings.warnings


def test_without_alerts_the_program_warns_once():
    settings = parse_settings(stack_with("gcp", {"astronomer-dr:alerts": DELETE}), "gcp")
    assert settings.alerts is None
    assert settings.warnings.count(NO_ALERTS_WARNING) == 1
    assert "alert nobody" in NO_ALERTS_WARNING and "docs/MONITORING.md" in NO_ALERTS_WARNING


@pytest.mark.parametrize(
    ("alerts", "says"),
    [
        ({"emails": [EMAIL]}, "astronomer-dr:alerts.emails: unknown key; did you mean 'email'?"),
        ({"email": ["not-an-address"]}, "astronomer-dr:alerts.email: every entry must be an email address"),
        ({"email": []}, "astronomer-dr:alerts.email: at least one address"),
        ({"email": [EMAIL, EMAIL.upper()]}, "astronomer-dr:alerts.email: an address is listed twice"),
        ({"email": EMAIL}, "astronomer-dr:alerts.email: expected a list of strings"),
        ({}, "astronomer-dr:alerts.email: required"),
    ],
)
def test_bad_alerts_are_refused_naming_the_key(alerts, says):
    with pytest.raises(ConfigError) as caught:
        parse_settings(stack_with("aws", {"astronomer-dr:alerts": alerts}), "aws")
    assert any(line.startswith(says) for line in caught.value.problems), caught.value.problems


def test_a_misspelt_alerts_key_is_refused_with_the_right_one():
    config = stack_with("gcp", {"astronomer-dr:alerts": DELETE})
    config["astronomer-dr:alert"] = json.dumps({"email": [EMAIL]})
    with pytest.raises(ConfigError) as caught:
        parse_settings(config, "gcp")
    assert any("astronomer-dr:alert: unknown key; did you mean 'alerts'" in p for p in caught.value.problems)


# ---- Velero's rules ----------------------------------------------------------------------------


def test_every_metric_a_rule_reads_is_one_velero_exports():
    """Velero v1.18.1's own list (tests/velero/metrics-v1.18.1.txt, from pkg/metrics/metrics.go at
    commit 26ef8fa7df68dfa9ab8aa4669b8ac47340b0c510): a misspelt metric would make a rule that never fires."""
    exported = velero_metrics()
    assert "velero_backup_last_successful_timestamp" in exported and len(exported) == 42
    for rule in [*velero_rules("0 * * * *"), *velero_rules("0 * * * *", "astro-gcp"), *velero_rules("0 3 * * 1")]:
        read = set(re.findall(r"\b(?:velero|podVolume)_[a-z_]+\b", rule.expr))
        assert read == set(rule.metrics), rule.alert
        assert read <= exported, (rule.alert, read - exported)


def test_the_rules_cover_what_the_issue_names():
    rules = {r.alert: r for r in velero_rules("0 * * * *")}
    assert set(rules) == {
        "VeleroBackupStale",
        "VeleroBackupNeverSucceeded",
        "VeleroBackupFailed",
        "VeleroBackupEmpty",
        "VeleroBackupLocationUnavailable",
        "VeleroRepositoryMaintenanceFailing",
    }
    # Hourly: stale after two hours without a successful backup of the program's schedule.
    assert rules["VeleroBackupStale"].expr == (
        f'time() - velero_backup_last_successful_timestamp{{schedule="{SCHEDULE_NAME}"}} > 7200'
    )
    assert "velero_backup_partial_failure_total" in rules["VeleroBackupFailed"].expr
    assert rules["VeleroBackupEmpty"].expr.endswith("== 0")
    assert 'backup_location_name="default"' in rules["VeleroBackupLocationUnavailable"].expr


@pytest.mark.parametrize("schedule", ["0 * * * *", "30 2 * * *", "0 3 * * 1", "0 0 1 * *"])
def test_no_rule_waits_longer_than_a_cloud_monitoring_condition_may(schedule):
    """A Cloud Monitoring PromQL condition's retest window (`duration`, a rule's `for`) is at most
    24 hours (https://cloud.google.com/monitoring/alerts/using-promql, "Limitations"): a daily or
    weekly schedule's "never succeeded" wait of twice its gap is asked of the data instead."""
    for rule in backup_rules(schedule, Deployments("astronomer", "astronomer", ("team-a",)), "astro-gcp"):
        assert int(seconds(rule.for_)[:-1]) <= MAX_FOR_SECONDS, rule.alert
    never = {r.alert: r for r in velero_rules(schedule)}["VeleroBackupNeverSucceeded"]
    stale = 2 * longest_gap_seconds(schedule)
    attempts = f'velero_backup_attempt_total{{schedule="{SCHEDULE_NAME}"}}'
    if stale <= MAX_FOR_SECONDS:
        assert never.for_ == f"{stale // 3600}h" and "offset" not in never.expr
    else:
        # The schedule's counter existed (stale - 24 h) ago, and the condition held 24 h more:
        # no success since the Schedule has existed for `stale`; or Velero never scraped for a day.
        assert never.for_ == "1d"
        assert f"and on() ({attempts} offset {(stale - MAX_FOR_SECONDS) // 86400}d)" in never.expr
        assert never.expr.endswith(f"or absent_over_time({attempts}[1d])")


@pytest.mark.parametrize(
    ("schedule", "gap"),
    [
        ("0 * * * *", 3600),
        ("*/15 * * * *", 900),
        ("0 */6 * * *", 6 * 3600),
        ("30 2 * * *", 86400),
        ("0 3 * * 1", 7 * 86400),
        ("0 0 1 * *", 31 * 86400),
        ("0 0,12 * * 1-5", 60 * 3600),  # Friday noon to Monday midnight
        ("0 0 1 * 1", 7 * 86400),  # day 1 OR Monday (cron's rule when both are restricted)
    ],
)
def test_the_longest_gap_between_two_runs_of_a_schedule(schedule, gap):
    assert longest_gap_seconds(schedule) == gap


def test_annotations_hold_no_template_helm_would_render():
    """The chart passes additionalAlerts.platform through Helm's `tpl` (astronomer/astronomer v2.1.0,
    charts/prometheus/templates/prometheus-alerts-configmap.yaml:95): `{{` would be Helm's to render."""
    text = alerting_values("0 * * * *", DEPLOYMENTS, None)["prometheus"]["additionalAlerts"]["platform"]
    assert "{{" not in text
    rules = yaml.safe_load(text)
    assert [r["alert"] for r in rules] == [r.alert for r in backup_rules("0 * * * *", DEPLOYMENTS)]
    assert all(r["labels"][DR_LABEL] == "backup" and r["labels"]["tier"] == "platform" for r in rules)


def test_alerting_values_exist_in_the_chart():
    sns = SnsReceiver("arn:aws:sns:us-east-1:111122223333:t", "us-east-1", "arn:aws:iam::111122223333:role/r")
    assert_keys_exist_in_chart(alerting_values("0 * * * *", DEPLOYMENTS, sns))


# ---- what each stack registers -----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_platform_scrapes_velero_and_carries_its_rules(stack):
    prometheus = platform_values(committed_stack(stack))["prometheus"]
    [job] = prometheus["additionalScrapeJobs"]
    assert job["job_name"] == VELERO_SCRAPE_JOB
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["velero"]}}]
    # The chart's server pod label and metrics port (vmware-tanzu/helm-charts velero-12.1.0,
    # charts/velero/templates/deployment.yaml:36 `name: velero`, :90 `http-monitoring` 8085).
    assert {"source_labels": ["__meta_kubernetes_pod_label_name"], "action": "keep", "regex": "velero"} in job[
        "relabel_configs"
    ]
    rules = yaml.safe_load(prometheus["additionalAlerts"]["platform"])
    assert {r["alert"] for r in rules} == {r.alert for r in backup_rules("0 * * * *", DEPLOYMENTS)}


def test_aws_alertmanager_publishes_to_the_topic_with_irsa(aws):
    topic = aws.one("aws:sns/topic:Topic", "astro-aws-alerts")
    topic_arn = f"arn:aws:sns:us-east-1:{MOCK_AWS_ACCOUNT}:astro-aws-alerts"
    alertmanager = platform_values(aws)["alertmanager"]
    role_arn = f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/astro-aws-alerts-alertmanager"
    assert alertmanager["serviceAccount"] == {
        "create": True,
        "name": "astronomer-alertmanager",
        "annotations": {"eks.amazonaws.com/role-arn": role_arn},
    }
    assert alertmanager["customRoutes"] == [{"receiver": DR_RECEIVER, "match": {DR_LABEL: "backup"}}]
    # No key anywhere: SigV4 signs with the pod's web identity (IRSA).
    assert alertmanager["customReceiver"] == [
        {
            "name": DR_RECEIVER,
            "sns_configs": [{"topic_arn": topic_arn, "sigv4": {"region": "us-east-1"}, "send_resolved": True}],
        }
    ]
    assert topic.input("name") == "astro-aws-alerts"
    role = aws.one("aws:iam/role:Role", "astro-aws-alerts-alertmanager")
    trust = json.loads(role.input("assumeRolePolicy"))
    [statement] = trust["Statement"]
    subject = next(v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub"))
    assert subject == "system:serviceaccount:astronomer:astronomer-alertmanager"
    policy = json.loads(aws.one("aws:iam/rolePolicy:RolePolicy", "astro-aws-alerts-alertmanager").input("policy"))
    assert [(s["Action"], s["Resource"]) for s in policy["Statement"]] == [("sns:Publish", topic_arn)]


@pytest.mark.parametrize(("stack", "instance"), [("aws", "astro-aws-db"), ("aws-standby", "astro-aws-standby-db")])
def test_aws_rds_events_reach_every_address(stack, instance):
    """Event ids: Amazon RDS User Guide, "Amazon RDS event categories and event messages", DB instance
    events (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html):
    RDS-EVENT-0028 automated backups disabled, RDS-EVENT-0045 replication stopped, ..."""
    evaluation = committed_stack(stack)
    name = f"astro-{stack}-alerts"
    [subscription] = evaluation.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.input("protocol"), subscription.input("endpoint")) == ("email", EMAIL)
    rule = evaluation.one("aws:cloudwatch/eventRule:EventRule", f"{name}-rds")
    pattern = json.loads(rule.input("eventPattern"))
    assert pattern["source"] == ["aws.rds"] and pattern["detail-type"] == ["RDS DB Instance Event"]
    identifier = evaluation.outputs["database_instance"]
    assert identifier.startswith(instance) and pattern["detail"]["SourceIdentifier"] == [identifier]
    assert {"RDS-EVENT-0028", "RDS-EVENT-0031", "RDS-EVENT-0045", "RDS-EVENT-0086"} <= set(pattern["detail"]["EventID"])
    region = "us-west-2" if "standby" in stack else "us-east-1"
    target = evaluation.one("aws:cloudwatch/eventTarget:EventTarget", f"{name}-rds")
    assert target.input("arn") == f"arn:aws:sns:{region}:{MOCK_AWS_ACCOUNT}:{name}"
    assert target.input("rule") == f"{name}-rds"
    policy = json.loads(evaluation.one("aws:sns/topicPolicy:TopicPolicy", name).input("policy"))
    events = next(s for s in policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"})
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        f"arn:aws:events:{region}:{MOCK_AWS_ACCOUNT}:rule/{name}-rds"
    ]


def test_aws_standby_alarms_on_replica_lag_above_the_rpo():
    """`ReplicaLag`, AWS/RDS, seconds, per DBInstanceIdentifier (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html)."""
    standby = committed_stack("aws-standby")
    alarm = standby.one("aws:cloudwatch/metricAlarm:MetricAlarm", "astro-aws-standby-alerts-replica-lag")
    assert (alarm.input("namespace"), alarm.input("metricName")) == ("AWS/RDS", "ReplicaLag")
    assert alarm.input("dimensions") == {"DBInstanceIdentifier": standby.outputs["database_instance"]}
    assert alarm.input("threshold") == REPLICA_LAG_RPO_SECONDS and alarm.input("treatMissingData") == "breaching"
    assert alarm.input("alarmActions") == [f"arn:aws:sns:us-west-2:{MOCK_AWS_ACCOUNT}:astro-aws-standby-alerts"]
    # An unpromoted standby runs no platform: nothing for an Alertmanager role to do.
    assert not [r for r in standby.resources if "alertmanager" in r.name]


def test_gcp_cloud_sql_backup_policy_and_email_channel(gcp):
    """The System Event audit log of each automated backup window
    (https://cloud.google.com/sql/docs/postgres/backup-recovery/view-audit-logs-for-automated-backups)."""
    channel = gcp.one("gcp:monitoring/notificationChannel:NotificationChannel", "astro-gcp-alerts-email-0")
    assert channel.input("type") == "email" and channel.input("labels") == {"email_address": EMAIL}
    policy = gcp.one("gcp:monitoring/alertPolicy:AlertPolicy", "astro-gcp-alerts-sql-backup-0")
    [condition] = policy.input("conditions")
    instance = gcp.outputs["database_instance"]
    assert condition["conditionMatchedLog"]["filter"] == backup_log_filter("acme-astronomer-prod", instance)
    assert f'protoPayload.methodName="{BACKUP_LOG_METHOD}"' in condition["conditionMatchedLog"]["filter"]
    # The channel's id (the mocks answer "<name>-id" for a resource whose id no output gives).
    assert policy.input("notificationChannels") == ["astro-gcp-alerts-email-0-id"]
    assert policy.input("alertStrategy.notificationRateLimit.period") == "3600s"


def test_gcp_velero_rules_run_in_cloud_monitoring_on_managed_prometheus(gcp):
    monitoring = gcp.one("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")
    assert monitoring.input("metadata.namespace") == "velero"
    assert monitoring.input("spec.selector.matchLabels") == {"name": "velero"}
    cluster = gcp.one("gcp:container/cluster:Cluster")
    assert cluster.input("monitoringConfig.managedPrometheus.enabled") is True
    # Each query reads this stack's cluster only (the `cluster` label Managed Service for Prometheus adds).
    cluster = gcp.outputs["cluster_name"]
    for rule in backup_rules("0 * * * *", DEPLOYMENTS, cluster):
        policy = gcp.one("gcp:monitoring/alertPolicy:AlertPolicy", f"astro-gcp-alerts-velero-{rule.alert}")
        [condition] = policy.input("conditions")
        promql = condition["conditionPrometheusQueryLanguage"]
        assert promql["query"] == rule.expr and promql["duration"] == seconds(rule.for_)
        assert f'cluster="{cluster}"' in promql["query"]
    # GCP delivers through Cloud Monitoring: no Alertmanager receiver, so no secret in the values.
    assert "alertmanager" not in platform_values(gcp)


def test_gcp_standby_watches_its_replica_lag():
    """`cloudsql.googleapis.com/database/replication/replica_lag` (https://cloud.google.com/sql/docs/postgres/replication/replication-lag)."""
    standby = committed_stack("gcp-standby")
    policy = standby.one("gcp:monitoring/alertPolicy:AlertPolicy", "astro-gcp-standby-alerts-replica-lag")
    [condition] = policy.input("conditions")
    threshold = condition["conditionThreshold"]
    assert f'metric.type="{REPLICA_LAG_METRIC}"' in threshold["filter"]
    assert standby.outputs["database_instance"] in threshold["filter"]
    assert threshold["thresholdValue"] == REPLICA_LAG_RPO_SECONDS and threshold["comparison"] == "COMPARISON_GT"
    # A replica has no backups of its own; Velero before promotion (pre-staged) runs no Schedule, so
    # no rule on its backups: only its read-only location is watched (tests/test_standby_prestage.py).
    policies = standby.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
    assert not [r for r in policies if "sql-backup" in r.name]
    assert [r.name for r in policies if "velero-" in r.name] == [
        "astro-gcp-standby-alerts-velero-VeleroSourceLocationUnavailable"
    ]
    assert not standby.of_type("kubernetes:velero.io/v1:Schedule")


# ---- the plan shows it -------------------------------------------------------------------------


def watched(evaluation) -> dict[str, dict[str, str]]:
    from tools.plan.summary import dr_summary

    return {r["property"]: r for r in dr_summary(evaluation) if r["property"].startswith("Watched: ")}


@pytest.mark.parametrize(
    ("stack", "rows"),
    [
        ("gcp", {"deployments' backups (Velero)", "database backups"}),
        # The shipped aws replicates its registry into aws-standby's region: watched too.
        ("aws", {"deployments' backups (Velero)", "database backups", "registry replica"}),
        ("gcp-standby", {"standby replica"}),
        ("aws-standby", {"standby replica"}),
    ],
)
def test_the_plan_shows_what_watches_each_backup_and_replica_and_where_it_goes(stack, rows):
    found = watched(committed_stack(stack))
    assert set(found) == {f"Watched: {r}" for r in rows}
    for row in found.values():
        assert f"to `{EMAIL}`" in row["value"] and "⚠️" not in row["value"], row


@pytest.mark.parametrize("stack", ["gcp", "aws", "aws-standby"])
def test_the_plan_warns_where_nothing_watches(stack):
    """What the stack registers without `astronomer-dr:alerts`: the same, less the alert resources."""
    import dataclasses

    evaluation = committed_stack(stack)
    kinds = ("alerts", "monitoring", "sns", "cloudwatch", "PodMonitoring")

    def without_receiver(r):  # the values alerting_values adds exist only with the key (a copy: the cache is shared)
        if r.type != RELEASE:
            return r
        return dataclasses.replace(r, inputs={**r.inputs, "values": {**r.input("values"), "alertmanager": {}}})

    unwatched = dataclasses.replace(
        evaluation,
        resources=[
            without_receiver(r)
            for r in evaluation.resources
            if not any(k in r.type for k in kinds) and "alerts" not in r.name
        ],
    )
    found = watched(unwatched)
    assert found and all("nothing watches it" in r["value"] and "⚠️" in r["value"] for r in found.values())


def test_the_rules_render_as_the_platform_group_of_the_alerts_configmap():
    """How the chart places them (astronomer/astronomer v2.1.0, charts/prometheus/templates/
    prometheus-alerts-configmap.yaml:89-95): under `- name: platform` / `rules:`, through
    `tpl ... | nindent 8`, i.e. each line indented to the level of `rules:`."""
    import textwrap

    text = alerting_values("0 * * * *", DEPLOYMENTS, None)["prometheus"]["additionalAlerts"]["platform"]
    rendered = "groups:\n  - name: platform\n    rules:\n" + textwrap.indent(text, " " * 4)
    [group] = yaml.safe_load(rendered)["groups"]
    assert [r["alert"] for r in group["rules"]] == [r.alert for r in backup_rules("0 * * * *", DEPLOYMENTS)]
    assert group["rules"][0]["expr"] == velero_rules("0 * * * *")[0].expr  # one line, unfolded
    assert all(len(line) < 400 for line in text.splitlines())


def test_the_cloud_sql_backup_filter_matches_failed_and_overdue_windows_only():
    """Statuses of a backup run (Cloud SQL Admin API v1, SqlBackupRunStatus): FAILED, OVERDUE alert;
    SUCCESSFUL and SKIPPED (an idle instance) do not; an entry without a window status is no verdict."""
    text = backup_log_filter("acme", "db")
    assert 'resource.labels.database_id="acme:db"' in text
    assert "protoPayload.metadata.windowStatus:*" in text
    assert 'NOT protoPayload.metadata.windowStatus=~"SUCCESSFUL|SKIPPED"' in text
    ok = re.search(r'windowStatus=~"([^"]+)"', text)
    assert ok is not None
    for status, alerts in (("FAILED", True), ("OVERDUE", True), ("SUCCESSFUL", False), ("SKIPPED", False)):
        assert (re.search(ok.group(1), f"STATUS_{status}") is None) is alerts, status


# ---- deployment namespaces no backup holds (issue 23, item 6) ---------------------------------

KUBE_STATE_FACTS = Path(__file__).parent / "kube_state" / "namespace-metrics-v2.19.1.txt"


def kube_state_metrics() -> dict[str, set[str]]:
    rows = [line.split() for line in KUBE_STATE_FACTS.read_text().splitlines() if line and not line.startswith("#")]
    return {name: set(labels.split(",")) for name, _kind, _stability, labels in rows}


def test_every_metric_a_namespace_rule_reads_is_one_its_exporter_exports():
    """kube-state-metrics v2.19.1 (tests/kube_state/, from docs/metrics/cluster/namespace-metrics.md
    and internal/store/namespace.go at commit 45e1513e): `kube_namespace_created{namespace}` and
    `kube_namespace_labels{namespace, label_<key>}`, both STABLE; Velero's from its own list.
    A label becomes `label_` + the key with every character outside [a-zA-Z0-9_] an underscore,
    snake-cased (internal/store/utils.go labelName, SanitizeLabelName, lintLabelName)."""
    from components.platform.alerts import kube_state_label, namespace_rules

    exported, velero = kube_state_metrics(), velero_metrics()
    assert kube_state_label("astronomer-dr/platform") == "label_astronomer_dr_platform"
    assert kube_state_label("platform-release") == "label_platform_release"
    assert kube_state_label("app.kubernetes.io/partOf") == "label_app_kubernetes_io_part_of"
    for rule in namespace_rules("0 * * * *", Deployments("astronomer", "astronomer", ("pool-a",)), "astro-gcp"):
        read = set(re.findall(r"\b(?:velero|kube)_[a-z_]+\b(?=\{)", rule.expr))
        assert read == set(rule.metrics), rule.alert
        for name in read:
            assert name in velero or name in exported, (rule.alert, name)
        for name, labels in re.findall(r"\b(kube_[a-z_]+)\{([^}]*)\}", rule.expr):
            keys = {m.split("=")[0].rstrip("!~") for m in re.findall(r'([a-z_]+!?=~?)"', labels)}
            allowed = {"cluster"} | {k for k in exported[name] if k != "label_<key>"}
            label_keys = {k for k in keys if k.startswith("label_")}
            assert keys - label_keys <= allowed, (rule.alert, keys)
            assert not label_keys or "label_<key>" in exported[name], (rule.alert, label_keys)


@pytest.mark.parametrize("pools", [(), ("pool-b", "pool-a")])
def test_the_namespaces_watched_are_exactly_those_the_schedule_backs_up(pools):
    """The rule's regex is the Schedule's own list (velero_chart.deployment_namespaces: `<ns>-*` and
    every pool by name), each Velero glob (docs v1.18 namespace-glob-patterns.md: `*` any run of
    characters) an anchored PromQL regex: every name matches one exactly when the Schedule's globs match it."""
    from fnmatch import fnmatchcase

    from components.platform.alerts import namespace_regex, namespace_rules
    from components.platform.velero_chart import deployment_namespaces

    globs = deployment_namespaces("astronomer", pools)
    regex = namespace_regex(globs)
    names = ["astronomer", "astronomer-a1b2", "astronomer-x-y", "pool-a", "pool-b", "pool-c", "velero", "xastronomer-a"]
    for name in names:
        assert bool(re.fullmatch(regex, name)) == any(fnmatchcase(name, g) for g in globs), name
    [never, outside, _blind] = namespace_rules("0 * * * *", Deployments("astronomer", "astronomer", pools))
    assert f'kube_namespace_created{{namespace=~"{regex}"}}' in never.expr
    assert f'namespace!~"{regex}|astronomer|velero"' in outside.expr
    with pytest.raises(ValueError, match="not a namespace name"):
        namespace_regex(['a"b'])


@pytest.mark.parametrize(
    ("schedule", "threshold"), [("0 * * * *", 7200), ("@daily", 172800), ("0 0,12 * * 1-5", 432000)]
)
def test_a_namespace_is_reported_after_twice_the_schedule_s_longest_gap(schedule, threshold):
    """The first run after a namespace's creation starts within the longest gap (components/cron.py,
    as Velero's robfig/cron reads the schedule) and completes within the next; only a namespace
    created after the newest completed backup (`velero_backup_last_successful_timestamp`: the
    completion time of the newest Completed backup of the schedule, velero v1.18.1
    pkg/controller/backup_controller.go:214-218, 229-248) counts."""
    from components import cron
    from components.platform.alerts import namespace_rules

    gap = cron.longest_gap(cron.parse(schedule))
    assert gap is not None and threshold == 2 * gap.total_seconds()
    [never, _outside, _blind] = namespace_rules(schedule, DEPLOYMENTS)
    assert never.expr.endswith(f"> {threshold})")
    assert (
        f'> on() group_left() max(velero_backup_last_successful_timestamp{{schedule="{SCHEDULE_NAME}"}})' in never.expr
    )
    assert longest_gap_seconds(schedule) * 2 == threshold


def test_labelled_deployment_namespaces_outside_the_schedule_are_reported():
    """Houston labels each deployment namespace `platform-release: <release>` (astronomer/astronomer
    v2.1.0 charts/astronomer/templates/houston/houston-configmap.yaml:102-104); the program asks for
    `astronomer-dr/platform: <namespace>` on them (global.namespaceLabels). A free-form or pool
    namespace carrying either and not in the Schedule is in no backup."""
    from components.platform.alerts import namespace_rules

    [_never, outside, blind] = namespace_rules("0 * * * *", Deployments("astronomer", "platform-rel"))
    assert 'kube_namespace_labels{label_platform_release="platform-rel",' in outside.expr
    assert 'kube_namespace_labels{label_astronomer_dr_platform="astronomer",' in outside.expr
    assert outside.for_ == "0s"
    # Without kube-state-metrics' namespace series both rules are blind: that is reported too.
    assert blind.expr == 'absent(kube_namespace_created{namespace="astronomer"})' and blind.for_ == "15m"


@pytest.mark.parametrize("stack", ["gcp", "aws"])
def test_the_platform_s_prometheus_carries_the_namespace_rules(stack):
    """AWS evaluates them in the platform's Prometheus, which scrapes the chart's kube-state-metrics
    (chart v2.1.0 charts/prometheus/templates/prometheus-config-configmap.yaml:171-237, job
    `kube-state`, the metrics' `namespace` kept: only the target's is dropped) and Velero; its
    Alertmanager routes them to SNS by the DR label. GCP's copy shows in the Astronomer UI."""
    rules = {
        r["alert"]: r
        for r in yaml.safe_load(platform_values(committed_stack(stack))["prometheus"]["additionalAlerts"]["platform"])
    }
    for rule in backup_rules("0 * * * *", DEPLOYMENTS):
        assert rules[rule.alert]["expr"] == rule.expr
        assert rules[rule.alert]["labels"][DR_LABEL] == "backup"
    chart_config = Path(__file__).parent / "chart" / "astronomer-2.1.0" / "values.yaml"
    assert "extraObjects: []" in chart_config.read_text()


def test_gcp_managed_collection_scrapes_the_chart_s_kube_state_metrics(gcp):
    """A ClusterPodMonitoring as Google's example for kube-state-metrics
    (GoogleCloudPlatform/prometheus-engine examples/kube-state-metrics/kube-state-metrics.yaml:305-327):
    `targetLabels.metadata: []` keeps the metrics' own `namespace` (pod_config.go:254-270); the
    chart's pods (`component: kube-state`, `release`; port `scrape`, 8080: charts/kube-state/templates/
    kube-state-deployment.yaml:26-33, 71-72). The chart's NetworkPolicy admits only its Prometheus
    (kube-state-networkpolicy.yaml) and GKE enforces policies (components/gcp/network_policy.py): a
    second one, one of the release's objects (astronomer.extraObjects, templates/extra-objects.yaml),
    admits the managed collectors' namespace. Only the namespace metrics are ingested."""
    from components.gcp.alerts import MANAGED_COLLECTOR_NAMESPACES

    monitoring = gcp.one("kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring")
    assert monitoring.input("spec.selector.matchLabels") == {"component": "kube-state", "release": "astronomer"}
    [endpoint] = monitoring.input("spec.endpoints")
    assert endpoint["port"] == "scrape"
    assert endpoint["metricRelabeling"] == [
        {"action": "keep", "sourceLabels": ["__name__"], "regex": "kube_namespace_created|kube_namespace_labels"}
    ]
    assert monitoring.input("spec.targetLabels") == {"metadata": []}
    assert "gke-gmp-system" in MANAGED_COLLECTOR_NAMESPACES
    [policy] = platform_values(gcp)["astronomer"]["extraObjects"]
    assert policy["kind"] == "NetworkPolicy" and "namespace" not in policy["metadata"]  # the release's namespace
    assert policy["spec"]["podSelector"] == {"matchLabels": {"component": "kube-state", "release": "astronomer"}}
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    [peer] = rule["from"]
    assert peer == {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(MANAGED_COLLECTOR_NAMESPACES)}
            ]
        }
    }
    cluster = gcp.outputs["cluster_name"]
    for rule in backup_rules("0 * * * *", DEPLOYMENTS, cluster):
        [condition] = gcp.one("gcp:monitoring/alertPolicy:AlertPolicy", f"astro-gcp-alerts-velero-{rule.alert}").input(
            "conditions"
        )
        assert condition["conditionPrometheusQueryLanguage"]["query"] == rule.expr


def test_aws_adds_no_network_policy_its_own_prometheus_scrapes_kube_state(aws):
    assert "extraObjects" not in platform_values(aws).get("astronomer", {})
    assert not aws.of_type("kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring")


def test_gcp_namespace_pools_are_watched_as_they_are_backed_up():
    from tests.test_velero_scope import POOLS, pooled

    evaluation = pooled()
    cluster = evaluation.outputs["cluster_name"]
    [never, outside, _blind] = [
        evaluation.one("gcp:monitoring/alertPolicy:AlertPolicy", f"astro-gcp-alerts-velero-{name}").input("conditions")[
            0
        ]
        for name in (
            "DeploymentNamespaceNeverBackedUp",
            "DeploymentNamespaceNotInSchedule",
            "DeploymentNamespacesUnwatched",
        )
    ]
    expected = backup_rules("0 * * * *", Deployments("astronomer", "astronomer", tuple(POOLS)), cluster)
    assert never["conditionPrometheusQueryLanguage"]["query"] == next(
        r.expr for r in expected if r.alert == "DeploymentNamespaceNeverBackedUp"
    )
    assert 'namespace=~"astronomer-.*|pool-a|pool-b"' in never["conditionPrometheusQueryLanguage"]["query"]
    assert (
        'namespace!~"astronomer-.*|pool-a|pool-b|astronomer|velero"'
        in outside["conditionPrometheusQueryLanguage"]["query"]
    )


def test_the_monitoring_guide_names_every_rule():
    doc = (Path(__file__).parent.parent / "docs" / "MONITORING.md").read_text()
    for rule in backup_rules("0 * * * *", DEPLOYMENTS):
        assert f"`{rule.alert}`" in doc, rule.alert
    assert "ClusterPodMonitoring" in doc and "gke-gmp-system" in doc


def test_aws_namespace_pools_are_watched_as_they_are_backed_up():
    """The AWS platform's Prometheus takes the same rule list, pools included; the Schedule's list is the source."""
    from tests.test_restore import committed, evaluated
    from tests.test_velero_scope import POOLS

    evaluation = evaluated("aws", platform={**committed("aws", "platform"), "deploymentNamespaces": POOLS})
    schedule = evaluation.one("kubernetes:velero.io/v1:Schedule")
    assert schedule.input("spec.template.includedNamespaces") == ["astronomer-*", "pool-a", "pool-b"]
    rules = {
        r["alert"]: r for r in yaml.safe_load(platform_values(evaluation)["prometheus"]["additionalAlerts"]["platform"])
    }
    expected = backup_rules("0 * * * *", Deployments("astronomer", "astronomer", tuple(POOLS)))
    assert {r.alert: r.expr for r in expected} == {name: rule["expr"] for name, rule in rules.items()}
    assert 'namespace=~"astronomer-.*|pool-a|pool-b"' in rules["DeploymentNamespaceNeverBackedUp"]["expr"]
