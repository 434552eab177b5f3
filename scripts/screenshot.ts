/**
 * The README's picture of trk-report: the report of the bundled sample
 * capture (samples/sample.pcap, local networks 10.10.1.0/24 and
 * 2001:db8:10::/64), rendered by Debian's chromium headless and saved as
 * docs/trk-report.png. `npm run screenshot`; `-o FILE` writes elsewhere.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserUnavailable, closeBrowser, withPage } from '../test/helpers/browser.js';
import { BIN, REPO_ROOT } from '../test/helpers/paths.js';

const SAMPLE = path.join(REPO_ROOT, 'samples', 'sample.pcap');
const NETS = ['--net', '10.10.1.0/24', '--net', '2001:db8:10::/64'];
/** Above this the picture is too heavy for a README: say so. */
const MAX_BYTES = 300_000;

async function main(): Promise<number> {
  const o = process.argv.indexOf('-o');
  const out = path.resolve(o === -1 ? path.join(REPO_ROOT, 'docs', 'trk-report.png') : (process.argv[o + 1] ?? ''));
  const why = browserUnavailable();
  if (why) {
    console.error(`screenshot: ${why}`);
    return 1;
  }
  if (!fs.existsSync(BIN('trk-report'))) {
    console.error(`screenshot: ${BIN('trk-report')} is missing: trk-report is not built into this tree`);
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-screenshot-'));
  try {
    const html = path.join(dir, 'report.html');
    // UTC, so the picture does not change with the machine that makes it
    const r = spawnSync(process.execPath, [BIN('trk-report'), '-r', SAMPLE, ...NETS, '-o', html], {
      env: { ...process.env, TZ: 'UTC' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) {
      console.error(`screenshot: trk-report failed: ${(r.stderr || r.error?.message || '').trim()}`);
      return 1;
    }
    await withPage(
      html,
      async (p) => {
        const problems = p.problems();
        if (problems.length > 0) console.error(`screenshot: the page logged:\n  ${problems.join('\n  ')}`);
        await p.screenshotTo(out);
      },
      { width: 1200, height: 800 },
    );
  } finally {
    await closeBrowser();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const size = fs.statSync(out).size;
  console.error(`screenshot: ${path.relative(process.cwd(), out)}, ${size} bytes`);
  if (size > MAX_BYTES) console.error(`screenshot: larger than ${MAX_BYTES} bytes; a README picture should be smaller`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`screenshot: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
