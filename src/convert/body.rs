//! BODYSTRUCTURE to the part tree (partId = IMAP section), and the RFC 8621 §4.1.4
//! `parseStructure` algorithm that picks textBody, htmlBody and attachments.

use std::collections::BTreeMap;

use async_imap::imap_proto::{BodyContentCommon, BodyContentSinglePart, BodyStructure, ContentEncoding};

use super::{envelope, text};
use crate::views::message::{BodyPart, PartImap, PartRef};

type Params<'a> = Option<Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>>;

fn params(p: &Params<'_>) -> BTreeMap<String, String> {
    p.iter().flatten().map(|(k, v)| (text::unquote(k).to_ascii_lowercase(), text::unquote(v).into_owned())).collect()
}

/// RFC 2231 parameter value (`name*`, `name*0*`, `name*1`, …), else the plain one, RFC 2047 decoded.
pub fn param_value(params: &BTreeMap<String, String>, name: &str) -> Option<String> {
    let mut segments: Vec<(u32, bool, &str)> = Vec::new();
    for (k, v) in params {
        let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('*')) else { continue };
        let (num, extended) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None if rest.is_empty() => ("0", true),
            None => (rest, false),
        };
        if let Ok(n) = num.parse::<u32>() {
            segments.push((n, extended, v));
        }
    }
    if segments.is_empty() {
        return params.get(name).map(|v| text::header(v.as_bytes()));
    }
    segments.sort_by_key(|s| s.0);
    let mut charset = None;
    let mut bytes = Vec::new();
    for (i, (_, extended, value)) in segments.iter().enumerate() {
        let mut value = *value;
        if *extended && i == 0 {
            let mut it = value.splitn(3, '\'');
            if let (Some(cs), Some(_lang), Some(rest)) = (it.next(), it.next(), it.next()) {
                charset = Some(cs.to_string()).filter(|c| !c.is_empty());
                value = rest;
            }
        }
        if *extended { percent_decode(value, &mut bytes) } else { bytes.extend_from_slice(value.as_bytes()) }
    }
    Some(text::body(&bytes, charset.as_deref()).0)
}

fn percent_decode(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
}

fn encoding_name(e: &ContentEncoding<'_>) -> String {
    match e {
        ContentEncoding::SevenBit => "7bit".into(),
        ContentEncoding::EightBit => "8bit".into(),
        ContentEncoding::Binary => "binary".into(),
        ContentEncoding::Base64 => "base64".into(),
        ContentEncoding::QuotedPrintable => "quoted-printable".into(),
        ContentEncoding::Other(o) => o.to_ascii_lowercase(),
    }
}

fn leaf(
    common: &BodyContentCommon<'_>,
    other: &BodyContentSinglePart<'_>,
    section: &str,
    lines: Option<u32>,
) -> BodyPart {
    let p = params(&common.ty.params);
    let disp_params = common.disposition.as_ref().map(|d| params(&d.params)).unwrap_or_default();
    let encoding = encoding_name(&other.transfer_encoding);
    let kind = text::TransferEncoding::of(Some(&encoding));
    let estimate = kind != text::TransferEncoding::Identity;
    let size = match kind {
        text::TransferEncoding::Base64 => {
            let body_bytes = u64::from(other.octets).saturating_sub(2 * u64::from(lines.unwrap_or(other.octets / 78)));
            body_bytes * 3 / 4
        }
        // 45 bytes per 63-byte line.
        text::TransferEncoding::Uuencode => u64::from(other.octets) * 5 / 7,
        _ => u64::from(other.octets),
    };
    BodyPart {
        part_id: Some(section.to_string()),
        r#type: format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase(),
        charset: p.get("charset").map(|c| c.to_ascii_lowercase()),
        disposition: common.disposition.as_ref().map(|d| d.ty.to_ascii_lowercase()),
        name: param_value(&disp_params, "filename").or_else(|| param_value(&p, "name")),
        cid: other
            .id
            .as_ref()
            .map(|id| text::unquote(id.trim()).trim_start_matches('<').trim_end_matches('>').to_string()),
        language: common.language.as_ref().map(|l| l.iter().map(|s| s.to_string()).collect()),
        location: common.location.as_ref().map(|l| text::unquote(l).into_owned()),
        size,
        imap: PartImap {
            section: section.to_string(),
            encoding: Some(encoding),
            encoded_size: Some(other.octets),
            lines,
            md5: other.md5.as_ref().map(|m| text::unquote(m).into_owned()),
            description: other.description.as_ref().map(|d| text::header(text::unquote(d).as_bytes())),
            params: p,
            disposition_params: disp_params,
            size_is_estimate: estimate,
            envelope: None,
        },
        sub_parts: Vec::new(),
    }
}

/// Builds the tree. `section` is this node's section; children of a multipart get
/// `prefix + n` (the top-level multipart has an empty prefix).
fn node(bs: &BodyStructure<'_>, section: &str, prefix: &str) -> BodyPart {
    match bs {
        BodyStructure::Basic { common, other, .. } => leaf(common, other, section, None),
        BodyStructure::Text { common, other, lines, .. } => leaf(common, other, section, Some(*lines)),
        BodyStructure::Message { common, other, envelope: env, body, lines, .. } => {
            let mut part = leaf(common, other, section, Some(*lines));
            part.imap.envelope = Some(Box::new(envelope::envelope(env)));
            // The encapsulated message: a multipart's children are `section.n`; a single part is `section.1`.
            let inner = match body.as_ref() {
                BodyStructure::Multipart { .. } => node(body, &format!("{section}.TEXT"), &format!("{section}.")),
                _ => node(body, &format!("{section}.1"), ""),
            };
            part.sub_parts = vec![inner];
            part
        }
        BodyStructure::Multipart { common, bodies, .. } => BodyPart {
            part_id: None,
            r#type: format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase(),
            charset: None,
            disposition: common.disposition.as_ref().map(|d| d.ty.to_ascii_lowercase()),
            name: None,
            cid: None,
            language: common.language.as_ref().map(|l| l.iter().map(|s| s.to_string()).collect()),
            location: common.location.as_ref().map(|l| l.to_string()),
            size: 0,
            imap: PartImap { section: section.to_string(), params: params(&common.ty.params), ..Default::default() },
            sub_parts: bodies
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let child = format!("{prefix}{}", i + 1);
                    node(b, &child, &format!("{child}."))
                })
                .collect(),
        },
    }
}

/// The part tree of a message.
pub fn tree(bs: &BodyStructure<'_>) -> BodyPart {
    match bs {
        BodyStructure::Multipart { .. } => node(bs, "", ""),
        _ => node(bs, "1", ""),
    }
}

fn inline_media(t: &str) -> bool {
    t.starts_with("image/") || t.starts_with("audio/") || t.starts_with("video/")
}

/// textBody, htmlBody and attachments (RFC 8621 §4.1.4).
#[derive(Debug, Default)]
pub struct Bodies<'a> {
    /// Plain-text view.
    pub text: Vec<&'a BodyPart>,
    /// HTML view.
    pub html: Vec<&'a BodyPart>,
    /// Attachments.
    pub attachments: Vec<&'a BodyPart>,
}

/// Runs `parseStructure` on the tree.
pub fn bodies(root: &BodyPart) -> Bodies<'_> {
    let mut out = Bodies::default();
    let (mut text, mut html) = (Vec::new(), Vec::new());
    parse(&[root], "mixed", false, Some(&mut text), Some(&mut html), &mut out.attachments);
    out.text = text;
    out.html = html;
    out
}

fn parse<'a>(
    parts: &[&'a BodyPart],
    multipart_type: &str,
    in_alternative: bool,
    mut text: Option<&mut Vec<&'a BodyPart>>,
    mut html: Option<&mut Vec<&'a BodyPart>>,
    attachments: &mut Vec<&'a BodyPart>,
) {
    let text_len = text.as_ref().map(|t| t.len());
    let html_len = html.as_ref().map(|h| h.len());
    for (i, part) in parts.iter().enumerate() {
        let t = part.r#type.as_str();
        let is_inline = part.disposition.as_deref() != Some("attachment")
            && (t == "text/plain" || t == "text/html" || inline_media(t))
            && (i == 0 || (multipart_type != "related" && (inline_media(t) || part.name.is_none())));
        if let Some(sub) = t.strip_prefix("multipart/") {
            let children: Vec<&BodyPart> = part.sub_parts.iter().collect();
            parse(
                &children,
                sub,
                in_alternative || sub == "alternative",
                text.as_deref_mut(),
                html.as_deref_mut(),
                attachments,
            );
        } else if is_inline {
            if multipart_type == "alternative" {
                match t {
                    "text/plain" => text.as_deref_mut().into_iter().for_each(|v| v.push(part)),
                    "text/html" => html.as_deref_mut().into_iter().for_each(|v| v.push(part)),
                    _ => attachments.push(part),
                }
                continue;
            } else if in_alternative {
                if t == "text/plain" {
                    html = None;
                }
                if t == "text/html" {
                    text = None;
                }
            }
            if let Some(v) = text.as_deref_mut() {
                v.push(part);
            }
            if let Some(v) = html.as_deref_mut() {
                v.push(part);
            }
            if (text.is_none() || html.is_none()) && inline_media(t) {
                attachments.push(part);
            }
        } else {
            attachments.push(part);
        }
    }
    if multipart_type == "alternative"
        && let (Some(text), Some(html)) = (text, html)
    {
        if text_len == Some(text.len()) && html_len != Some(html.len()) {
            let extra: Vec<_> = html[html_len.unwrap_or(0)..].to_vec();
            text.extend(extra);
        }
        if html_len == Some(html.len()) && text_len != Some(text.len()) {
            let extra: Vec<_> = text[text_len.unwrap_or(0)..].to_vec();
            html.extend(extra);
        }
    }
}

/// True if any attachment is a real one: marked `attachment`, or not referenced by Content-ID.
pub fn has_attachment(b: &Bodies<'_>) -> bool {
    b.attachments.iter().any(|p| p.disposition.as_deref() == Some("attachment") || p.cid.is_none())
}

/// A list entry for a leaf part. Its download URL is left empty: URLs are the HTTP layer's
/// (`http::urls::set_download_urls` fills it in).
pub fn part_ref(p: &BodyPart) -> PartRef {
    PartRef {
        download_url: String::new(),
        part_id: p.part_id.clone().unwrap_or_default(),
        r#type: p.r#type.clone(),
        charset: p.charset.clone(),
        disposition: p.disposition.clone(),
        name: p.name.clone(),
        cid: p.cid.clone(),
        size: p.size,
        size_is_estimate: p.imap.size_is_estimate,
    }
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
