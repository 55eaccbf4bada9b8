"""Health, readiness and metrics for load balancers and Prometheus."""
