// Builds dist/ (checked in, embedded in the gateway at /app/): one minified ES module bundle,
// the stylesheet and the page, byte for byte the same from the same sources.
//   node build.mjs [OUT_DIR]   (default dist)
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = process.argv[2] ?? "dist";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  outfile: `${out}/app.js`,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync("index.html", `${out}/index.html`);
copyFileSync("app.css", `${out}/app.css`);
