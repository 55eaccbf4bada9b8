"""Prometheus metrics, one registry per app so tests and replicas never share counters.

No label ever carries caller data: routes are templates, outcomes are a closed set.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "hotline_webhooks_total",
            "Provider webhooks by route and outcome",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "hotline_webhook_seconds",
            "Time to answer a provider webhook",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.jobs = Counter(
            "hotline_pipeline_jobs_total", "Pipeline jobs by outcome", ["outcome"], registry=self.registry
        )
        self.queue_lag = Gauge(
            "hotline_queue_lag", "Queue entries not yet acknowledged", registry=self.registry
        )
        self.spool_depth = Gauge(
            "hotline_spool_depth", "Reports waiting in the spool for the database", registry=self.registry
        )
        self.spool_free_bytes = Gauge(
            "hotline_spool_free_bytes", "Free space on the spool directory's disk", registry=self.registry
        )
        self.outbox_pending = Gauge(
            "hotline_outbox_pending", "Outbox entries not yet processed", registry=self.registry
        )
        self.republished = Counter(
            "hotline_outbox_republished_total",
            "Outbox entries published again by the sweeper",
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "hotline_sign_ins_total",
            "Sign-in attempts by door (console, api) and outcome",
            ["door", "outcome"],
            registry=self.registry,
        )
        self.spool_replayed = Counter(
            "hotline_spool_replayed_total", "Spooled reports written to the database", registry=self.registry
        )
