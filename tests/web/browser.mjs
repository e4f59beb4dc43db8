// The web client (/app/) in Debian's chromium, driven by puppeteer-core: the steps a person
// takes, each printed as one `name: value` line for tests/it/web.rs, which checks them against
// IMAP. A line `wait: append` asks the Rust side to append a message by IMAP; it answers
// `appended` on stdin.
//
// Environment: IGW_WEB_DEPS (web/'s installed packages), CHROMIUM, GATEWAY_URL, GATEWAY_USER,
// GATEWAY_PASSWORD, WEB_SUBJECTS (JSON: the subjects the steps look for), WEB_SCREENSHOTS (dir),
// WEB_DOWNLOADS (dir).
import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import path from "node:path";

const env = (k) => process.env[k] ?? (() => { throw new Error(`${k} is not set`); })();
const deps = env("IGW_WEB_DEPS");
const require = createRequire(path.join(deps, "package.json"));
const puppeteer = (await import(require.resolve("puppeteer-core"))).default;
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const base = env("GATEWAY_URL").replace(/\/$/, "");
const origin = new URL(base).origin;
const subjects = JSON.parse(env("WEB_SUBJECTS"));
const shots = env("WEB_SCREENSHOTS");
const downloads = env("WEB_DOWNLOADS");
mkdirSync(shots, { recursive: true });
mkdirSync(downloads, { recursive: true });

const out = (name, value) => console.log(`${name}: ${value}`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const browser = await puppeteer.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
try {
  await run();
} catch (e) {
  // What the page showed when a step failed.
  const page = (await browser.pages()).at(-1);
  if (page) {
    await page.screenshot({ path: path.join(shots, "failure.png") }).catch(() => {});
    const shown = await page.evaluate(() => ({
      reader: document.querySelector("#reader h2")?.textContent,
      status: document.querySelector("#status")?.textContent,
      rows: [...document.querySelectorAll("#messages .subject")].slice(0, 8).map((r) => r.textContent),
    })).catch(() => ({}));
    console.error(`failed step; page: ${JSON.stringify(shown)}`);
  }
  throw e;
} finally {
  await browser.close();
}
// stdin stays open (the Rust side may still hold it): leave without waiting for it.
process.exit(0);

async function run() {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  // Everything the page asks the network for, and everything it logs.
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  // Every token the gateway hands the page, to prove none of them ever goes in a URL.
  const tokens = [];
  page.on("response", async (r) => {
    if (!/\/v1\/auth\/(login|refresh)$/.test(r.url())) return;
    const body = await r.json().catch(() => ({}));
    for (const k of ["accessToken", "refreshToken"]) if (body[k]) tokens.push(body[k]);
  });
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(m.text()));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  const cdp = await browser.target().createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });

  await page.goto(`${base}/app/`, { waitUntil: "networkidle0" });
  out("axe-login", await axe(page));

  // 7. A wrong password: the problem's text on the page.
  await page.type("#username", env("GATEWAY_USER"));
  await page.type("#password", "not-the-password");
  await page.click("#login button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#login-error")?.textContent?.trim());
  out("wrong-password", await page.$eval("#login-error", (e) => e.textContent.trim()));

  // 1. Log in: the list, and INBOX's counts.
  await page.$eval("#password", (e) => (e.value = ""));
  await page.type("#password", env("GATEWAY_PASSWORD"));
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#messages li.row");
  await page.waitForFunction(() => window.igwTimings.length > 0);
  out("inbox", await page.$eval("#list-count", (e) => e.textContent.trim()));
  out("inbox-unread", await page.$eval('[data-mailbox="INBOX"]', (e) => e.querySelector(".unread")?.firstChild?.textContent ?? "0"));
  out("rows", await page.$$eval("#messages li.row", (rows) => rows.length));
  await page.screenshot({ path: path.join(shots, "list.png") });

  // Infinite scroll: the next page by cursor when the end of the list comes into view.
  await page.$eval("#more", (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.querySelectorAll("#messages li.row").length > 50, { timeout: 10_000 });
  out("rows-after-scroll", await page.$$eval("#messages li.row", (rows) => rows.length));

  // 2. The message with an inline image and an attachment.
  await openBySubject(page, subjects.inline);
  await page.waitForFunction(
    () => [...document.querySelectorAll("#reader .mail-body img")].some((i) => i.complete && i.naturalWidth > 0),
    { timeout: 10_000 },
  );
  out("image", await page.$eval("#reader .mail-body img", (i) => `${i.naturalWidth}x${i.naturalHeight} ${i.src.split(":")[0]}`));
  await page.screenshot({ path: path.join(shots, "reading.png") });
  const attachment = await page.waitForFunction(
    () => [...document.querySelectorAll("#reader button.download")].find((b) => b.textContent.startsWith("data.bin")),
  );
  await attachment.click();
  const file = await downloaded();
  const bytes = readFileSync(path.join(downloads, file));
  out("download", `${file} ${bytes.length} ${createHash("sha256").update(bytes).digest("hex")}`);
  await page.click("#reader details.parts summary");
  await page.waitForSelector("#reader details.parts ul");
  out("parts", await page.$$eval("#reader details.parts li", (l) => l.length));
  out("axe-app", await axe(page));

  // 3. A message appended by another IMAP client shows up without a reload.
  out("wait", "append");
  await lines.next();
  const t0 = Date.now();
  await page.waitForFunction(
    (s) => [...document.querySelectorAll("#messages .subject")].some((e) => e.textContent === s),
    { timeout: 2_000 },
    subjects.live,
  );
  out("live", `${Date.now() - t0} ms`);
  out("live-position", await page.$eval("#messages li.row .subject", (e) => e.textContent));

  // 4. Search by sender with the filter builder.
  await page.keyboard.press("Escape");
  await page.focus("body");
  await page.keyboard.press("/");
  out("slash-focus", await page.evaluate(() => document.activeElement?.id));
  await page.type("#search-from", subjects.sender);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /found/.test(document.querySelector("#status")?.textContent ?? ""));
  out("search", (await page.$$eval("#messages li.row", (r) => r.map((e) => Number(e.dataset.uid)))).sort((a, b) => a - b).join(","));
  await page.click("#search-clear");
  await page.waitForFunction(() => document.querySelectorAll("#messages li.row").length >= 50);

  // Keyboard: j, j, k, then Enter opens the second message.
  await page.focus("#messages li.row button");
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#reader h2");
  out("keys", await page.evaluate(() => {
    const second = document.querySelectorAll("#messages .subject")[1]?.textContent;
    return `${document.querySelector("#reader h2")?.textContent === second ? "second opened" : "other"}`;
  }));

  // 5. Flag one message, move another.
  await openBySubject(page, subjects.flag);
  const flaggedUid = await selectedUid(page);
  await page.click("#flag");
  await page.waitForSelector('#flag[aria-pressed="true"]');
  out("flagged", flaggedUid);
  await openBySubject(page, subjects.move);
  const movedUid = await selectedUid(page);
  await page.select("#move-to", subjects.moveTo);
  await page.click("#move");
  await page.waitForFunction((uid) => !document.querySelector(`#messages li[data-uid="${uid}"]`), {}, movedUid);
  out("moved", `${movedUid} to ${subjects.moveTo}`);
  await openBySubject(page, subjects.remove);
  const deletedUid = await selectedUid(page);
  await page.click("#delete");
  await page.waitForFunction((uid) => !document.querySelector(`#messages li[data-uid="${uid}"]`), {}, deletedUid);
  out("deleted", deletedUid);

  // 6. Hostile HTML: nothing runs, nothing remote loads.
  const before = requests.length;
  await openBySubject(page, subjects.hostile);
  await page.waitForSelector("#reader .mail-body");
  await new Promise((r) => setTimeout(r, 1_000));
  const outside = requests.slice(before).filter((u) => !u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:"));
  const ran = consoleLines.filter((l) => l.includes("PWNED")).length + (await page.evaluate(() => (window.pwned ? 1 : 0)));
  out("hostile", `outside requests ${outside.length} [${outside.join(" ")}], executed ${ran}`);
  out("hostile-text", await page.$eval("#reader .mail-body", (e) => e.textContent.replace(/\s+/g, " ").trim().slice(0, 80)));

  // Compose: a reply saved as a draft.
  await page.click("#reply");
  await page.waitForSelector("dialog#compose[open]");
  await page.type("#compose-text", "A reply from the browser test.");
  await page.screenshot({ path: path.join(shots, "compose.png") });
  await page.click("#compose-draft");
  await page.waitForFunction(() => /Draft saved/.test(document.querySelector("#status")?.textContent ?? ""));
  out("draft", await page.$eval("#status", (e) => e.textContent));
  out("draft-subject", `Re: ${subjects.hostile}`);

  // Send: a new message to the account's own address (saved in Sent).
  await page.click("#compose-open");
  await page.waitForSelector("dialog#compose[open]");
  await page.type("#compose-to", subjects.self);
  await page.type("#compose-subject", subjects.sent);
  await page.type("#compose-text", "Sent from the browser test.");
  await page.click("#compose-send");
  await page.waitForFunction(() => /^Sent to/.test(document.querySelector("#status")?.textContent ?? ""), { timeout: 20_000 });
  out("sent", await page.$eval("#status", (e) => e.textContent));

  // Tokens: in memory only, never in storage, a cookie or a URL; the refresh token is spent
  // before the access token expires, and the page goes on working with the new pair.
  out("storage", await page.evaluate(() => `${localStorage.length} ${sessionStorage.length} ${document.cookie.length}`));
  const refreshes = () => requests.filter((u) => u.endsWith("/v1/auth/refresh")).length;
  const until = Date.now() + 90_000;
  while (!refreshes() && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
  out("refreshes", refreshes());
  await openBySubject(page, subjects.flag);
  out("after-refresh", await page.$eval("#reader h2", (e) => e.textContent));
  out("token-in-url", requests.filter((u) => tokens.some((t) => u.includes(t))).length);

  out("timings", JSON.stringify(await page.evaluate(() => window.igwTimings)));
  out("console-errors", consoleLines.filter((l) => /pageerror|Uncaught/.test(l)).length);
  out("done", "ok");
  lines.return?.();
}

async function openBySubject(page, subject) {
  // A live event may re-render the list between finding the row and clicking it: the button
  // found is then detached, and the row is looked up again.
  for (let attempt = 1; ; attempt++) {
    const button = await page.waitForFunction(
      (s) => [...document.querySelectorAll("#messages li.row")].find((r) => r.querySelector(".subject")?.textContent === s)?.querySelector("button"),
      { timeout: 10_000 },
      subject,
    );
    try {
      await button.click();
      break;
    } catch (e) {
      if (attempt >= 5 || !String(e).includes("detached")) throw e;
    }
  }
  await page.waitForFunction((s) => document.querySelector("#reader h2")?.textContent === s, { timeout: 10_000 }, subject);
}

async function selectedUid(page) {
  const [current, open] = await page.evaluate(() => [
    document.querySelector('#messages button.open[aria-current="true"]')?.closest("li")?.dataset.uid,
    document.querySelector("#reader")?.dataset.uid,
  ]);
  if (current !== open) throw new Error(`the selected row (${current}) is not the open message (${open})`);
  return open;
}

async function downloaded() {
  for (let i = 0; i < 100; i++) {
    const done = existsSync(downloads) && readdirSync(downloads).filter((f) => !f.endsWith(".crdownload"));
    if (done && done.length) return done[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no download within 10 s");
}

/** axe-core on the page as it is: "serious N, critical N, total N [ids]". */
async function axe(page) {
  await page.evaluate(axeSource);
  const v = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((x) => [x.id, x.impact, x.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")]),
  );
  const count = (impact) => v.filter((x) => x[1] === impact).length;
  return `serious ${count("serious")}, critical ${count("critical")}, total ${v.length} [${v.map((x) => `${x[0]} (${x[2]})`).join("; ")}]`;
}
