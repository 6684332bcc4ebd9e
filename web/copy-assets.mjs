// Copy the browser files ExoKG's pages use from node_modules into the Flask app's
// static folder (server/static/vendor/ by default; a target folder may be given).
// Run by setup.py after `npm ci`; by hand: `npm ci && npm run copy`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
console.log(`copied ${FILES.length} files to ${target}`);
