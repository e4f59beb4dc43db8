//! Reading a compose request: a JSON compose document, `multipart/form-data` (a JSON
//! `compose` part and file parts, for large uploads), or, where allowed, the
//! `message/rfc822` bytes as they are.

use axum::{
    body::Bytes,
    extract::{FromRequest, Multipart, Request},
    http::{StatusCode, header},
};
use base64::Engine as _;

use crate::{
    compose::{check, mime::File},
    http::{error::ApiError, idempotency},
    views::compose::{Attachment, Compose},
};

/// Largest message the gateway writes or sends, in bytes (the APPEND limit).
pub const MAX_MESSAGE: usize = crate::http::messages::append::MAX_UPLOAD;
/// Largest request body of the compose routes (base64 makes files a third larger).
pub const MAX_REQUEST: usize = MAX_MESSAGE / 3 * 4 + 1024 * 1024;

/// A compose request, read and decoded.
#[derive(Debug)]
pub enum Input {
    /// A compose document, and the files of its form parts.
    Compose(Box<Compose>, Vec<File>),
    /// A complete message, as it is.
    Raw(Bytes),
}

/// The request's input and its fingerprint (for `Idempotency-Key`).
pub async fn read(req: Request, route: &str, raw_allowed: bool) -> Result<(Input, String), ApiError> {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let body_error = |r: axum::extract::rejection::BytesRejection| ApiError::invalid_body(r.status(), r.body_text());
    if content_type.starts_with("application/json") {
        let bytes = Bytes::from_request(req, &()).await.map_err(body_error)?;
        let compose: Compose = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_body(StatusCode::UNPROCESSABLE_ENTITY, format!("compose: {e}")))?;
        let print = idempotency::fingerprint(&[route.as_bytes(), &bytes]);
        return Ok((Input::Compose(Box::new(compose), Vec::new()), print));
    }
    if content_type.starts_with("multipart/form-data") {
        let form =
            Multipart::from_request(req, &()).await.map_err(|r| ApiError::invalid_body(r.status(), r.body_text()))?;
        return read_form(form, route).await;
    }
    if raw_allowed && content_type.starts_with("message/rfc822") {
        let bytes = Bytes::from_request(req, &()).await.map_err(body_error)?;
        if bytes.is_empty() {
            return Err(ApiError::invalid_property("body", "the message is empty"));
        }
        if bytes.contains(&0) {
            return Err(ApiError::invalid_property("body", "NUL bytes cannot be sent"));
        }
        let print = idempotency::fingerprint(&[route.as_bytes(), b"raw", &bytes]);
        return Ok((Input::Raw(bytes), print));
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Send a compose document as application/json or multipart/form-data",
    )
    .detail(if raw_allowed { "or a whole message as message/rfc822" } else { "a JSON compose document" }))
}

async fn read_form(mut form: Multipart, route: &str) -> Result<(Input, String), ApiError> {
    let form_error = |e: axum::extract::multipart::MultipartError| ApiError::invalid_body(e.status(), e.body_text());
    let mut compose = None;
    let mut files = Vec::new();
    let mut print: Vec<Vec<u8>> = vec![route.as_bytes().to_vec()];
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "compose" {
            let bytes = field.bytes().await.map_err(form_error)?;
            compose =
                Some(serde_json::from_slice::<Compose>(&bytes).map_err(|e| {
                    ApiError::invalid_body(StatusCode::UNPROCESSABLE_ENTITY, format!("compose part: {e}"))
                })?);
            print.push(bytes.to_vec());
            continue;
        }
        // Only a `files` part with a filename is a file: a stray form field must not be mailed.
        let filename = field.file_name().map(str::to_string);
        let Some(filename) = filename.filter(|_| name == "files") else {
            return Err(ApiError::bad_request(format!(
                "form part `{name}` is neither `compose` nor a file (a `files` part with a filename)"
            )));
        };
        let field_name = format!("files[{}]", files.len());
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        check::header_value(&format!("{field_name}.filename"), &filename)?;
        check::media_type(&format!("{field_name}.contentType"), &content_type)?;
        let data = field.bytes().await.map_err(form_error)?.to_vec();
        print.extend([filename.as_bytes().to_vec(), content_type.as_bytes().to_vec(), data.clone()]);
        files.push(File { filename, content_type, data, cid: None, inline: false });
    }
    let compose = compose.ok_or_else(|| ApiError::bad_request("the form has no `compose` part"))?;
    let parts: Vec<&[u8]> = print.iter().map(Vec::as_slice).collect();
    Ok((Input::Compose(Box::new(compose), files), idempotency::fingerprint(&parts)))
}

/// An uploaded attachment of the document, checked and decoded.
pub fn uploaded(i: usize, a: &Attachment) -> Result<Option<File>, ApiError> {
    let Attachment::Upload(u) = a else { return Ok(None) };
    let field = format!("attachments[{i}]");
    check::header_value(&format!("{field}.filename"), &u.filename)?;
    check::media_type(&format!("{field}.contentType"), &u.content_type)?;
    if let Some(cid) = &u.cid {
        check::content_id(&format!("{field}.cid"), cid)?;
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(u.content_base64.trim())
        .map_err(|_| ApiError::invalid_property(&format!("{field}.contentBase64"), "not valid base64"))?;
    Ok(Some(File {
        filename: u.filename.clone(),
        content_type: u.content_type.to_ascii_lowercase(),
        data,
        cid: u.cid.clone(),
        inline: u.inline.unwrap_or(false),
    }))
}
