/**
 * The README's sample runs (no root, the bundled capture) work as written:
 * each exits 0 and writes something, and nothing on standard error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const samples = readme.split('\n').filter((l) => /^ {4}\.\/bin\/trk-[a-z]+\.js .*samples\/sample\.pcap/.test(l)).map((l) => l.trim());

test("the README's sample runs on samples/sample.pcap work as written", () => {
  assert.ok(samples.length >= 4, `found ${samples.length} sample lines in the README`);
  for (const line of samples) {
    const [bin, ...args] = line.split(/\s+/);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, bin!), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.equal(r.status, 0, `${line}: ${r.stderr}`);
    assert.equal(r.stderr, '', line);
    assert.ok(r.stdout.trim().split('\n').length >= 2, `${line} wrote: ${r.stdout}`);
  }
});
