//! Tests of the summary budgets: envelopeTruncated, the header-size estimate, excerpts.

use super::*;

fn empty(uid: u32) -> MessageSummary {
    MessageSummary::empty(uid, 1)
}

fn address(n: usize) -> EmailAddress {
    EmailAddress { name: Some(format!("Recipient {n}")), email: Some(format!("r{n}@example.org")), group: None }
}

#[test]
fn a_small_summary_is_left_alone() {
    let mut s = empty(1);
    s.subject = Some("Hello".into());
    s.to = (0..10).map(address).collect();
    let before = s.clone();
    assert!(!bound(&mut s));
    assert_eq!(s, before);
}

#[test]
fn subject_ids_and_addresses_are_cut_to_their_budgets() {
    let mut s = empty(1);
    s.subject = Some("é".repeat(5_000));
    s.message_id = Some(format!("<{}@x>", "i".repeat(5_000)));
    s.from = vec![EmailAddress { name: Some("n".repeat(1_000)), email: Some("a@example.com".into()), group: None }];
    s.to = (0..50_000).map(address).collect();
    s.cc = vec![address(1)];
    assert!(bound(&mut s) && s.envelope_truncated);
    let subject = s.subject.as_deref().expect("subject");
    assert!(subject.len() <= SUBJECT_MAX && subject.len() > SUBJECT_MAX - 2 && subject.chars().all(|c| c == 'é'));
    assert_eq!(s.message_id.as_ref().map(String::len), Some(ID_MAX));
    assert_eq!(s.from[0].name.as_ref().map(String::len), Some(ADDRESS_TEXT_MAX));
    let text: usize = s
        .from
        .iter()
        .chain(&s.to)
        .chain(&s.cc)
        .map(|a| a.name.as_ref().map_or(0, String::len) + a.email.as_ref().map_or(0, String::len))
        .sum();
    assert!(text <= ADDRESSES_MAX, "{text}");
    assert!(s.to.len() > 400 && s.to.len() < 1_000, "{}", s.to.len());
    assert_eq!(s.to[0], address(0), "the first addresses are kept whole");
    assert!(s.cc.is_empty(), "nothing after a cut list");
}

#[test]
fn header_size_is_estimated_from_size_and_leaf_parts() {
    let leaf = |size: u64, encoded: Option<u32>| {
        let mut p = part();
        p.size = size;
        p.imap.encoded_size = encoded;
        p
    };
    let single = leaf(750, Some(1_000));
    assert_eq!(header_estimate(1_300, &single), 300, "the encoded size counts, not the decoded estimate");
    let mut multi = leaf(0, None);
    multi.sub_parts = vec![leaf(100, Some(100)), leaf(3_000_000, Some(4_000_000))];
    assert_eq!(header_estimate(4_000_500, &multi), 400);
    assert_eq!(header_estimate(10, &multi), 0, "never below zero");
}

fn part() -> BodyPart {
    BodyPart {
        part_id: None,
        r#type: "text/plain".into(),
        charset: None,
        disposition: None,
        name: None,
        cid: None,
        language: None,
        location: None,
        size: 0,
        imap: crate::views::message::PartImap {
            section: String::new(),
            encoding: None,
            encoded_size: None,
            lines: None,
            md5: None,
            description: None,
            params: Default::default(),
            disposition_params: Default::default(),
            size_is_estimate: false,
            envelope: None,
        },
        sub_parts: vec![],
    }
}

#[test]
fn fields_are_read_from_excerpts_and_a_cut_list_loses_its_last_address() {
    let mut s = empty(1);
    let subject = b"Subject: =?utf-8?q?caf=C3=A9?= and\r\n more\r\n\r\n".as_slice();
    let from = b"From: \"Sender, Esq.\" <sender@example.com>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\
                 Message-ID: <id-1@example.com>\r\n\r\n"
        .as_slice();
    let cc = b"Cc: team: a@example.org, b@example.org;, c@example.org\r\n\r\n".as_slice();
    let mut to = b"To: ".to_vec();
    let mut n = 0;
    while to.len() < FIELD_EXCERPT as usize {
        to.extend_from_slice(format!("\"Recipient {n}\" <r{n}@example.org>,\r\n ").as_bytes());
        n += 1;
    }
    to.truncate(FIELD_EXCERPT as usize);
    fill_from_excerpts(&mut s, &[subject, &to, from, cc, b"".as_slice()]);
    assert_eq!(s.subject.as_deref(), Some("café and more"));
    assert_eq!(
        s.from,
        vec![EmailAddress { name: Some("Sender, Esq.".into()), email: Some("sender@example.com".into()), group: None }]
    );
    assert_eq!(s.sent_at.as_deref(), Some("2026-11-02T10:00:00+00:00"));
    assert_eq!(s.message_id.as_deref(), Some("<id-1@example.com>"));
    assert!(s.envelope_truncated, "the To excerpt was cut");
    assert_eq!(s.to.len(), n - 1, "the possibly incomplete last address is dropped");
    assert_eq!(s.to[5], address(5));
    let emails: Vec<_> = s.cc.iter().map(|a| (a.group.as_deref(), a.email.as_deref())).collect();
    assert_eq!(
        emails,
        [(Some("team"), Some("a@example.org")), (Some("team"), Some("b@example.org")), (None, Some("c@example.org"))]
    );
}
