//! Prometheus metrics: requests by route and status, latency, audit appends,
//! active sessions.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteOnly {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RouteLabels, Counter>,
    pub latency: Family<RouteOnly, Histogram>,
    pub audit_appends: Counter,
    pub active_sessions: Gauge,
    pub active_grants: Gauge,
    pub lease_revocations_pending: Gauge,
    pub lease_revocation_failures: Counter,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("drawbridge");
    let requests = Family::<RouteLabels, Counter>::default();
    let latency = Family::<RouteOnly, Histogram>::new_with_constructor(|| {
        Histogram::new([
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ])
    });
    let audit_appends = Counter::default();
    let active_sessions = Gauge::default();
    registry.register(
        "http_requests",
        "HTTP requests by route and status",
        requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "HTTP request latency",
        latency.clone(),
    );
    registry.register(
        "audit_appends",
        "Audit events committed",
        audit_appends.clone(),
    );
    registry.register(
        "active_sessions",
        "Sessions within their TTL",
        active_sessions.clone(),
    );
    let active_grants = Gauge::default();
    let lease_revocations_pending = Gauge::default();
    let lease_revocation_failures = Counter::default();
    registry.register(
        "active_grants",
        "Grants with live credentials",
        active_grants.clone(),
    );
    registry.register(
        "lease_revocations_pending",
        "Vault leases of ended grants not yet revoked",
        lease_revocations_pending.clone(),
    );
    registry.register(
        "lease_revocation_failures",
        "Failed Vault lease revocations",
        lease_revocation_failures.clone(),
    );
    Metrics {
        registry,
        requests,
        latency,
        audit_appends,
        active_sessions,
        active_grants,
        lease_revocations_pending,
        lease_revocation_failures,
    }
});

pub fn get() -> &'static Metrics {
    &METRICS
}

pub fn audit_appended(n: usize) {
    METRICS.audit_appends.inc_by(n as u64);
}

pub fn render() -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &METRICS.registry)
        .expect("writing to a String");
    out
}
