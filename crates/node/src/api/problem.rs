//! Errors as `application/problem+json` (RFC 9457) carrying the ledger's stable codes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::{Code, Hash, Refusal};

/// A problem document. `code` is the stable failure code; `type` names it as a URN so that
/// clients can switch on either. Kept small (it travels in every `Result`); the rare fields
/// sit behind a box.
#[derive(Clone, Debug)]
pub struct Problem {
    pub code: Code,
    pub status: u16,
    pub detail: String,
    pub extra: Option<Box<Extra>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Extra {
    /// For a submission journaled with a failure receipt: its id and block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx: Option<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Seconds to wait before retrying (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Doc<'a> {
            #[serde(rename = "type")]
            kind: String,
            title: &'static str,
            status: u16,
            detail: &'a str,
            code: &'static str,
            #[serde(flatten)]
            extra: &'a Extra,
        }
        let none = Extra::default();
        Doc {
            kind: format!("urn:tessera:code:{}", self.code.as_str()),
            title: self.code.meaning(),
            status: self.status,
            detail: &self.detail,
            code: self.code.as_str(),
            extra: self.extra.as_deref().unwrap_or(&none),
        }
        .serialize(s)
    }
}

/// What [`Problem`]'s serializer writes. `code` is an open string: its known values are listed
/// (`examples`, `x-known-values`) so that a client keeps working the day a code is added.
impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::extensions::ExtensionsBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let int = |min: u64, max: Option<u64>, d: &str| {
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min)).maximum(max).description(Some(d))
        };
        let text = |d: &str| ObjectBuilder::new().schema_type(Type::String).description(Some(d));
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        ObjectBuilder::new()
            .description(Some("An error (RFC 9457 problem details) carrying the ledger's stable failure code."))
            .property(
                "type",
                text("The code as a URN: `urn:tessera:code:<code>`.").pattern(Some("^urn:tessera:code:[a-z_.0-9]+$")),
            )
            .property("title", text("What the code means, in one line."))
            .property("status", int(100, Some(599), "The HTTP status."))
            .property("detail", text("What went wrong with this request."))
            .property(
                "code",
                text(
                    "The stable failure code (docs/errors.md). An open set: the codes known when this document \
                     was generated are listed in `examples`; a client must accept others.",
                )
                .pattern(Some("^[a-z_.0-9]+$"))
                .examples(codes.clone())
                .extensions(Some(ExtensionsBuilder::new().add("x-known-values", codes).build())),
            )
            .property(
                "tx",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[0-9a-f]{64}$"))
                    .description(Some("A journaled failure: the transaction's id (also its receipt's).")),
            )
            .property("height", int(0, None, "A journaled failure: the block that holds the failure receipt."))
            .property("retry_after_s", int(0, None, "Seconds to wait before retrying (also sent as `Retry-After`)."))
            .required("type")
            .required("title")
            .required("status")
            .required("detail")
            .required("code")
            .into()
    }
}

impl utoipa::ToSchema for Problem {}

/// The HTTP status for a refusal met outside a journaled receipt (at the door, at admission,
/// in a query). 422 is kept for journaled failures alone (see [`Problem::journaled`]): a
/// client seeing it knows a failure receipt holds its sequence number; every other refusal
/// wrote nothing (docs/guide.md, "Submitting").
pub fn status_for(code: Code) -> StatusCode {
    use Code::*;
    let s = code.as_str();
    match code {
        TxTooLarge | ApiPayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        // Admission: right key, wrong moment; the client resynchronises its sequence or expiry.
        TxExpired | TxReplayed | TxSequenceGap => StatusCode::CONFLICT,
        // Admission: the signer may not submit here (not registered, or recovered and retired).
        TxUnknownSigner | WalletRetired => StatusCode::FORBIDDEN,
        ApiUnauthenticated => StatusCode::UNAUTHORIZED,
        ApiForbidden => StatusCode::FORBIDDEN,
        ApiNotFound => StatusCode::NOT_FOUND,
        ApiMethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ApiUnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ApiRateLimited => StatusCode::TOO_MANY_REQUESTS,
        ApiBusy | ApiTimeout | ApiShuttingDown | ApiNotLeader | StoreIo | StoreLocked | StoreFenced
        | StoreUnreachable => StatusCode::SERVICE_UNAVAILABLE,
        StoreCorrupt | StoreState | StoreSchema | StoreOtherNetwork | VerifyMismatch => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        // A query naming something the ledger does not hold.
        _ if s.ends_with(".unknown") || s.ends_with(".unknown_feed") || s.ends_with(".unknown_class") => {
            StatusCode::NOT_FOUND
        }
        // Malformed or invalid input, and any rule met before anything was journaled.
        _ => StatusCode::BAD_REQUEST,
    }
}

impl Problem {
    pub fn new(code: Code, detail: impl Into<String>) -> Problem {
        Problem::with_status(status_for(code), code, detail)
    }
    pub fn with_status(status: StatusCode, code: Code, detail: impl Into<String>) -> Problem {
        let p = Problem { code, status: status.as_u16(), detail: detail.into(), extra: None };
        if matches!(code, Code::ApiBusy | Code::ApiRateLimited | Code::ApiTimeout) {
            return p.retry_after(1);
        }
        p
    }
    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }
    /// A well-formed, signed transaction that broke a business rule: journaled with a failure
    /// receipt in block `height`.
    pub fn journaled(code: Code, detail: impl Into<String>, tx: Hash, height: u64) -> Problem {
        let mut p = Problem::with_status(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
        p.extra().tx = Some(tx);
        p.extra().height = Some(height);
        p
    }
    pub fn retry_after(mut self, s: u64) -> Problem {
        self.extra().retry_after_s = Some(s);
        self
    }
    pub fn retry_after_s(&self) -> Option<u64> {
        self.extra.as_ref().and_then(|e| e.retry_after_s)
    }
    /// The block of a journaled failure.
    pub fn height(&self) -> Option<u64> {
        self.extra.as_ref().and_then(|e| e.height)
    }
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Refusal> for Problem {
    fn from(r: Refusal) -> Problem {
        Problem::new(r.code, r.message)
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry = self.retry_after_s();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = retry {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_a_client_or_availability_status_unless_the_store_failed() {
        for &c in Code::ALL {
            let s = status_for(c);
            let server_side = matches!(
                c,
                Code::StoreCorrupt
                    | Code::StoreState
                    | Code::StoreSchema
                    | Code::StoreOtherNetwork
                    | Code::VerifyMismatch
            );
            assert_eq!(s.is_server_error() && s != StatusCode::SERVICE_UNAVAILABLE, server_side, "{c}");
        }
        assert_eq!(status_for(Code::FundUnknown), StatusCode::NOT_FOUND);
        assert_eq!(status_for(Code::TxBadSignature), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn only_a_journaled_failure_answers_422() {
        for &c in Code::ALL {
            assert_ne!(status_for(c), StatusCode::UNPROCESSABLE_ENTITY, "{c} is not journaled here");
        }
        // The door refusals the outside test found answered as if journaled.
        assert_eq!(status_for(Code::AmountZero), StatusCode::BAD_REQUEST);
        assert_eq!(status_for(Code::PartyBadId), StatusCode::BAD_REQUEST);
        assert_eq!(status_for(Code::TxUnknownSigner), StatusCode::FORBIDDEN);
        assert_eq!(status_for(Code::WalletRetired), StatusCode::FORBIDDEN);
        let h = Hash::default();
        assert_eq!(Problem::journaled(Code::ComplianceKycMissing, "", h, 1).status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
