//! Part trees and body selection from BODYSTRUCTURE responses as servers send them.

use async_imap::imap_proto::{AttributeValue, Response};

use super::*;

fn with_tree<T>(fetch: &str, f: impl FnOnce(&BodyPart) -> T) -> T {
    let (_, resp) = Response::parse(fetch.as_bytes()).expect("parses");
    let Response::Fetch(_, attrs) = resp else { panic!("not a FETCH") };
    let bs = attrs
        .iter()
        .find_map(|a| if let AttributeValue::BodyStructure(b) = a { Some(b) } else { None })
        .expect("BODYSTRUCTURE");
    f(&tree(bs))
}

fn ids(parts: &[&BodyPart]) -> Vec<String> {
    parts.iter().map(|p| p.part_id.clone().unwrap_or_default()).collect()
}

#[test]
fn mixed_with_alternative_and_an_rfc2231_attachment() {
    let fetch = "* 1 FETCH (UID 5 BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 120 4 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"base64\" 400 6 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"x.pdf\") NIL NIL \"base64\" 1000 NIL (\"attachment\" (\"filename*\" \"utf-8''%C3%9Cbersicht%20M%C3%A4rz.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";
    with_tree(fetch, |root| {
        assert_eq!(
            (root.part_id.as_deref(), root.r#type.as_str(), root.imap.section.as_str()),
            (None, "multipart/mixed", "")
        );
        let alt = &root.sub_parts[0];
        assert_eq!((alt.r#type.as_str(), alt.imap.section.as_str()), ("multipart/alternative", "1"));
        assert_eq!(ids(&alt.sub_parts.iter().collect::<Vec<_>>()), ["1.1", "1.2"]);
        let pdf = &root.sub_parts[1];
        assert_eq!(pdf.part_id.as_deref(), Some("2"));
        assert_eq!(pdf.name.as_deref(), Some("Übersicht März.pdf"));
        assert_eq!(pdf.disposition.as_deref(), Some("attachment"));
        assert!(pdf.imap.size_is_estimate);
        assert_eq!(alt.sub_parts[0].charset.as_deref(), Some("utf-8"));
        let b = bodies(root);
        assert_eq!(
            (ids(&b.text), ids(&b.html), ids(&b.attachments)),
            (vec!["1.1".into()], vec!["1.2".into()], vec!["2".into()])
        );
        assert!(has_attachment(&b));
    });
}

#[test]
fn related_html_keeps_its_inline_image_out_of_has_attachment() {
    let fetch = "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL)(\"image\" \"png\" (\"name\" \"logo.png\") \"<logo@x>\" NIL \"base64\" 100 NIL (\"inline\" NIL) NIL NIL) \"related\" (\"boundary\" \"r\") NIL NIL NIL) \"alternative\" (\"boundary\" \"a\") NIL NIL NIL))\r\n";
    with_tree(fetch, |root| {
        let b = bodies(root);
        assert_eq!(ids(&b.text), ["1"]);
        assert_eq!(ids(&b.html), ["2.1"]);
        assert_eq!(ids(&b.attachments), ["2.2"]);
        assert_eq!(b.attachments[0].cid.as_deref(), Some("logo@x"));
        assert!(!has_attachment(&b));
    });
}

#[test]
fn an_attached_message_keeps_its_envelope_and_nested_sections() {
    let fetch = "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (\"Mon, 2 Nov 2026 10:00:00 +0000\" \"=?UTF-8?Q?F=C3=BCr_dich?=\" ((\"Bob\" NIL \"bob\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<m1@example.org>\") ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"utf-8\" \"name\" \"n.txt\") NIL NIL \"7bit\" 6 1 NIL (\"attachment\" (\"filename\" \"n.txt\")) NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL) 12 NIL (\"attachment\" NIL) NIL NIL) \"mixed\" (\"boundary\" \"y\") NIL NIL NIL))\r\n";
    with_tree(fetch, |root| {
        let msg = &root.sub_parts[1];
        assert_eq!((msg.part_id.as_deref(), msg.r#type.as_str()), (Some("2"), "message/rfc822"));
        let env = msg.imap.envelope.as_ref().expect("nested envelope");
        assert_eq!(env.subject.as_deref(), Some("Für dich"));
        assert_eq!(env.from[0].email.as_deref(), Some("bob@example.org"));
        let inner = &msg.sub_parts[0];
        assert_eq!(inner.r#type, "multipart/mixed");
        assert_eq!(ids(&inner.sub_parts.iter().collect::<Vec<_>>()), ["2.1", "2.2"]);
        let b = bodies(root);
        assert_eq!((ids(&b.text), ids(&b.attachments)), (vec!["1".to_string()], vec!["2".to_string()]));
    });
}

#[test]
fn a_single_part_message_is_section_1() {
    let fetch = "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"ISO-8859-1\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL))\r\n";
    with_tree(fetch, |root| {
        assert_eq!(
            (root.part_id.as_deref(), root.r#type.as_str(), root.charset.as_deref()),
            (Some("1"), "text/plain", Some("iso-8859-1"))
        );
        assert_eq!(root.imap.encoding.as_deref(), Some("7bit"));
        assert_eq!(root.size, 10);
        let b = bodies(root);
        assert_eq!((ids(&b.text), ids(&b.html)), (vec!["1".to_string()], vec!["1".to_string()]));
    });
}

#[test]
fn rfc2231_continuations_join_in_order() {
    let p: BTreeMap<String, String> = [
        ("filename*1*".to_string(), "%20M%C3%A4rz".to_string()),
        ("filename*0*".to_string(), "utf-8'de'%C3%9Cbersicht".to_string()),
        ("filename*2".to_string(), ".txt".to_string()),
    ]
    .into();
    assert_eq!(param_value(&p, "filename").as_deref(), Some("Übersicht März.txt"));
    let q: BTreeMap<String, String> = [("name".to_string(), "=?UTF-8?B?w5xiZXJzaWNodC5wZGY=?=".to_string())].into();
    assert_eq!(param_value(&q, "name").as_deref(), Some("Übersicht.pdf"));
}
