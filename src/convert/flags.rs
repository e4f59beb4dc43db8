//! FLAGS to keywords: `\Seen` → `$seen`, keywords lower-cased, `\Deleted` → `deleted`,
//! `\Recent` dropped (api-model §2.3). The original flags stay in `imap.flags`.

use std::collections::BTreeMap;

/// (keywords, deleted)
pub fn keywords<S: AsRef<str>>(flags: &[S]) -> (BTreeMap<String, bool>, bool) {
    let mut out = BTreeMap::new();
    let mut deleted = false;
    for f in flags {
        let f = f.as_ref();
        match f.to_ascii_lowercase().as_str() {
            "\\deleted" => deleted = true,
            "\\recent" | "\\*" => {}
            "\\seen" => drop(out.insert("$seen".into(), true)),
            "\\answered" => drop(out.insert("$answered".into(), true)),
            "\\flagged" => drop(out.insert("$flagged".into(), true)),
            "\\draft" => drop(out.insert("$draft".into(), true)),
            other if other.starts_with('\\') => {}
            other => drop(out.insert(other.to_string(), true)),
        }
    }
    (out, deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_and_keywords_map() {
        let (k, deleted) = keywords(&["\\Seen", "\\Flagged", "$Forwarded", "Project-X", "\\Deleted", "\\Recent"]);
        assert!(deleted);
        let names: Vec<&str> = k.keys().map(String::as_str).collect();
        assert_eq!(names, ["$flagged", "$forwarded", "$seen", "project-x"]);
    }
}
