//! Tests of the encoder: fixed cases plus property tests over hostile Unicode.

use proptest::prelude::*;

use super::{
    atoms::{astring, atom, is_atom_char},
    *,
};
use crate::imap::mutf7;

/// One parsed argument of a command line.
#[derive(Debug, PartialEq)]
enum Arg {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Literal(Vec<u8>),
    List(Vec<u8>),
}

impl Arg {
    fn value(&self) -> &[u8] {
        match self {
            Arg::Atom(v) | Arg::Quoted(v) | Arg::Literal(v) | Arg::List(v) => v,
        }
    }
}

/// Splits command text into its name and arguments, following RFC 3501 §9, and fails
/// unless the whole text is exactly one command (no stray CR/LF, balanced quotes, exact
/// literal counts).
fn parse_command(text: &str) -> Result<(String, Vec<Arg>), String> {
    let b = text.as_bytes();
    let mut i = b.iter().position(|&c| c == b' ').unwrap_or(b.len());
    let name = String::from_utf8(b[..i].to_vec()).map_err(|e| e.to_string())?;
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_uppercase() || c == b'-') {
        return Err(format!("bad command name {name:?}"));
    }
    let mut args = Vec::new();
    while i < b.len() {
        if b[i] != b' ' {
            return Err(format!("expected SP at {i}"));
        }
        i += 1;
        match b.get(i) {
            Some(b'"') => {
                let mut v = Vec::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("unterminated quoted".into()),
                        Some(b'"') => break,
                        Some(b'\\') => match b.get(i + 1) {
                            Some(&c @ (b'"' | b'\\')) => {
                                v.push(c);
                                i += 2;
                            }
                            _ => return Err("bad escape".into()),
                        },
                        Some(b'\r' | b'\n' | 0) => return Err("CR/LF/NUL in quoted".into()),
                        Some(&c) if c >= 0x80 => return Err("8-bit in quoted".into()),
                        Some(&c) => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                args.push(Arg::Quoted(v));
            }
            Some(b'{') => {
                let close = b[i..].iter().position(|&c| c == b'}').ok_or("no }")? + i;
                let head = std::str::from_utf8(&b[i + 1..close]).map_err(|e| e.to_string())?;
                let n: usize = head.strip_suffix('+').ok_or("literal without +")?.parse().map_err(|_| "bad count")?;
                if b.get(close + 1..close + 3) != Some(b"\r\n") {
                    return Err("literal header not followed by CRLF".into());
                }
                let start = close + 3;
                let data = b.get(start..start + n).ok_or("literal shorter than its count")?;
                args.push(Arg::Literal(data.to_vec()));
                i = start + n;
            }
            Some(b'(') => {
                let close = b[i..].iter().position(|&c| c == b')').ok_or("no )")? + i;
                let inner = &b[i + 1..close];
                if inner.iter().any(|&c| c == b'\r' || c == b'\n' || c == b'"') {
                    return Err("bad list".into());
                }
                args.push(Arg::List(inner.to_vec()));
                i = close + 1;
            }
            Some(_) => {
                let end = b[i..].iter().position(|&c| c == b' ').map_or(b.len(), |p| p + i);
                let v = b[i..end].to_vec();
                if v.is_empty() || !v.iter().all(|&c| is_atom_char(c)) {
                    return Err(format!("bad atom {v:?}"));
                }
                args.push(Arg::Atom(v));
                i = end;
            }
            None => return Err("trailing SP".into()),
        }
    }
    Ok((name, args))
}

/// Arbitrary Unicode, weighted towards the characters that break IMAP syntax.
fn hostile() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\r', '\n', '\0', '"', '\\', '{', '}', '*', '%', ']', '(', ')', ' ', '&', '+', '-', '~',
    ]);
    prop::collection::vec(
        prop_oneof![3 => special, 2 => any::<char>(), 1 => "[a-zA-Z0-9]"
        .prop_map(|s| s.chars().next().unwrap_or('a'))],
        0..48,
    )
    .prop_map(String::from_iter)
}

#[test]
fn injection_attempt_in_a_mailbox_name_is_rejected() {
    let evil = "x\"\r\nA1 DELETE \"victim";
    assert_eq!(MailboxName::parse(evil), Err(EncodeError::Control("mailbox name")));
}

#[test]
fn quotes_and_backslashes_are_escaped_inside_one_argument() {
    let name = MailboxName::parse("a\"b\\c").expect("valid");
    assert_eq!(examine(&name).as_str(), "EXAMINE \"a\\\"b\\\\c\"");
}

#[test]
fn mailbox_names_go_out_as_modified_utf7() {
    let name = MailboxName::parse("Entwürfe").expect("valid");
    assert_eq!(select_condstore(&name, false).as_str(), "SELECT \"Entw&APw-rfe\"");
    let name = MailboxName::parse("A&B").expect("valid");
    assert_eq!(
        status(&name, &[StatusItem::Messages, StatusItem::UidNext]).as_str(),
        "STATUS \"A&-B\" (MESSAGES UIDNEXT)"
    );
}

#[test]
fn list_builds_return_options() {
    let opts = ListOptions {
        subscribed_only: true,
        return_subscribed: false,
        return_special_use: true,
        return_children: true,
        return_status: vec![StatusItem::Messages, StatusItem::Unseen],
    };
    assert_eq!(
        list(&ListPattern::all(), &opts).as_str(),
        "LIST (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE CHILDREN STATUS (MESSAGES UNSEEN))"
    );
}

#[test]
fn astring_picks_atom_quoted_or_literal() {
    assert_eq!(astring("alice", false, "x").as_deref(), Ok("alice"));
    assert_eq!(astring("a b", false, "x").as_deref(), Ok("\"a b\""));
    assert_eq!(astring("", false, "x").as_deref(), Ok("\"\""));
    assert_eq!(astring("pässword", false, "x"), Err(EncodeError::NeedsLiteral("x")));
    assert_eq!(astring("pässword", true, "x").as_deref(), Ok("{9+}\r\npässword"));
    assert_eq!(astring("a\0b", true, "x"), Err(EncodeError::Control("x")));
}

#[test]
fn atoms_reject_specials() {
    assert!(atom("$Label1", "keyword").is_ok());
    for bad in ["", "a b", "a(b", "a]", "a\"", "a\r\n", "a*", "ü"] {
        assert!(atom(bad, "keyword").is_err(), "{bad:?} accepted");
    }
}

proptest! {
    /// The document's keyword patterns accept exactly what `atom` (and the comma-separated
    /// APPEND list) accepts, length aside.
    #[test]
    fn the_atom_patterns_accept_what_atom_accepts(s in "[ -~\\x00\\x7f\\tü]{0,12}") {
        let one = regex::Regex::new(&atom_pattern()).expect("a valid regex");
        prop_assert_eq!(atom(&s, "keyword").is_ok(), one.is_match(&s), "{:?}", s);
        let list = regex::Regex::new(&atom_list_pattern(b',')).expect("a valid regex");
        // As APPEND's `keywords` query is read: trimmed items, empty ones skipped.
        let each_ok = s.split(',').map(str::trim).filter(|k| !k.is_empty()).all(|k| atom(k, "keyword").is_ok());
        prop_assert_eq!(each_ok, list.is_match(&s), "{:?}", s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_mailbox_name_yields_one_well_formed_command_or_an_error(name in hostile()) {
        let Ok(mailbox) = MailboxName::parse(&name) else { return Ok(()); };
        for cmd in [examine(&mailbox), select_condstore(&mailbox, false), create(&mailbox), delete(&mailbox),
                    status(&mailbox, &[StatusItem::Messages])] {
            let (verb, args) = parse_command(cmd.as_str()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(verb, cmd.name());
            prop_assert!(matches!(args[0], Arg::Quoted(_)));
            let wire = String::from_utf8(args[0].value().to_vec()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(mutf7::decode(&wire), name.clone());
            prop_assert!(!cmd.as_str().contains(['\r', '\n', '\0']));
        }
    }

    #[test]
    fn any_pattern_yields_one_list_command(pattern in hostile(), sub in any::<bool>()) {
        let Ok(p) = ListPattern::parse(&pattern) else { return Ok(()); };
        let opts = ListOptions { subscribed_only: sub, return_special_use: true, ..Default::default() };
        let (verb, args) = parse_command(list(&p, &opts).as_str()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(verb, "LIST");
        prop_assert_eq!(args.len(), if sub { 5 } else { 4 }, "(SUBSCRIBED)? \"\" pattern RETURN (...)");
    }

    #[test]
    fn any_string_argument_round_trips_through_astring(value in hostile(), plus in any::<bool>()) {
        let Ok(encoded) = astring(&value, plus, "value") else {
            prop_assert!(value.contains('\0') || (!plus && value.bytes().any(|b| b >= 0x80 || b == b'\r' || b == b'\n')));
            return Ok(());
        };
        let (_, args) = parse_command(&format!("LOGIN {encoded}")).map_err(TestCaseError::fail)?;
        prop_assert_eq!(args.len(), 1);
        prop_assert_eq!(args[0].value(), value.as_bytes());
    }
}

#[test]
fn names_taken_from_the_wire_go_back_byte_for_byte() {
    // `&b-` is not valid modified UTF-7; decoding and re-encoding would change it.
    let name = MailboxName::from_wire("a&b-c").expect("printable");
    assert_eq!(status(&name, &[StatusItem::Messages]).as_str(), "STATUS \"a&b-c\" (MESSAGES)");
    assert_eq!(MailboxName::from_wire("Entw&APw-rfe").expect("valid").as_str(), "Entwürfe");
    assert!(MailboxName::from_wire("Entwürfe").is_err(), "8-bit wire names are refused");
    assert!(MailboxName::from_wire("a\r\nb").is_err());
}

#[test]
fn fetch_commands_are_built_from_integers() {
    let items =
        [FetchItem::Uid, FetchItem::Flags, FetchItem::BodyPeek(Section::parse("1.2").expect("valid"), Some((0, 4096)))];
    assert_eq!(uid_fetch(&UidSet::one(42), &items).as_str(), "UID FETCH 42 (UID FLAGS BODY.PEEK[1.2]<0.4096>)");
    assert_eq!(
        uid_fetch(&UidSet::list(&[3, 1, 2]).expect("non-empty"), &[FetchItem::Uid]).as_str(),
        "UID FETCH 3,1,2 (UID)"
    );
    assert_eq!(uid_search_range(10, 59).as_str(), "UID SEARCH UID 10:59");
    assert_eq!(UidSet::list(&[]), None);
    assert_eq!(UidSet::ranges(&[0, 1, 2, 3, 3, 7, 9, 10]).expect("non-empty").as_text(), "1:3,7,9:10");
    assert_eq!(UidSet::ranges(&[0]), None);
    assert_eq!(uid_search_set(&UidSet::ranges(&[4, 5]).expect("set")).as_str(), "UID SEARCH UID 4:5");
    assert_eq!(
        uid_fetch_changed_since(77, true).as_str(),
        "UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE 77 VANISHED)"
    );
    assert_eq!(uid_fetch_changed_since(5, false).as_str(), "UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE 5)");
    assert_eq!(
        uid_fetch(&UidSet::one(7), &[FetchItem::BodyPeek(Section::whole(), None)]).as_str(),
        "UID FETCH 7 (BODY.PEEK[])"
    );
}

#[test]
fn sections_accept_only_dotted_numbers() {
    for ok in ["1", "1.2", "10.3.1"] {
        assert!(Section::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "0", "1.", ".1", "1..2", "01", "1.2]", "1 2", "HEADER", "1.MIME", "1\r\n", "9999999999"] {
        assert!(Section::parse(bad).is_err(), "{bad:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_search_string_stays_one_argument_of_one_command(text in hostile()) {
        use search::{Dialect, SearchKey as K};
        let d = Dialect { literal_plus: true };
        let keys = [
            K::Subject(text.clone()),
            K::Header("X-Tag".into(), text.clone()),
            K::Not(Box::new(K::Or(Box::new(K::Body(text.clone())), Box::new(K::Text(text.clone()))))),
        ];
        for key in keys {
            let Ok(cmd) = uid_search(&key, d) else {
                prop_assert!(text.contains('\0'));
                continue;
            };
            let (verb, args) = parse_command(cmd.as_str()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(verb, "UID");
            let values: Vec<&[u8]> = args.iter().map(Arg::value).collect();
            prop_assert!(values.iter().filter(|v| **v == text.as_bytes()).count() >= 1, "{:?}", cmd);
            prop_assert_eq!(values[0], b"SEARCH".as_slice());
        }
    }
}

#[test]
fn mailbox_management_commands() {
    let a = MailboxName::parse("Projekte/Entwürfe").expect("valid");
    let b = MailboxName::parse("Archiv \"alt\"").expect("valid");
    assert_eq!(create_with_role(&a, Role::Archive).as_str(), "CREATE \"Projekte/Entw&APw-rfe\" (USE (\\Archive))");
    assert_eq!(rename(&a, &b).as_str(), "RENAME \"Projekte/Entw&APw-rfe\" \"Archiv \\\"alt\\\"\"");
    assert_eq!(subscribe(&b).as_str(), "SUBSCRIBE \"Archiv \\\"alt\\\"\"");
    assert_eq!(unsubscribe(&a).as_str(), "UNSUBSCRIBE \"Projekte/Entw&APw-rfe\"");
    assert_eq!(Role::parse("sent"), Some(Role::Sent));
    assert_eq!(Role::parse("inbox"), None);
}

#[test]
fn store_commands_take_only_validated_flags() {
    let flags = [Flag::keyword("$seen").expect("ok"), Flag::keyword("$Work").expect("ok"), Flag::deleted()];
    assert_eq!(
        uid_store(&UidSet::list(&[3, 4]).expect("uids"), StoreMode::Add, &flags, Some(77)).as_str(),
        "UID STORE 3,4 (UNCHANGEDSINCE 77) +FLAGS.SILENT (\\Seen $Work \\Deleted)"
    );
    assert_eq!(uid_store(&UidSet::one(1), StoreMode::Replace, &[], None).as_str(), "UID STORE 1 FLAGS.SILENT ()");
    assert_eq!(
        uid_store_reporting(&UidSet::one(9), StoreMode::Remove, &[Flag::deleted()], Some(5)).as_str(),
        "UID STORE 9 (UNCHANGEDSINCE 5) -FLAGS (\\Deleted)"
    );
    for bad in ["\\Deleted", "a b", "x)", "", "\\Seen"] {
        assert!(Flag::keyword(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn append_heads_count_the_exact_bytes() {
    let mb = MailboxName::parse("Sent").expect("valid");
    let date = chrono::DateTime::parse_from_rfc3339("2026-11-03T09:15:02+01:00").expect("date");
    let (cmd, sync) = append_head(&mb, &[Flag::keyword("$seen").expect("ok")], Some(&date), 1234, true);
    assert_eq!(cmd.as_str(), "APPEND \"Sent\" (\\Seen) \"03-Nov-2026 09:15:02 +0100\" {1234+}");
    assert!(!sync);
    let (cmd, sync) = append_head(&mb, &[], None, 5, false);
    assert_eq!(cmd.as_str(), "APPEND \"Sent\" {5}");
    assert!(sync);
}

#[test]
fn a_name_is_never_a_pattern() {
    let opts = ListOptions::default();
    let name = |n: &str| MailboxName::parse(n).expect("valid");
    assert_eq!(list(&ListPattern::matching(&name("Keep")), &opts).as_str(), "LIST \"\" \"Keep\"");
    assert_eq!(list(&ListPattern::below(&name("Keep"), "/"), &opts).as_str(), "LIST \"\" \"Keep/*\"");
    // a wildcard in a caller's name never reaches LIST as a wildcard of its own: the pattern is
    // the literal text before it, then `*`, and the caller keeps only exact matches
    assert_eq!(list(&ListPattern::matching(&name("%")), &opts).as_str(), "LIST \"\" \"*\"");
    assert_eq!(list(&ListPattern::below(&name("a%b"), "/"), &opts).as_str(), "LIST \"\" \"a*\"");
    assert_eq!(list(&ListPattern::below(&name("Ü*"), "."), &opts).as_str(), "LIST \"\" \"&ANw-*\"");
}

#[test]
fn long_names_and_components_are_refused_with_their_limit() {
    let long = "a".repeat(256);
    assert_eq!(MailboxName::parse(&long), Err(EncodeError::ComponentTooLong { limit: 255 }));
    assert!(MailboxName::parse(&"a".repeat(255)).is_ok());
    assert!(MailboxName::parse(&format!("{0}/{0}/{0}", "a".repeat(255))).is_ok(), "each component fits");
    assert_eq!(MailboxName::parse(&format!("x.{long}")), Err(EncodeError::ComponentTooLong { limit: 255 }));
    // measured as the server stores it: 100 × ü is 200 bytes of UTF-8 but 271 of modified UTF-7
    assert_eq!(MailboxName::parse(&"ü".repeat(100)), Err(EncodeError::ComponentTooLong { limit: 255 }));
    assert_eq!(
        MailboxName::parse(&["b"; 600].join("/")),
        Err(EncodeError::NameTooLong { limit: 1000 }),
        "1199 bytes in total"
    );
    assert_eq!(ListPattern::parse(&long), Err(EncodeError::ComponentTooLong { limit: 255 }));
}
