//! The gate's cost against sqlparser's bare parse of the same statements.
//! `scripts/bench.sh` reads the medians and reports the ratio.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drawbridge_shared::gate::{self, GateOptions};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// What people write on a bastion: lookups, joins, aggregates, CTEs, windows.
pub const CORPUS: &[&str] = &[
    "SELECT id, name, email FROM customers WHERE id = 42",
    "SELECT * FROM orders WHERE status = 'paid' ORDER BY created_at DESC LIMIT 50",
    "SELECT c.name, COUNT(*) AS n, SUM(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name HAVING SUM(o.total) > 1000 ORDER BY spent DESC LIMIT 20",
    "SELECT p.sku, p.name, oi.quantity, oi.unit_price FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id IN (101, 102, 103, 104, 105)",
    "WITH recent AS (SELECT customer_id, MAX(created_at) AS last FROM orders GROUP BY customer_id) SELECT c.id, c.name, r.last FROM customers c LEFT JOIN recent r ON r.customer_id = c.id WHERE r.last IS NULL OR r.last < '2026-01-01'",
    "SELECT id, total, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at) AS nth FROM orders WHERE created_at >= DATE_SUB(NOW(), INTERVAL 30 DAY)",
    "SELECT DATE(created_at) AS day, COUNT(*) AS orders, ROUND(AVG(total), 2) AS avg_total FROM orders GROUP BY DATE(created_at) ORDER BY day",
    "SELECT name FROM customers WHERE LOWER(email) LIKE '%@example.com' AND country IN ('DE', 'FR', 'NL') AND created_at BETWEEN '2025-01-01' AND '2025-12-31'",
    "SELECT o.id, CASE WHEN o.total > 500 THEN 'large' WHEN o.total > 100 THEN 'medium' ELSE 'small' END AS size, COALESCE(o.note, '') AS note FROM orders o WHERE o.id > 1000 LIMIT 100",
    "SELECT c.id, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c WHERE EXISTS (SELECT 1 FROM orders o2 WHERE o2.customer_id = c.id AND o2.status = 'refunded')",
    "SELECT JSON_EXTRACT(attributes, '$.color') AS color, COUNT(*) FROM products GROUP BY color",
    "SELECT a.id, b.id FROM orders a JOIN orders b ON a.customer_id = b.customer_id AND a.id < b.id WHERE a.created_at > '2026-06-01' LIMIT 10",
];

fn bench(c: &mut Criterion) {
    let options = GateOptions::default();
    for sql in CORPUS {
        assert!(
            gate::check(sql, &options).allowed,
            "corpus must pass: {sql}"
        );
    }
    let mut group = c.benchmark_group("gate");
    // Per statement: scripts/bench.sh divides by this.
    group.throughput(Throughput::Elements(CORPUS.len() as u64));
    group.bench_function("check", |b| {
        b.iter(|| {
            for sql in CORPUS {
                black_box(gate::check(black_box(sql), &options));
            }
        })
    });
    group.bench_function("bare_parse", |b| {
        b.iter(|| {
            for sql in CORPUS {
                black_box(Parser::parse_sql(&MySqlDialect {}, black_box(sql)).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
