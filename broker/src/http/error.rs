//! The one error type handlers return, rendered as `{"error": {code, message}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use drawbridge_shared::{ApiError, ErrorCode};

use crate::access::AccessError;
use crate::audit::AuditError;
use crate::auth::LoginError;

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub gate_code: Option<drawbridge_shared::gate::DenyCode>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            gate_code: None,
        }
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "your roles do not allow this")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("no such {what}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = ApiError::new(self.code, self.message);
        body.error.gate_code = self.gate_code;
        (status, axum::Json(body)).into_response()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        // The detail goes to the log; the client learns only that the store failed.
        tracing::error!(error = %e, "store error");
        Self::new(
            ErrorCode::StoreUnavailable,
            "the broker's store is unavailable; nothing was changed",
        )
    }
}

impl From<AuditError> for AppError {
    fn from(e: AuditError) -> Self {
        tracing::error!(error = %e, "audit append failed");
        Self::new(
            ErrorCode::StoreUnavailable,
            "the audit log could not record this request, so it was not carried out",
        )
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => {
                Self::new(ErrorCode::InvalidCredentials, e.to_string())
            }
            LoginError::Locked => Self::new(ErrorCode::TooManyAttempts, e.to_string()),
            LoginError::BadInput(m) => Self::new(ErrorCode::InvalidArgument, m),
            LoginError::Store(e) => e.into(),
            LoginError::Audit(e) => e.into(),
        }
    }
}

impl From<AccessError> for AppError {
    fn from(e: AccessError) -> Self {
        use drawbridge_shared::api::access::GrantState;
        let code = match e {
            AccessError::Store(e) => return e.into(),
            AccessError::Audit(e) => return e.into(),
            AccessError::Vault(ref v) => {
                tracing::warn!(error = %v, "Vault call failed");
                return Self::new(
                    ErrorCode::VaultUnavailable,
                    "Vault is unavailable; nothing was changed, try again",
                );
            }
            AccessError::UnknownDatabase(_) => ErrorCode::UnknownDatabase,
            AccessError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            AccessError::Duplicate(_) => ErrorCode::DuplicateRequest,
            AccessError::NotFound(_) => ErrorCode::NotFound,
            AccessError::SelfApproval => ErrorCode::SelfApproval,
            AccessError::Forbidden => ErrorCode::Forbidden,
            AccessError::NotPending(_) => ErrorCode::RequestNotPending,
            AccessError::GrantEnded(GrantState::Revoked) => ErrorCode::GrantRevoked,
            AccessError::GrantEnded(_) => ErrorCode::GrantExpired,
            AccessError::Database(_) => ErrorCode::DatabaseUnavailable,
        };
        Self::new(code, e.to_string())
    }
}

impl From<crate::query::QueryError> for AppError {
    fn from(e: crate::query::QueryError) -> Self {
        use crate::query::QueryError as Q;
        let code = match e {
            Q::Access(a) => return a.into(),
            Q::Store(s) => return s.into(),
            Q::Audit(a) => return a.into(),
            Q::Gate(ref v) => {
                let mut err = Self::new(ErrorCode::GateDenied, e.to_string());
                err.gate_code = v.code;
                return err;
            }
            Q::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Q::DuplicateId => ErrorCode::Conflict,
            Q::NotFound => ErrorCode::NotFound,
            Q::Cancelled => ErrorCode::QueryCancelled,
            Q::Timeout(_) => ErrorCode::QueryTimeout,
            Q::Failed(_) => ErrorCode::QueryFailed,
            Q::Unavailable(_) => ErrorCode::DatabaseUnavailable,
        };
        Self::new(code, e.to_string())
    }
}

impl From<crate::secrets::SecretError> for AppError {
    fn from(e: crate::secrets::SecretError) -> Self {
        use crate::secrets::SecretError as S;
        let code = match e {
            S::Store(e) => return e.into(),
            S::Audit(e) => return e.into(),
            S::InvalidArgument(_) => ErrorCode::InvalidArgument,
            S::Exists(_) => ErrorCode::Conflict,
            S::NotFound(_) => ErrorCode::NotFound,
            S::Unavailable(..) => ErrorCode::SecretUnavailable,
            S::Forbidden => ErrorCode::Forbidden,
            S::Undecryptable => ErrorCode::Internal,
        };
        Self::new(code, e.to_string())
    }
}
