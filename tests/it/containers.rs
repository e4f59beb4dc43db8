//! The container files, checked without a container engine: `docker-compose config` validates
//! the compose file (and refuses a broken one), and the Dockerfile and nginx configuration are
//! read for the properties they promise.

use std::process::Command;

fn compose_config(file: &std::path::Path) -> std::process::Output {
    Command::new("docker-compose")
        .arg("-f")
        .arg(file)
        .arg("config")
        .env("IMAP_GATEWAY__AUTH__JWT_SECRET", "a-secret-for-validation-only-0123456789")
        .env("IMAP_GATEWAY__AUTH__ENCRYPTION_KEY", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
        .output()
        .expect("docker-compose (scripts/test installs it)")
}

#[test]
fn the_compose_file_is_valid_and_wires_two_gateways_behind_nginx() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = compose_config(&root.join("docker-compose.yml"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for service in ["gateway-a:", "gateway-b:", "nginx:", "postgres:", "dovecot:"] {
        assert!(text.contains(&format!("  {service}")), "service {service}\n{text}");
    }
    assert!(text.matches("condition: service_healthy").count() >= 4, "depends_on waits for health\n{text}");
    assert!(text.matches("healthcheck:").count() >= 4, "{text}");
    assert!(text.contains("postgres://"), "the gateways share PostgreSQL");
    // A broken file is refused, so the check above can fail.
    let broken = std::env::temp_dir().join(format!("igw-compose-{}.yml", uuid::Uuid::new_v4()));
    std::fs::write(&broken, "services:\n  x:\n    image: a\n    depends_on:\n      y:\n        condition: nonsense\n")
        .expect("write");
    assert!(!compose_config(&broken).status.success());
    let _ = std::fs::remove_file(broken);
}

#[test]
fn the_dockerfile_and_nginx_keep_their_promises() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let froms = lines.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(froms >= 2, "multi-stage");
    let deps_layer = lines.iter().position(|l| l.starts_with("COPY Cargo.toml Cargo.lock"));
    let src_layer = lines.iter().position(|l| l.starts_with("COPY src/"));
    assert!(
        deps_layer.is_some_and(|d| src_layer.is_some_and(|s| d < s)),
        "dependencies are built before the sources are copied"
    );
    // Every target file the manifest declares exists in the dependency layer (a stub), or cargo
    // cannot load the manifest there.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    for path in manifest.lines().filter_map(|l| l.trim().strip_prefix("path = \"")).map(|p| p.trim_end_matches('"')) {
        assert!(dockerfile.contains(&format!("> {path}")), "the dependency layer stubs {path}");
    }
    let user = lines.iter().rev().find(|l| l.starts_with("USER ")).expect("USER");
    assert!(!user.contains("root") && *user != "USER 0", "runs as non-root: {user}");
    assert!(lines.iter().any(|l| l.starts_with("HEALTHCHECK ")), "HEALTHCHECK");
    let nginx = std::fs::read_to_string(root.join("docker/nginx/nginx.conf")).expect("nginx.conf");
    assert!(nginx.contains("hash $http_authorization consistent;"), "consistent hashing on Authorization");
    assert!(nginx.contains("proxy_set_header X-Real-IP $remote_addr;"), "the client IP the login limiter uses");
}
