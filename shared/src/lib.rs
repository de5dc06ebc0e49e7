//! Drawbridge's shared vocabulary: the wire types of every API request and
//! response, the stable error codes, and (later) the SQL gate. Pure: no I/O.

pub mod api;
pub mod error;
pub mod role;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use role::Role;
pub mod gate;
