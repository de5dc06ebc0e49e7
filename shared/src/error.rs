//! Stable, machine-readable error codes and the JSON error body.
//!
//! Every error the broker answers is `{"error": {"code": "...", "message": "..."}}`.
//! Codes are a contract: add new ones, never rename.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400
    BadRequest,
    InvalidJson,
    InvalidArgument,
    // 401
    Unauthenticated,
    InvalidCredentials,
    SessionExpired,
    // 403
    Forbidden,
    /// Nobody may approve or deny their own request, whatever their roles.
    SelfApproval,
    // 404
    NotFound,
    UnknownDatabase,
    /// A secret is deactivated or past its expiry: it is not served.
    SecretUnavailable,
    // 405
    MethodNotAllowed,
    // 408
    RequestTimeout,
    // 409
    Conflict,
    /// A pending request or an active grant for that database exists already.
    DuplicateRequest,
    /// The request was already decided, cancelled or has expired.
    RequestNotPending,
    GrantExpired,
    GrantRevoked,
    /// The query was cancelled on the server (by its owner).
    QueryCancelled,
    /// The statement ran past the statement time limit and was stopped.
    QueryTimeout,
    // 413
    PayloadTooLarge,
    // 415
    UnsupportedMediaType,
    /// The SQL gate refused the statement (see `gate_code`).
    GateDenied,
    /// The database refused or failed the statement.
    QueryFailed,
    // 429
    TooManyAttempts,
    // 500
    Internal,
    // 503
    StoreUnavailable,
    VaultUnavailable,
    DatabaseUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 29] = {
        use ErrorCode::*;
        [
            BadRequest,
            InvalidJson,
            InvalidArgument,
            Unauthenticated,
            InvalidCredentials,
            SessionExpired,
            Forbidden,
            SelfApproval,
            NotFound,
            UnknownDatabase,
            SecretUnavailable,
            MethodNotAllowed,
            RequestTimeout,
            Conflict,
            DuplicateRequest,
            RequestNotPending,
            GrantExpired,
            GrantRevoked,
            QueryCancelled,
            QueryTimeout,
            GateDenied,
            QueryFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            TooManyAttempts,
            Internal,
            StoreUnavailable,
            VaultUnavailable,
            DatabaseUnavailable,
        ]
    };

    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest | InvalidJson | InvalidArgument => 400,
            Unauthenticated | InvalidCredentials | SessionExpired => 401,
            Forbidden | SelfApproval => 403,
            NotFound | UnknownDatabase => 404,
            SecretUnavailable => 409,
            MethodNotAllowed => 405,
            RequestTimeout => 408,
            Conflict | DuplicateRequest | RequestNotPending | GrantExpired | GrantRevoked
            | QueryCancelled => 409,
            QueryTimeout => 408,
            GateDenied | QueryFailed => 422,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            TooManyAttempts => 429,
            Internal => 500,
            StoreUnavailable | VaultUnavailable | DatabaseUnavailable => 503,
        }
    }

    /// The code as it appears on the wire (the unit test keeps it equal to serde's).
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "bad_request",
            InvalidJson => "invalid_json",
            InvalidArgument => "invalid_argument",
            Unauthenticated => "unauthenticated",
            InvalidCredentials => "invalid_credentials",
            SessionExpired => "session_expired",
            Forbidden => "forbidden",
            SelfApproval => "self_approval",
            NotFound => "not_found",
            UnknownDatabase => "unknown_database",
            SecretUnavailable => "secret_unavailable",
            MethodNotAllowed => "method_not_allowed",
            RequestTimeout => "request_timeout",
            Conflict => "conflict",
            DuplicateRequest => "duplicate_request",
            RequestNotPending => "request_not_pending",
            GrantExpired => "grant_expired",
            GrantRevoked => "grant_revoked",
            QueryCancelled => "query_cancelled",
            QueryTimeout => "query_timeout",
            GateDenied => "gate_denied",
            QueryFailed => "query_failed",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            TooManyAttempts => "too_many_attempts",
            Internal => "internal",
            StoreUnavailable => "store_unavailable",
            VaultUnavailable => "vault_unavailable",
            DatabaseUnavailable => "database_unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `gate_denied`: which rule of the gate refused the statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_code: Option<crate::gate::DenyCode>,
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub error: ErrorBody,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code,
                message: message.into(),
                gate_code: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.to_string(), "{code:?}");
            let back: ErrorCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn error_body_shape() {
        let body =
            serde_json::to_value(ApiError::new(ErrorCode::NotFound, "no such grant")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "no such grant"}})
        );
    }
}
