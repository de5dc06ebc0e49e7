//! The broker's command line, run as a user would run it.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_drawbridge-broker");

fn gate_check(sql: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut child = Command::new(BIN)
        .args(["gate", "check"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn gate_check_reads_stdin_and_exits_by_verdict() {
    let (code, verdict) = gate_check("SELECT id FROM orders WHERE note = 'a;b'", &[]);
    assert_eq!((code, verdict["allowed"].as_bool()), (0, Some(true)));
    let (code, verdict) = gate_check("SELECT `sleep`(1)", &[]);
    assert_eq!((code, verdict["code"].as_str()), (1, Some("function")));
    assert!(verdict["reason"].as_str().unwrap().contains("SLEEP"));
    let (code, _) = gate_check("EXPLAIN SELECT 1", &[]);
    assert_eq!(code, 1, "EXPLAIN is off by default");
    let (code, _) = gate_check("EXPLAIN SELECT 1", &["--allow-explain"]);
    assert_eq!(code, 0);
}
