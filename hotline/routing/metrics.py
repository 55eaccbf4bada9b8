"""Routing counters, registered on the app's own registry (one set per Metrics instance)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from prometheus_client import Counter

from hotline.core.metrics import Metrics


class RoutingMetrics:
    def __init__(self, metrics: Metrics) -> None:
        registry = metrics.registry
        self.notifications = Counter(
            "hotline_notifications_total",
            "Notification attempts to agents by channel and outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.breaches = Counter(
            "hotline_sla_breaches_total",
            "Cases not acknowledged by their deadline, by severity",
            ["severity"],
            registry=registry,
        )
        self.acknowledgements = Counter(
            "hotline_acknowledgements_total",
            "Acknowledgements by channel and outcome",
            ["via", "outcome"],
            registry=registry,
        )
        self.gaps = Counter(
            "hotline_coverage_gaps_total",
            "Escalation steps that found nobody where the policy looked",
            registry=registry,
        )


_BY_METRICS: WeakKeyDictionary[Metrics, RoutingMetrics] = WeakKeyDictionary()


def routing_metrics(metrics: Metrics) -> RoutingMetrics:
    found = _BY_METRICS.get(metrics)
    if found is None:
        found = _BY_METRICS[metrics] = RoutingMetrics(metrics)
    return found
