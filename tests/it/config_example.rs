//! `config/gateway.example.toml`: it loads, it gives the defaults, and it names every setting.

use std::{collections::BTreeSet, path::Path};

use imap_gateway::Settings;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gateway.example.toml")
}

/// Every dotted key of a TOML table (tables themselves included).
fn keys(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let toml::Value::Table(t) = value {
        for (k, v) in t {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            keys(v, &key, out);
            out.insert(key);
        }
    }
}

#[test]
fn the_example_config_names_every_setting_with_its_default() {
    let text = std::fs::read_to_string(example()).expect("config/gateway.example.toml");
    let written: toml::Value = toml::from_str(&text).expect("the example is TOML");
    let defaults = toml::Value::try_from(Settings::default()).expect("defaults as TOML");
    let (mut have, mut want) = (BTreeSet::new(), BTreeSet::new());
    keys(&written, "", &mut have);
    keys(&defaults, "", &mut want);
    let missing: Vec<&String> = want.difference(&have).collect();
    let unknown: Vec<&String> = have.difference(&want).collect();
    assert!(missing.is_empty(), "settings the example leaves out: {missing:?}");
    assert!(unknown.is_empty(), "keys the example has that are no settings: {unknown:?}");
    // Loaded as the gateway loads a file, it gives exactly the defaults.
    let loaded = Settings::load(Some(&example())).expect("the gateway loads it");
    let as_json = |s: &Settings| serde_json::to_value(s).expect("json");
    assert_eq!(as_json(&loaded), as_json(&Settings::default()), "the example's values are the defaults");
}

#[test]
fn the_example_settings_that_are_commented_out_load_when_given() {
    let text = std::fs::read_to_string(example()).expect("config/gateway.example.toml");
    // `# key = value` lines and `# [table]` headers, uncommented; prose comments stay.
    let given: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with('[') || rest.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) => {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(given.contains("\njwt_secret = ") && given.contains("\n[oauth.providers.google]"), "{given}");
    let dir = std::env::temp_dir().join(format!("igw-test-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("all.toml");
    std::fs::write(&path, &given).expect("write");
    let loaded = Settings::load(Some(&path));
    std::fs::remove_dir_all(&dir).expect("clean up");
    let loaded = loaded.expect("every setting of the example loads");
    assert_eq!(loaded.imap.port, Some(993));
    assert_eq!(loaded.smtp.host.as_deref(), Some("smtp.example.org"));
    assert!(loaded.oauth.providers.contains_key("google"));
}

#[test]
#[ignore = "prints the defaults as TOML, to start an example from"]
fn print_the_defaults() {
    println!("{}", toml::to_string(&Settings::default()).expect("toml"));
}
