//! A message's preview: at most 256 characters of plain text from the start of its first text
//! part (HTML turned into text), whitespace collapsed, without the quoted reply block where it
//! can be told apart. Made from the first bytes of the part only, so a page fetches those and
//! the full message gives the same preview.

use super::{body, text};
use crate::views::message::BodyPart;

/// Longest preview, in characters.
pub const PREVIEW_CHARS: usize = 256;
/// Decoded bytes of a plain-text part a preview is made from.
pub const PLAIN_SOURCE: u32 = 4 * 1024;
/// Decoded bytes of an HTML part a preview is made from (markup and styles come first).
pub const HTML_SOURCE: u32 = 16 * 1024;

/// The part a preview is made from, and how to decode it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// IMAP section.
    pub section: String,
    /// Content-Transfer-Encoding.
    pub encoding: Option<String>,
    /// Charset.
    pub charset: Option<String>,
    /// Encoded size in octets.
    pub encoded_size: u32,
    /// True for `text/html`.
    pub html: bool,
}

impl Source {
    /// Decoded bytes the preview is made from.
    pub fn decoded_bytes(&self) -> u32 {
        if self.html { HTML_SOURCE } else { PLAIN_SOURCE }
    }

    /// Encoded bytes to fetch for it.
    pub fn fetch_len(&self) -> u32 {
        text::encoded_budget(self.encoding.as_deref(), self.decoded_bytes())
    }
}

/// The first text part of the plain-text view (RFC 8621 `textBody`, which falls back to
/// HTML), else of the HTML view; `None` for a message without text.
pub fn source(tree: &BodyPart) -> Option<Source> {
    let b = body::bodies(tree);
    let is_text = |p: &&&BodyPart| p.r#type == "text/plain" || p.r#type == "text/html";
    let part = b.text.iter().find(is_text).or_else(|| b.html.iter().find(is_text))?;
    Some(Source {
        section: part.part_id.clone()?,
        encoding: part.imap.encoding.clone(),
        charset: part.charset.clone(),
        encoded_size: part.imap.encoded_size.unwrap_or(0),
        html: part.r#type == "text/html",
    })
}

/// The preview from the part's bytes as fetched from its start (all of them, or at least
/// [`Source::fetch_len`]).
pub fn from_encoded(src: &Source, bytes: &[u8]) -> String {
    let cut = src.encoded_size as usize > bytes.len();
    let (decoded, _) = text::transfer(bytes, src.encoding.as_deref(), cut);
    from_decoded(src, decoded, cut)
}

/// The preview from the part's transfer-decoded bytes (`cut`: they stop before its end).
pub fn from_decoded(src: &Source, mut decoded: Vec<u8>, cut: bool) -> String {
    let limit = src.decoded_bytes() as usize;
    let cut = cut || decoded.len() > limit;
    decoded.truncate(limit);
    if cut {
        text::drop_partial_tail(&mut decoded, src.charset.as_deref());
    }
    let (value, _) = text::body(&decoded, src.charset.as_deref());
    from_text(&value, src.html)
}

/// The preview of a text (or HTML) as decoded.
pub fn from_text(value: &str, html: bool) -> String {
    let plain =
        if html { mail_parser::decoders::html::html_to_text(&without_blockquotes(value)) } else { value.into() };
    let own = without_quotes(&plain);
    let chosen = if own.trim().is_empty() { plain.as_str() } else { own.as_str() };
    collapse(chosen, PREVIEW_CHARS)
}

/// Whitespace runs to one space, then at most `max` characters.
fn collapse(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, word) in s.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().nth(max).is_some() {
            break;
        }
    }
    match out.char_indices().nth(max) {
        Some((end, _)) => out[..end].trim_end().to_string(),
        None => out,
    }
}

/// Lines that belong to the writer: quoted lines (`>`) and the attribution line before them
/// go, and everything from a forwarded or quoted original's separator or a signature on.
fn without_quotes(s: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in s.lines() {
        let t = line.trim();
        if t.starts_with("-----Original Message-----") || t.starts_with("________________") || line == "-- " {
            break;
        }
        if t.starts_with('>') {
            // The attribution ("On …, X wrote:") right before a quote block goes with it.
            while kept.last().is_some_and(|l| l.trim().is_empty()) {
                kept.pop();
            }
            if kept.last().is_some_and(|l| l.trim_end().ends_with(':')) {
                kept.pop();
            }
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// HTML without its `<blockquote>` elements (nested ones included), the usual quote markup.
fn without_blockquotes(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let (mut depth, mut at) = (0usize, 0usize);
    let mut kept_from = 0usize;
    while let Some(found) = lower[at..].find("blockquote") {
        let pos = at + found;
        at = pos + "blockquote".len();
        let bytes = lower.as_bytes();
        let opening = pos >= 1 && bytes[pos - 1] == b'<';
        let closing = pos >= 2 && &bytes[pos - 2..pos] == b"</";
        if opening {
            if depth == 0 {
                out.push_str(&html[kept_from..pos - 1]);
            }
            depth += 1;
        } else if closing && depth > 0 {
            depth -= 1;
            if depth == 0 {
                kept_from = lower[at..].find('>').map_or(lower.len(), |g| at + g + 1);
                at = kept_from;
            }
        }
    }
    if depth == 0 {
        out.push_str(&html[kept_from.min(html.len())..]);
    }
    out
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
