//! HTML from mail is untrusted. `sanitize` (ammonia) removes scripts, event handlers, styles
//! and every remote load, and rewrites `cid:` references to the gateway's part URLs. The
//! gateway itself never fetches a URL found in mail.

use std::collections::{HashMap, HashSet};

/// Cleans `html`. `cids` maps Content-IDs (without brackets) to part download URLs.
pub fn sanitize(html: &str, cids: &HashMap<String, String>) -> String {
    let cids = cids.clone();
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
        .attribute_filter(move |element, attribute, value| {
            let lower = value.trim().to_ascii_lowercase();
            match (element, attribute) {
                // Links may point anywhere: following one is the reader's choice, not a load.
                ("a", "href") => Some(value.into()),
                // Anything else that names a URL would load it: only cid: survives, rewritten.
                (_, "src" | "srcset" | "background" | "poster" | "cite" | "longdesc" | "lowsrc" | "dynsrc") => {
                    let cid = lower.strip_prefix("cid:")?;
                    cids.get(cid).map(|url| url.clone().into())
                }
                _ => Some(value.into()),
            }
        });
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_remote_loads_go_cid_images_stay() {
        let cids = HashMap::from([("logo@x".to_string(), "/v1/mailboxes/INBOX/messages/7/parts/2.2".to_string())]);
        let html = r#"<p onclick="steal()">Hi<script>alert(1)</script>
            <img src="https://tracker.example.net/pixel.gif">
            <img src="cid:logo@x" alt="logo">
            <img src="cid:unknown@x">
            <a href="javascript:alert(1)">bad</a> <a href="https://example.com/">good</a>
            <div style="background:url(https://tracker.example.net/bg)">styled</div>
            <iframe src="https://example.net"></iframe></p>"#;
        let clean = sanitize(html, &cids);
        for gone in ["script", "onclick", "tracker.example.net", "javascript:", "iframe", "style=", "cid:unknown"] {
            assert!(!clean.contains(gone), "{gone} survived: {clean}");
        }
        assert!(clean.contains(r#"src="/v1/mailboxes/INBOX/messages/7/parts/2.2""#), "{clean}");
        assert!(clean.contains(r#"href="https://example.com/""#), "{clean}");
        assert!(clean.contains("noopener"), "{clean}");
    }
}
