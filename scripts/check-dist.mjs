/// <reference types="node" />
// Checks that a built folder is self-contained: every URL in its HTML, CSS and JavaScript
// is relative (no leading '/', no scheme, no protocol-relative '//'), and every relative
// file it names exists. Usage: node scripts/check-dist.mjs dist
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';

const root = process.argv[2] || 'dist';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
})(root);

const problems = [];
const patterns = [
  /(?:src|href|poster)\s*=\s*"([^"]*)"/g, // HTML attributes (and the deck's data-poster)
  /url\(\s*['"]?([^'")]*)['"]?\s*\)/g, // CSS
  /(?:import|from)\s*\(?\s*'([^']*)'/g, // ES module imports
  /new URL\(\s*'([^']*)'/g, // worker and asset URLs
];
for (const file of files.filter((f) => /\.(html|css|js)$/.test(f))) {
  const text = readFileSync(file, 'utf8');
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const url = m[1];
      if (url === '' || url.startsWith('data:') || url.startsWith('#') || url.startsWith('blob:')) continue;
      if (/^[a-z]+:/i.test(url) || url.startsWith('/')) {
        problems.push(`${relative(root, file)}: absolute URL ${url}`);
        continue;
      }
      if (url.includes('${')) continue; // a template, checked where it is filled in
      const target = join(dirname(file), url.split(/[?#]/)[0]);
      if (!existsSync(target)) problems.push(`${relative(root, file)}: ${url} does not exist`);
    }
  }
}
if (problems.length) {
  console.error(`check-dist: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-dist: ${files.length} files, every URL relative and present`);
