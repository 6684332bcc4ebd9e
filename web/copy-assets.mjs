// Copy the browser files ExoKG's pages use from node_modules into the Flask app's
// static folder (server/static/vendor/ by default; a target folder may be given), with
// manifest.json (package and version of each file) and LICENSES.txt (the licence of every
// package in the lock, since the minified bundles include their dependencies).
// Run by tools/update-web-assets after `npm ci`; the copied files are committed.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = resolve(process.argv[2] || join(here, "..", "server", "static", "vendor"));

// [package, file in the package, name in vendor/]
const FILES = [
  ["@zazuko/yasqe", "build/yasqe.min.js", "yasqe.min.js"],
  ["@zazuko/yasqe", "build/yasqe.min.css", "yasqe.min.css"],
  ["cytoscape", "dist/cytoscape.min.js", "cytoscape.min.js"],
];

mkdirSync(target, { recursive: true });
const manifest = {};
for (const [pkg, file, name] of FILES) {
  const root = join(here, "node_modules", pkg);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  // drop the source-map comment: the maps are not shipped, so browsers would ask for a 404
  const text = readFileSync(join(root, file), "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+(\s*\*\/)?\s*$/, "\n");
  writeFileSync(join(target, name), text);
  manifest[name] = { package: pkg, version, file };
}
writeFileSync(join(target, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));
const sections = [];
for (const key of Object.keys(lock.packages).filter((k) => k).sort()) {
  const root = join(here, key);
  const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const files = readdirSync(root).filter((f) => /^(licen[cs]e|copying)/i.test(f) && !f.endsWith(".mjs")).sort();
  const texts = files.map((f) => readFileSync(join(root, f), "utf8").trim());
  const license = typeof meta.license === "string" ? meta.license : JSON.stringify(meta.license);
  sections.push(`${meta.name} ${meta.version}\nLicense: ${license}\n` +
    (texts.length ? "\n" + texts.join("\n\n") : "\n(the package ships no licence file; its package.json names the licence above)") + "\n");
}
writeFileSync(join(target, "LICENSES.txt"),
  "Third-party browser assets shipped with ExoKG (server/static/vendor/), from npm,\n" +
  "pinned in web/package-lock.json. Each package's licence follows.\n\n" +
  sections.join("\n" + "-".repeat(72) + "\n\n"));
console.log(`copied ${FILES.length} files and ${sections.length} licences to ${target}`);
