"""AWS: every DR alert to one SNS topic, and the topic to the configured email addresses.

- The deployments' backups: the platform's Alertmanager publishes Velero's alerts to the topic
  (components/platform/alerts.py), signed with an IRSA role allowed `sns:Publish` on it only.
- The database: an EventBridge rule forwards the RDS events that mean its backups are at risk or a
  replica stopped (`RDS_EVENTS`); on a standby, a CloudWatch alarm on the replica's `ReplicaLag`.
- The registry's replica: CloudWatch alarms on the replication rule's failed operations and latency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import cloudwatch, iam, sns
from pulumi_aws.get_caller_identity import get_caller_identity_output

from ..config import REPLICA_LAG_RPO_SECONDS, AlertSettings
from ..platform.alerts import SnsReceiver, alertmanager_service_account
from .iam import service_account_role
from .kms import TAGS

# RDS events of a DB instance that mean its backups or its replication are at risk
# (Amazon RDS User Guide, "Amazon RDS event categories and event messages",
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html, DB instance events).
# RDS emits no event for a backup that silently did not run; these are what stops one.
RDS_EVENTS: dict[str, str] = {
    "RDS-EVENT-0086": "backup: the option group could not be associated (the backup category's one failure)",
    "RDS-EVENT-0028": "configuration change: automated backups disabled",
    "RDS-EVENT-0031": "failure: the instance is in a failed state (RDS recommends a point-in-time restore)",
    "RDS-EVENT-0418": "failure: RDS cannot reach the instance's KMS key",
    "RDS-EVENT-0419": "availability: the KMS key is unreachable and the database becomes inaccessible",
    "RDS-EVENT-0221": "availability: storage full, the database is shut down",
    "RDS-EVENT-0007": "low storage: allocated storage exhausted",
    "RDS-EVENT-0045": "read replica: replication has stopped",
    "RDS-EVENT-0057": "read replica: replication streaming has been terminated",
    "RDS-EVENT-0062": "read replica: replication manually stopped",
    "RDS-EVENT-0202": "read replica: creation failed",
}
# EventBridge's detail-type of RDS instance events (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html).
RDS_SOURCE = "aws.rds"
RDS_INSTANCE_EVENT = "RDS DB Instance Event"
# CloudWatch metrics: RDS `ReplicaLag` (seconds, per DBInstanceIdentifier,
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html) and S3 replication's
# `OperationsFailedReplication` / `ReplicationLatency` (per SourceBucket, DestinationBucket, RuleId,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html).
REPLICA_LAG_METRIC = ("AWS/RDS", "ReplicaLag")
REPLICATION_FAILED_METRIC = ("AWS/S3", "OperationsFailedReplication")
REPLICATION_LATENCY_METRIC = ("AWS/S3", "ReplicationLatency")
# An image pushed is replicated in minutes; an hour behind means replication is stuck.
REPLICATION_LATENCY_SECONDS = 3600


def rds_event_pattern(instance_ids: Sequence[str]) -> str:
    return json.dumps(
        {
            "source": [RDS_SOURCE],
            "detail-type": [RDS_INSTANCE_EVENT],
            "detail": {"EventID": sorted(RDS_EVENTS), "SourceIdentifier": list(instance_ids)},
        },
        sort_keys=True,
    )


def topic_policy(topic_arn: str, account_id: str, rule_arns: Sequence[str]) -> str:
    """EventBridge may publish for this stack's rules only; CloudWatch alarms of this account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeRules",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
                },
                {
                    "Sid": "CloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class AlertmanagerIdentity:
    """Where the platform's Alertmanager runs: its IRSA role is trusted by this cluster only."""

    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    namespace: str
    release_name: str


@dataclass
class RegistryReplication:
    source_bucket: pulumi.Input[str]
    replica_bucket: pulumi.Input[str]
    rule_id: str


@dataclass
class AwsAlertsArgs:
    settings: AlertSettings
    region: str
    # The instances whose RDS events are forwarded (the primary's, or the standby's replica).
    database_instances: Sequence[pulumi.Input[str]]
    # A standby's cross-region replica: its ReplicaLag alarm (None on a primary or once promoted).
    replica_instance: pulumi.Input[str] | None = None
    registry_replication: RegistryReplication | None = None
    # The platform's Alertmanager (None where no platform runs yet: an unpromoted standby).
    alertmanager: AlertmanagerIdentity | None = None
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class AwsAlerts(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    # The receiver Alertmanager delivers Velero's alerts to (None without an Alertmanager).
    receiver: pulumi.Output[SnsReceiver] | None
    # What is watched, for the plan and the outputs: names of the alerts declared.
    watched: list[str]

    def __init__(self, name: str, args: AwsAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer-dr:aws/alerts:AwsAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        # Not encrypted with a KMS key: alerts hold no data, and EventBridge and CloudWatch publish
        # to an encrypted topic only when the key's policy lets them; SNS encrypts at rest anyway.
        topic = sns.Topic(name, name=name, tags=TAGS, opts=child)
        self.topic_arn = topic.arn
        self.watched = []
        for index, address in enumerate(args.settings.emails):
            sns.TopicSubscription(
                f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=address, opts=child
            )

        rule = cloudwatch.EventRule(
            f"{name}-rds",
            name=f"{name}-rds",
            description="RDS events that put the database's backups or replication at risk",
            event_pattern=pulumi.Output.all(*args.database_instances).apply(lambda ids: rds_event_pattern(ids)),
            tags=TAGS,
            opts=child,
        )
        cloudwatch.EventTarget(f"{name}-rds", rule=rule.name, arn=topic.arn, opts=child)
        self.watched.append("rds-events")
        account = get_caller_identity_output(opts=invoke).account_id
        sns.TopicPolicy(
            name,
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account, rule.arn).apply(lambda v: topic_policy(v[0], v[1], [v[2]])),
            opts=child,
        )

        def alarm(
            suffix: str,
            description: str,
            metric: tuple[str, str],
            dimensions: dict[str, pulumi.Input[str]],
            statistic: str,
            period: int,
            periods: int,
            threshold: float,
            missing: str,
        ) -> None:
            cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                name=f"{name}-{suffix}",
                alarm_description=description,
                namespace=metric[0],
                metric_name=metric[1],
                dimensions=dimensions,
                statistic=statistic,
                period=period,
                evaluation_periods=periods,
                threshold=threshold,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data=missing,
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags=TAGS,
                opts=child,
            )

        if args.replica_instance is not None:
            alarm(
                "replica-lag",
                f"The standby's replica is more than {REPLICA_LAG_RPO_SECONDS} s behind its primary (the RPO of a failover)",
                REPLICA_LAG_METRIC,
                {"DBInstanceIdentifier": args.replica_instance},
                "Maximum",
                period=60,
                periods=5,
                threshold=REPLICA_LAG_RPO_SECONDS,
                # No lag reported is a replica that stopped replicating: as bad as a late one.
                missing="breaching",
            )
            self.watched.append("replica-lag")

        if args.registry_replication is not None:
            replication = args.registry_replication
            dimensions: dict[str, pulumi.Input[str]] = {
                "SourceBucket": replication.source_bucket,
                "DestinationBucket": replication.replica_bucket,
                "RuleId": replication.rule_id,
            }
            # S3 reports replication metrics only while there is replication traffic: no data is no failure.
            alarm(
                "registry-replication-failed",
                "Registry images failed to replicate to the standby region",
                REPLICATION_FAILED_METRIC,
                dimensions,
                "Sum",
                period=300,
                periods=1,
                threshold=0,
                missing="notBreaching",
            )
            alarm(
                "registry-replication-latency",
                f"Registry images reach the standby region more than {REPLICATION_LATENCY_SECONDS} s late",
                REPLICATION_LATENCY_METRIC,
                dimensions,
                "Maximum",
                period=300,
                periods=3,
                threshold=REPLICATION_LATENCY_SECONDS,
                missing="notBreaching",
            )
            self.watched.append("registry-replication")

        self.receiver = None
        if args.alertmanager is not None:
            am = args.alertmanager
            role, _ = service_account_role(
                f"{name}-alertmanager",
                role_name=f"{name}-alertmanager",
                description="The platform's Alertmanager (IRSA): publish to the DR alerts topic only",
                oidc_provider_arn=am.oidc_provider_arn,
                oidc_issuer_url=am.oidc_issuer_url,
                namespace=am.namespace,
                service_account=alertmanager_service_account(am.release_name),
                policy_name="dr-alerts-topic",
                statements=topic.arn.apply(
                    lambda arn: [
                        iam.GetPolicyDocumentStatementArgs(
                            sid="PublishDrAlerts", effect="Allow", actions=["sns:Publish"], resources=[arn]
                        )
                    ]
                ),
                opts=child,
                invoke=invoke,
            )
            self.receiver = pulumi.Output.all(topic.arn, role.arn).apply(
                lambda v: SnsReceiver(topic_arn=v[0], region=args.region, role_arn=v[1])
            )
            self.watched.append("velero")
        self.register_outputs({"topic_arn": self.topic_arn, "watched": self.watched})
