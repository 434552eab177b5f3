/**
 * bench — how fast trk-capture turns a large capture into lines, and
 * trk-classify annotates them (decoding in-process, and fed by trk-capture
 * through a pipe), next to tcpdump and tshark reading the same file in the
 * same run; and whether memory and start-up stay small. Ratios are what we quote: absolute times
 * depend on the machine, ratios between tools on one machine much less.
 *
 *   npm run bench [-- --packets N] [--runs N] [--quick] [--no-live] [--check]
 *
 * The capture (gen-capture, seed 1) is made once and kept in bench-data/.
 * Each command reads it with stdout on /dev/null, `--runs` times (default 3);
 * the table shows the median. Peak memory comes from /usr/bin/time -f %M
 * (Debian package `time`). --check exits 1 when a target is missed:
 * trk-capture ≥ 2× the packets/s of `tcpdump -nn -q`, trk-classify -r ≥ 5×
 * and trk-capture | trk-classify ≥ 1.5×, trk-tally --by host ≥ 20× tcpdump
 * and ≥ 100× `tshark -z endpoints,ip`, trk-capture | trk-tally ≥ 1.5×, peak memory on a file
 * twice as large ≤ 1.3× that on the first, start-up ≤ 1.5× `node -e 0`.
 * trk-threshold (issue 5) is timed with ipband's defaults and with iptrk's
 * alarms on, against the same tcpdump runs, and its peak memory is measured
 * on a million distinct /24 subnets in one averaging period (gen-subnets),
 * with its subnet table bounded (the default) and not (as ipband's was).
 */
import { benchLive, caughtPercent, type LiveBenchResult } from './bench-live.js';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateLanCapture } from './gen-capture.js';
import { generateSubnetCapture } from './gen-subnets.js';
import { uploadOnce, type UploadRun } from './bench-upload.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA_DIR = path.join(REPO, 'bench-data');
const TRK_CAPTURE = path.join(REPO, 'bin', 'trk-capture.js');
const TRK_CLASSIFY = path.join(REPO, 'bin', 'trk-classify.js');
const TRK_TALLY = path.join(REPO, 'bin', 'trk-tally.js');
const TRK_THRESHOLD = path.join(REPO, 'bin', 'trk-threshold.js');
const TRK_MAIL = path.join(REPO, 'bin', 'trk-mail.js');
const SPLIT2 = path.join(REPO, 'dist', 'scripts', 'bench-split2.js');
const TRK_UPLOAD = path.join(REPO, 'bin', 'trk-upload.js');
const TRK_COLLECT = path.join(REPO, 'bin', 'trk-collect.js');
const TRK_REPORT = path.join(REPO, 'bin', 'trk-report.js');
/** issue 5: trk-threshold's subnet table on a million distinct /24s, bounded and (as ipband's) not. */
const SUBNETS = 1_000_000;
/** ipband's defaults, and iptrk's alarms all on, for trk-threshold's throughput rows. */
const THRESHOLD_ARGS = ['-C', '-a', '60', '-r', '300', '-b', '7', '-m', '24', '-t', '15'];
const THRESHOLD_ALARMS = ['-L', '10.0.0.0/8', '--hammer-kbps', '1000', '--synflood', '100', '--scan-ports', '100', '--scan-hosts', '100', '--silent', '10.0.0.1:60'];
/** The generated capture's local networks (gen-capture: 10.S.T.0/24 and 2001:db8:S:T::/64). */
const CLASSIFY_NETS = ['--net', '10.0.0.0/8', '--net', '2001:db8::/32'];
const FLOOR = path.join(REPO, 'dist', 'scripts', 'bench-floor.js');
const GNU_TIME = '/usr/bin/time';
/** Bump when gen-capture's output changes, so stale cached captures are not reused. */
const CAPTURE_VERSION = 1;
const SEED = 1;
const STARTUP_RUNS = 20;
const LIVE_RATES = [50_000, 100_000, 150_000, 200_000, 300_000];

const TARGET_VS_TCPDUMP = 2;
/** issue 3: trk-classify decoding in-process, and fed by trk-capture through a pipe. */
const TARGET_CLASSIFY_VS_TCPDUMP = 5;
const TARGET_CLASSIFY_PIPED_VS_TCPDUMP = 1.5;
/** issue 4: trk-tally --by host, in-process against tcpdump's text decode and tshark's endpoint table; piped against tcpdump. */
const TARGET_TALLY_VS_TCPDUMP = 20;
const TARGET_TALLY_VS_TSHARK = 100;
const TARGET_TALLY_PIPED_VS_TCPDUMP = 1.5;
/** issue 6: trk-mail's pass-through at least as fast as cat | split2 in Node. */
const TARGET_MAIL_VS_SPLIT2 = 1;
const TARGET_MEMORY_RATIO = 1.3;
const TARGET_STARTUP_RATIO = 1.5;

/** tshark fields comparable to a pkt record. */
const TSHARK_FIELDS = [
  'frame.time_epoch', 'frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'vlan.id', 'eth.type',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt', 'ip.ttl', 'ipv6.hlim',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags', 'tcp.window_size_value',
  'tcp.seq_raw', 'tcp.ack_raw', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4',
  'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'icmpv6.opt.prefix', 'icmpv6.opt.linkaddr',
];

interface Run {
  seconds: number;
  /** Peak resident set in KiB, when /usr/bin/time is there to tell. */
  maxRssKiB: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

interface Row {
  label: string;
  /** Why the row has no figures: a missing tool, or a crash. */
  note?: string;
  medianSeconds?: number;
  maxRssKiB?: number;
  packets: number;
  crashed?: boolean;
}

const hasGnuTime = fs.existsSync(GNU_TIME);

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Run once with stdout on /dev/null; wall time from here, peak memory from /usr/bin/time. */
function timeOnce(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const rssFile = path.join(os.tmpdir(), `trk-bench-rss-${process.pid}`);
  const full = hasGnuTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv] : argv;
  const devnull = fs.openSync('/dev/null', 'w');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', devnull, 'pipe'], env });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    child.on('error', (err) => {
      fs.closeSync(devnull);
      reject(err);
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      fs.closeSync(devnull);
      let maxRssKiB: number | undefined;
      if (hasGnuTime) {
        // with a failing child, GNU time writes "Command exited with non-zero status N" before the figure
        const text = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop() : undefined;
        maxRssKiB = text && /^\d+$/.test(text) ? Number(text) : undefined;
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ seconds, maxRssKiB, code, signal, stderr });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function measure(label: string, argv: string[], runs: number, packets: number, env: NodeJS.ProcessEnv = process.env): Promise<Row> {
  const times: number[] = [];
  let rss: number | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await timeOnce(argv, env);
    if (r.code !== 0) {
      const why = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
      const line = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Command exited'))[0] ?? '';
      return { label, packets, crashed: true, note: `failed (${why}): ${line.slice(0, 120)}` };
    }
    times.push(r.seconds);
    if (r.maxRssKiB !== undefined) rss = Math.max(rss ?? 0, r.maxRssKiB);
  }
  const row: Row = { label, packets, medianSeconds: median(times), maxRssKiB: rss };
  process.stderr.write(`  ${label}: ${times.map((t) => t.toFixed(2)).join(' ')} s\n`);
  return row;
}

/** The cached capture of `packets` packets, made on first use. */
async function capture(packets: number): Promise<string> {
  const file = path.join(DATA_DIR, `lan-v${CAPTURE_VERSION}-seed${SEED}-${packets}.pcap`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const partial = `${file}.partial`;
  process.stderr.write(`generating ${file} …\n`);
  await generateLanCapture(partial, { packets, seed: SEED });
  fs.renameSync(partial, file);
  return file;
}

/** trk-capture when it runs and writes pkt records; otherwise why not. */
function trkCaptureReady(sample: string): true | string {
  if (!fs.existsSync(TRK_CAPTURE)) return 'bin/trk-capture.js does not exist yet';
  const r = spawnSync(process.execPath, [TRK_CAPTURE, '-r', sample, '-c', '3'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0 && r.stdout.startsWith('{"type":"pkt"')) return true;
  // an unfinished module graph fails with a stack: its "Error: …" line says what is missing
  const lines = (r.stderr || r.stdout || '').trim().split('\n');
  const first = lines.find((l) => /Error|error:/.test(l)) ?? lines[0] ?? '';
  return `bin/trk-capture.js does not run yet (exit ${r.status}): ${first.slice(0, 100)}`;
}

/** Lines trk-capture writes for the file: one per packet is the contract. */
function countLines(argv: string[]): Promise<{ lines: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s.slice(0, 2000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines, code, stderr }));
  });
}

function startupSeconds(argv: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  }
  return median(times);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMiB = (kib: number | undefined): string => (kib === undefined ? '—' : `${(kib / 1024).toFixed(0)} MiB`);
const pps = (r: Row): number | undefined => (r.medianSeconds ? r.packets / r.medianSeconds : undefined);

function table(rows: Row[]): string {
  const w = Math.max(...rows.map((r) => r.label.length)) + 2;
  const lines = [`${'command'.padEnd(w)}${'packets/s'.padStart(12)}${'median s'.padStart(10)}${'peak RSS'.padStart(11)}`];
  for (const r of rows) {
    if (r.note) lines.push(`${r.label.padEnd(w)}  ${r.note}`);
    else lines.push(`${r.label.padEnd(w)}${fmtInt(pps(r)!).padStart(12)}${r.medianSeconds!.toFixed(2).padStart(10)}${fmtMiB(r.maxRssKiB).padStart(11)}`);
  }
  return lines.join('\n');
}

interface Verdict {
  label: string;
  value: number | undefined;
  target: string;
  ok: boolean | undefined;
  why?: string;
}

/** A throughput ratio with a floor to meet. */
function verdictFor(label: string, value: number | undefined, target: number): Verdict {
  return { label, value, target: `≥ ${target}`, ok: value === undefined ? undefined : value >= target };
}

function verdictLine(v: Verdict): string {
  const value = v.value === undefined ? 'not measured' : `${v.value.toFixed(2)}×`;
  const status = v.ok === undefined ? (v.why ?? '') : v.ok ? 'ok' : 'MISSED';
  return `${v.label.padEnd(50)}${value.padStart(13)}   target ${v.target.padEnd(7)} ${status}`;
}


/** bench-live's results: for each offered rate and engine, the share of sent packets it caught. */
function liveTable(rows: LiveBenchResult[]): string {
  const lines = [`${'engine'.padEnd(18)}${'offered/s'.padStart(10)}${'sent/s'.padStart(10)}${'sent'.padStart(10)}${'caught'.padStart(10)}${'caught %'.padStart(10)}${'drops'.padStart(9)}`];
  for (const r of rows) {
    const share = r.sent ? caughtPercent(r.caught, r.sent) : '—';
    lines.push(
      `${r.engine.padEnd(18)}${fmtInt(r.pps).padStart(10)}${(r.sentPps === undefined ? '—' : fmtInt(r.sentPps)).padStart(10)}` +
        `${fmtInt(r.sent).padStart(10)}${fmtInt(r.caught).padStart(10)}${share.padStart(10)}${(r.drops === undefined ? '—' : fmtInt(r.drops)).padStart(9)}`,
    );
  }
  return lines.join('\n');
}

async function runLive(): Promise<void> {
  if (process.getuid?.() !== 0) return void console.log('live capture: skipped (needs root)');
  console.log(`\nlive capture on a veth pair fed by tcpreplay, offered ${LIVE_RATES.map(fmtInt).join(', ')} packets/s`);
  const rows = await benchLive(LIVE_RATES, { log: (line) => process.stderr.write(`  ${line}\n`) });
  console.log(liveTable(rows));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      packets: { type: 'string' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-live': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--packets N] [--runs N] [--quick] [--no-live] [--check]');
    return 0;
  }
  const packets = Number(values.packets ?? (values.quick ? 200_000 : 2_000_000));
  const runs = Number(values.runs ?? (values.quick ? 1 : 3));
  if (!(Number.isInteger(packets) && packets >= 1000) || !(Number.isInteger(runs) && runs >= 1)) {
    console.error('bench: --packets must be an integer ≥ 1000 and --runs ≥ 1');
    return 2;
  }

  // --quick (CI) checks the rows run; the million subnets are for the full run
  const subnetCount = values.quick ? SUBNETS / 10 : SUBNETS;
  const file = await capture(packets);
  const bigFile = await capture(packets * 2);
  const sample = await capture(1000);
  const mb = (fs.statSync(file).size / 1e6).toFixed(0);

  const ready = trkCaptureReady(sample);
  const node = process.execPath;
  const trk = (args: string[]): string[] => [node, TRK_CAPTURE, ...args];
  const rows: Row[] = [];
  let crashed = false;

  console.log(`trk benchmark: ${fmtInt(packets)} packets (${mb} MB, ${path.relative(REPO, file)}), median of ${runs} run${runs > 1 ? 's' : ''}, stdout → /dev/null`);
  console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, node ${process.version}`);
  if (!hasGnuTime) console.log('peak memory: not measured: apt-get install time (for /usr/bin/time)');

  let trkRow: Row;
  let classifyRow: Row | undefined;
  let classifyPipedRow: Row | undefined;
  let tallyRow: Row | undefined;
  let tallyPipedRow: Row | undefined;
  let thresholdRow: Row | undefined;
  let thresholdAlarmsRow: Row | undefined;
  let subnetsBounded: Row | undefined;
  let subnetsUnbounded: Row | undefined;
  let subnetsAllOver: Row | undefined;
  let subnetsAllOverUnbounded: Row | undefined;
  let mailRow: Row | undefined;
  let split2Row: Row | undefined;
  let uploadRow: Row | undefined;
  let collectorCpuRow: Row | undefined;
  let reportRow: Row | undefined;
  if (ready === true) {
    const count = await countLines(trk(['-r', file]));
    if (count.code !== 0 || count.lines !== packets) {
      console.log(`trk-capture wrote ${fmtInt(count.lines)} lines for ${fmtInt(packets)} packets (exit ${count.code}): ${count.stderr.trim().split('\n')[0] ?? ''}`);
      crashed ||= count.code !== 0;
    }
    trkRow = await measure('trk-capture -r FILE (NDJSON)', trk(['-r', file]), runs, packets);
    rows.push(trkRow);
    rows.push(await measure('trk-capture -r FILE -H', trk(['-r', file, '-H']), runs, packets));
    classifyRow = await measure('trk-classify -r FILE (in-process)', [node, TRK_CLASSIFY, '-r', file, ...CLASSIFY_NETS], runs, packets);
    const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
    const pipe = `${[node, TRK_CAPTURE, '-r', file].map(quote).join(' ')} | ${[node, TRK_CLASSIFY, ...CLASSIFY_NETS].map(quote).join(' ')}`;
    classifyPipedRow = await measure('trk-capture -r FILE | trk-classify', ['bash', '-o', 'pipefail', '-c', pipe], runs, packets);
    rows.push(classifyRow, classifyPipedRow);
    // --every 0: the whole file as one table, the job tshark -z endpoints,ip does
    tallyRow = await measure('trk-tally -r FILE --by host --every 0', [node, TRK_TALLY, '-r', file, '--by', 'host', '--every', '0'], runs, packets);
    const tallyPipe = `${[node, TRK_CAPTURE, '-r', file].map(quote).join(' ')} | ${[node, TRK_TALLY, '--by', 'host', '--every', '0'].map(quote).join(' ')}`;
    tallyPipedRow = await measure('trk-capture -r FILE | trk-tally --by host --every 0', ['bash', '-o', 'pipefail', '-c', tallyPipe], runs, packets);
    rows.push(await measure('trk-tally -r FILE --by host (every 60 s)', [node, TRK_TALLY, '-r', file, '--by', 'host'], runs, packets));
    rows.push(tallyRow, tallyPipedRow);
    // issue 8: the capture tallied in-process into the self-contained page
    if (fs.existsSync(TRK_REPORT)) {
      const reportOut = path.join(os.tmpdir(), `trk-bench-report-${process.pid}.html`);
      reportRow = await measure('trk-report -r FILE -o page.html', [node, TRK_REPORT, '-r', file, ...CLASSIFY_NETS, '-q', '-o', reportOut], runs, packets);
      rows.push(reportRow);
      fs.rmSync(reportOut, { force: true });
    }
    thresholdRow = await measure('trk-threshold --read FILE (ipband defaults)', [node, TRK_THRESHOLD, '--read', file, ...THRESHOLD_ARGS], runs, packets);
    thresholdAlarmsRow = await measure('trk-threshold --read FILE, iptrk alarms on', [node, TRK_THRESHOLD, '--read', file, ...THRESHOLD_ARGS, ...THRESHOLD_ALARMS], runs, packets);
    rows.push(thresholdRow, thresholdAlarmsRow);
    const subnets = path.join(DATA_DIR, `subnets-${subnetCount}.pcap`);
    if (!fs.existsSync(subnets)) {
      process.stderr.write(`generating ${subnets} …\n`);
      await generateSubnetCapture(`${subnets}.partial`, subnetCount);
      fs.renameSync(`${subnets}.partial`, subnets);
    }
    const unbounded = ['--max-subnets', '2000000', '--max-conns', '2000000'];
    subnetsBounded = await measure(`trk-threshold, ${fmtInt(subnetCount)} distinct /24s in one period`, [node, TRK_THRESHOLD, '--read', subnets, '-C', '-q'], 1, subnetCount);
    subnetsUnbounded = await measure('  the same, tables unbounded (as ipband)', [node, TRK_THRESHOLD, '--read', subnets, '-C', '-q', ...unbounded], 1, subnetCount);
    // -b 0: every subnet is over its threshold, so every one is logged with its connections: the worst case
    const everyOver = ['-C', '-q', '-b', '0', '-a', '10', '-r', '10'];
    subnetsAllOver = await measure('  every subnet over (-b 0 -a 10)', [node, TRK_THRESHOLD, '--read', subnets, ...everyOver], 1, subnetCount);
    subnetsAllOverUnbounded = await measure('  every subnet over, tables unbounded (as ipband)', [node, TRK_THRESHOLD, '--read', subnets, ...everyOver, ...unbounded], 1, subnetCount);
    rows.push(subnetsBounded, subnetsUnbounded, subnetsAllOver, subnetsAllOverUnbounded);
    // issue 6: trk-mail passes every line on while it looks at each; cat | split2 in Node is the bar
    if (fs.existsSync(TRK_MAIL)) {
      const records = path.join(DATA_DIR, `records-v${CAPTURE_VERSION}-${packets}.ndjson`);
      if (!fs.existsSync(records)) {
        process.stderr.write(`writing ${records} …\n`);
        spawnSync('bash', ['-c', `${[node, TRK_CAPTURE, '-r', file].map(quote).join(' ')} > ${quote(records + '.partial')}`]);
        fs.renameSync(`${records}.partial`, records);
      }
      const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'trk-bench-spool-'));
      const mailCmd = `${[node, TRK_MAIL, '--to', 'noc@example.net', '--sendmail', '/bin/true', '--spool', spool, '-q'].map(quote).join(' ')} < ${quote(records)}`;
      mailRow = await measure('trk-mail < pkt records (pass-through)', ['bash', '-c', mailCmd], runs, packets);
      split2Row = await measure('cat | split2 in Node (bench-split2)', ['bash', '-c', `cat ${quote(records)} | ${quote(node)} ${quote(SPLIT2)}`], runs, packets);
      rows.push(mailRow, split2Row);
      fs.rmSync(spool, { recursive: true, force: true });
      // issue 7: the same lines from one sensor to the collector on loopback, gzip on the wire, stored with fsync
      if (fs.existsSync(TRK_UPLOAD) && fs.existsSync(TRK_COLLECT)) {
        const label = 'trk-upload → trk-collect, loopback, gzip';
        try {
          const timings: UploadRun[] = [];
          for (let i = 0; i < runs; i++) timings.push(await uploadOnce(node, TRK_UPLOAD, TRK_COLLECT, records));
          process.stderr.write(`  ${label}: ${timings.map((t) => t.seconds.toFixed(2)).join(' ')} s\n`);
          uploadRow = { label, packets, medianSeconds: median(timings.map((t) => t.seconds)) };
          collectorCpuRow = { label: '  trk-collect CPU time (user + system)', packets, medianSeconds: median(timings.map((t) => t.collectorCpuSeconds)) };
          rows.push(uploadRow, collectorCpuRow);
        } catch (err) {
          rows.push({ label, packets, crashed: true, note: `failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 140) });
          crashed = true;
        }
      }
    }
  } else {
    console.log(`trk-capture: ${ready}; timing the stand-in (reader + output, no decoding) in its place`);
    trkRow = { label: 'trk-capture (not ready)', packets, note: ready };
  }
  const floor = await measure('reader + output, no decoding (bench-floor)', [node, FLOOR, file], runs, packets);
  rows.push(floor);
  if (ready !== true) trkRow = { ...floor, label: 'stand-in for trk-capture' };

  const utc = { ...process.env, TZ: 'UTC' };
  let tcpdumpQ: Row;
  if (which('tcpdump')) {
    tcpdumpQ = await measure('TZ=UTC tcpdump -nn -q -r FILE', ['tcpdump', '-nn', '-q', '-r', file], runs, packets, utc);
    rows.push(tcpdumpQ, await measure('TZ=UTC tcpdump -nn -r FILE', ['tcpdump', '-nn', '-r', file], runs, packets, utc));
  } else {
    tcpdumpQ = { label: 'tcpdump', packets, note: 'not installed: apt-get install tcpdump' };
    rows.push(tcpdumpQ);
  }
  let tshark: Row;
  if (which('tshark')) {
    const fields = TSHARK_FIELDS.flatMap((f) => ['-e', f]);
    tshark = await measure(`tshark -n -r FILE -T fields (${TSHARK_FIELDS.length} fields)`, ['tshark', '-n', '-r', file, '-T', 'fields', ...fields], runs, packets);
  } else {
    tshark = { label: 'tshark', packets, note: 'not installed: apt-get install tshark' };
  }
  rows.push(tshark);
  let tsharkEndpoints: Row | undefined;
  if (which('tshark')) {
    tsharkEndpoints = await measure('tshark -n -q -r FILE -z endpoints,ip', ['tshark', '-n', '-q', '-r', file, '-z', 'endpoints,ip'], runs, packets);
    rows.push(tsharkEndpoints);
  }

  // memory: the same command on a file twice as large must not need more
  let bigRow: Row | undefined;
  if (ready === true && hasGnuTime) {
    bigRow = await measure(`trk-capture -r FILE×2 (${fmtInt(packets * 2)} packets)`, trk(['-r', bigFile]), Math.min(runs, 2), packets * 2);
    rows.push(bigRow);
  }
  for (const r of rows) crashed ||= r.crashed === true;

  const startupTrk = ready === true ? startupSeconds(trk(['--version'])) : undefined;
  const startupNode = startupSeconds([node, '-e', '0']);

  console.log('');
  console.log(table(rows));
  console.log(`\nstart-up, median of ${STARTUP_RUNS}: node -e 0 ${(startupNode * 1000).toFixed(1)} ms, trk-capture --version ${startupTrk === undefined ? 'not measured' : `${(startupTrk * 1000).toFixed(1)} ms`}`);

  const ratio = (a: Row, b: Row): number | undefined => {
    const pa = pps(a);
    const pb = pps(b);
    return pa !== undefined && pb !== undefined ? pa / pb : undefined;
  };
  const trkMeasured = ready === true && !trkRow.note;
  const vsTcpdump = trkMeasured ? ratio(trkRow, tcpdumpQ) : undefined;
  const memoryRatio = bigRow?.maxRssKiB !== undefined && trkRow.maxRssKiB !== undefined ? bigRow.maxRssKiB / trkRow.maxRssKiB : undefined;
  const startupRatio = startupTrk !== undefined ? startupTrk / startupNode : undefined;
  const tcpdumpText = rows.find((r) => r.label === 'TZ=UTC tcpdump -nn -r FILE');
  const verdicts: Verdict[] = [
    { label: 'trk-capture NDJSON ÷ tcpdump -nn -q (pkts/s)', value: vsTcpdump, target: `≥ ${TARGET_VS_TCPDUMP}`, ok: vsTcpdump !== undefined ? vsTcpdump >= TARGET_VS_TCPDUMP : trkMeasured ? undefined : false },
    { label: 'trk-capture NDJSON ÷ tcpdump -nn (pkts/s)', value: trkMeasured && tcpdumpText ? ratio(trkRow, tcpdumpText) : undefined, target: '', ok: undefined },
    { label: 'trk-capture NDJSON ÷ tshark -T fields (pkts/s)', value: trkMeasured ? ratio(trkRow, tshark) : undefined, target: '', ok: undefined },
    { label: 'stand-in (no decoding) ÷ tcpdump -nn -q', value: ratio(floor, tcpdumpQ), target: '', ok: undefined },
    verdictFor('trk-classify -r FILE ÷ tcpdump -nn -q (pkts/s)', classifyRow && ratio(classifyRow, tcpdumpQ), TARGET_CLASSIFY_VS_TCPDUMP),
    verdictFor('trk-capture | trk-classify ÷ tcpdump -nn -q (pkts/s)', classifyPipedRow && ratio(classifyPipedRow, tcpdumpQ), TARGET_CLASSIFY_PIPED_VS_TCPDUMP),
    verdictFor('trk-tally --by host ÷ tcpdump -nn -q (pkts/s)', tallyRow && ratio(tallyRow, tcpdumpQ), TARGET_TALLY_VS_TCPDUMP),
    verdictFor('trk-tally --by host ÷ tshark -z endpoints,ip', tallyRow && tsharkEndpoints && ratio(tallyRow, tsharkEndpoints), TARGET_TALLY_VS_TSHARK),
    verdictFor('trk-capture | trk-tally ÷ tcpdump -nn -q (pkts/s)', tallyPipedRow && ratio(tallyPipedRow, tcpdumpQ), TARGET_TALLY_PIPED_VS_TCPDUMP),
    { label: 'trk-threshold --read ÷ tcpdump -nn -q (pkts/s)', value: thresholdRow && ratio(thresholdRow, tcpdumpQ), target: '', ok: undefined },
    { label: 'trk-threshold --read ÷ tcpdump -nn (pkts/s)', value: thresholdRow && tcpdumpText ? ratio(thresholdRow, tcpdumpText) : undefined, target: '', ok: undefined },
    { label: 'trk-threshold, alarms on ÷ tcpdump -nn -q (pkts/s)', value: thresholdAlarmsRow && ratio(thresholdAlarmsRow, tcpdumpQ), target: '', ok: undefined },
    verdictFor('trk-mail pass-through ÷ cat | split2 (lines/s)', mailRow && split2Row && ratio(mailRow, split2Row), TARGET_MAIL_VS_SPLIT2),
    { label: 'trk-report -r FILE ÷ tcpdump -nn -q (pkts/s)', value: reportRow && ratio(reportRow, tcpdumpQ), target: '', ok: undefined },
    { label: 'trk-upload → trk-collect ÷ cat | split2 (lines/s)', value: uploadRow && split2Row && ratio(uploadRow, split2Row), target: '', ok: undefined },
    // how much of a core the collector needs for a sensor's lines, against the time Node takes just to pass them through
    { label: 'cat | split2 wall ÷ trk-collect CPU (same lines)', value: collectorCpuRow && split2Row && ratio(collectorCpuRow, split2Row), target: '', ok: undefined },
    {
      label: `peak RSS ${fmtInt(subnetCount)} subnets, unbounded ÷ bounded`,
      value: subnetsBounded?.maxRssKiB && subnetsUnbounded?.maxRssKiB ? subnetsUnbounded.maxRssKiB / subnetsBounded.maxRssKiB : undefined,
      target: '',
      ok: undefined,
    },
    {
      label: `  every subnet over: unbounded ÷ bounded`,
      value: subnetsAllOver?.maxRssKiB && subnetsAllOverUnbounded?.maxRssKiB ? subnetsAllOverUnbounded.maxRssKiB / subnetsAllOver.maxRssKiB : undefined,
      target: '',
      ok: undefined,
    },
    { label: `peak RSS ${fmtInt(packets * 2)} ÷ ${fmtInt(packets)} packets`, value: memoryRatio, target: `≤ ${TARGET_MEMORY_RATIO}`, ok: memoryRatio === undefined ? undefined : memoryRatio <= TARGET_MEMORY_RATIO },
    { label: 'start-up trk-capture --version ÷ node -e 0', value: startupRatio, target: `≤ ${TARGET_STARTUP_RATIO}`, ok: startupRatio === undefined ? undefined : startupRatio <= TARGET_STARTUP_RATIO },
  ];
  console.log('\nratios (>1 = trk faster for throughput)');
  if (values.quick) {
    // 200 000 packets take a fraction of a second: node's start-up (about 60 ms a process) weighs on every trk row
    console.log(`(--quick: ${fmtInt(packets)} packets, where start-up dominates; the targets are for the full run, npm run bench)`);
  }
  for (const v of verdicts) console.log(verdictLine(v));

  if (!values['no-live'] && !values.quick) {
    try {
      await runLive();
    } catch (err) {
      console.log(`live capture: failed: ${err instanceof Error ? err.message : String(err)}`);
      crashed = true;
    }
  } else {
    console.log(`live capture: skipped (${values.quick ? '--quick' : '--no-live'})`);
  }

  if (crashed) return 1;
  if (values.check && verdicts.some((v) => v.ok === false)) return 1;
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
