//! What we know about the calling client, for the audit trail.

/// The caller's network address, user agent, and the SSH origin the TUI
/// reports (informational: the client says so, the broker cannot check it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub addr: Option<String>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
}

/// Header the TUI fills from `SSH_CLIENT`.
pub const ORIGIN_HEADER: &str = "x-drawbridge-origin";

/// Keeps client-supplied text printable and short before it is stored.
pub fn sanitize_header(value: &str, max: usize) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_length_are_dropped() {
        assert_eq!(sanitize_header("ab\ncd\u{1b}[31m", 100), "abcd[31m");
        assert_eq!(sanitize_header(&"x".repeat(500), 10).len(), 10);
    }
}
