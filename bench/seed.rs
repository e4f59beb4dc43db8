//! Seeds Dovecot Maildir folders by writing message files directly: 100,000 messages take
//! seconds, and Dovecot indexes a folder on its first access.

use std::{
    fs::{self, File},
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

/// Seconds since the epoch of the first seeded message (2025-01-01T00:00:00Z); the next one is
/// five minutes later, and so on.
pub const FIRST_DATE: u64 = 1_735_689_600;
/// Seconds between two seeded messages.
pub const STEP: u64 = 300;

const NAMES: [(&str, &str); 8] = [
    ("Alice Example", "alice"),
    ("Bob Sample", "bob"),
    ("Carol Test", "carol"),
    ("Dave Demo", "dave"),
    ("Eve Trial", "eve"),
    ("Frank Müller", "frank"),
    ("Grace Hopper", "grace"),
    ("Heidi Klum", "heidi"),
];
const TOPICS: [&str; 6] =
    ["Quarterly report", "Lunch on Friday?", "Re: build failures", "Invoice 2025-", "Your order has shipped", "Agenda"];
pub const LINE: &str = "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.";

/// A deterministic little generator, so every run seeds the same mailboxes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1)
    }
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn folder(root: &Path, name: &str) -> std::io::Result<PathBuf> {
    maildir_dirs(root.join(format!(".{name}")))
}

/// `dir` with its `cur`, `new` and `tmp`.
fn maildir_dirs(dir: PathBuf) -> std::io::Result<PathBuf> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(dir)
}

fn write_file(dir: &Path, i: u64, flags: &str, date: u64, body: &[u8]) -> std::io::Result<()> {
    let path = dir.join("cur").join(format!("{date}.M{i}P1.bench,S={}:2,{flags}", body.len()));
    let mut f = BufWriter::new(File::create(&path)?);
    f.write_all(body)?;
    let f = f.into_inner().map_err(|e| e.into_error())?;
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(date))
}

fn rfc2822(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// Messages per thread: every message but the first of four replies to the one before it.
pub const THREAD_LENGTH: u64 = 4;

/// One realistic message: plain text (60 %), text and HTML alternatives (30 %), or text with a
/// small PDF attachment (10 %); in threads of [`THREAD_LENGTH`], replies with In-Reply-To and
/// References.
pub fn message(i: u64, rng: &mut Rng) -> Vec<u8> {
    let (name, user) = NAMES[(i % NAMES.len() as u64) as usize];
    let date = FIRST_DATE + i * STEP;
    let root = i - i % THREAD_LENGTH;
    let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
    let (subject, replies) = match i - root {
        0 => (format!("{topic} {i}"), String::new()),
        _ => {
            let refs: Vec<String> = (root..i).map(|r| format!("<bench-{r}@example.com>")).collect();
            (
                format!("Re: {topic} {root}"),
                format!("In-Reply-To: <bench-{}@example.com>\r\nReferences: {}\r\n", i - 1, refs.join("\r\n ")),
            )
        }
    };
    let lines = 8 + rng.below(40) as usize;
    let text: String = (0..lines).map(|n| format!("{n:02} {LINE}\r\n")).collect();
    let mut m = format!(
        "Return-Path: <{user}@example.com>\r\nDate: {}\r\nFrom: {name} <{user}@example.com>\r\n\
         To: Alice <alice@example.org>\r\nSubject: {subject}\r\nMessage-ID: <bench-{i}@example.com>\r\n\
         {replies}MIME-Version: 1.0\r\n",
        rfc2822(date)
    );
    match rng.below(10) {
        0..=5 => m.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{text}")),
        6..=8 => m.push_str(&format!(
            "Content-Type: multipart/alternative; boundary=\"alt-{i}\"\r\n\r\n--alt-{i}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--alt-{i}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{}</p></body></html>\r\n--alt-{i}--\r\n",
            text.replace("\r\n", "<br>")
        )),
        _ => {
            let pdf = base64_lines(&vec![b'%'; 3000]);
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"mix-{i}\"\r\n\r\n--mix-{i}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--mix-{i}\r\n\
                 Content-Type: application/pdf; name=\"report-{i}.pdf\"\r\n\
                 Content-Disposition: attachment; filename=\"report-{i}.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{pdf}--mix-{i}--\r\n"
            ));
        }
    }
    m.into_bytes()
}

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Writes `count` realistic messages into the folder `name` (70 % of them `\Seen`).
pub fn realistic(root: &Path, name: &str, count: u64) -> std::io::Result<()> {
    fill(&folder(root, name)?, count)
}

/// Messages in the INBOX of each of the many accounts.
pub const ACCOUNT_INBOX: u64 = 20;

/// Gives each of `users` an INBOX of the same [`ACCOUNT_INBOX`] realistic messages: the
/// first one's files, hard-linked into the others' (Dovecot never changes a Maildir file, it
/// renames it to change flags, which moves only that account's link), so that 10,000 INBOXes
/// cost directory entries, not 200,000 files to write back to disk.
pub fn accounts(users: &[String]) -> std::io::Result<()> {
    let Some((first, others)) = users.split_first() else { return Ok(()) };
    let inbox = |user: &str| maildir_dirs(crate::servers::maildir(user));
    let source = inbox(first)?;
    fill(&source, ACCOUNT_INBOX)?;
    let files: Vec<_> =
        fs::read_dir(source.join("cur"))?.map(|e| e.map(|e| e.file_name())).collect::<Result<_, _>>()?;
    for user in others {
        let cur = inbox(user)?.join("cur");
        for f in &files {
            fs::hard_link(source.join("cur").join(f), cur.join(f))?;
        }
    }
    Ok(())
}

/// Writes `count` realistic messages into the Maildir folder `dir`.
fn fill(dir: &Path, count: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(count);
    for i in 0..count {
        let flags = match rng.below(10) {
            0..=5 => "S",
            6 => "FS",
            _ => "",
        };
        write_file(dir, i, flags, FIRST_DATE + i * STEP, &message(i, &mut rng))?;
    }
    Ok(())
}

/// Writes `count` messages of about 100 KB of plain text each into the folder `name`.
pub fn large(root: &Path, name: &str, count: u64) -> std::io::Result<()> {
    let dir = folder(root, name)?;
    let text: String = (0..1300).map(|n| format!("{n:04} {LINE}\r\n")).collect();
    for i in 0..count {
        let m = format!(
            "Date: {}\r\nFrom: Bob Sample <bob@example.com>\r\nTo: alice@example.org\r\n\
             Subject: Large {i}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}",
            rfc2822(FIRST_DATE + i * STEP)
        );
        write_file(&dir, i, "S", FIRST_DATE + i * STEP, m.as_bytes())?;
    }
    Ok(())
}

/// Writes one message whose second part is an attachment of `size` bytes (base64 on the wire).
pub fn attachment(root: &Path, name: &str, size: usize) -> std::io::Result<()> {
    let dir = folder(root, name)?;
    let mut rng = Rng::new(7);
    let data: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
    let m = format!(
        "Date: {}\r\nFrom: Bob Sample <bob@example.com>\r\nTo: alice@example.org\r\nSubject: The big file\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nAttached.\r\n--b\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n\
         Content-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--b--\r\n",
        rfc2822(FIRST_DATE),
        base64_lines(&data)
    );
    write_file(&dir, 0, "S", FIRST_DATE, m.as_bytes())
}
