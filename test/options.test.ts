import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { helpText, manOptions, parseArgs, UsageError, type CommandSpec } from '../src/cli/options.js';
import { spec as captureSpec } from '../src/cli/capture.js';
import { REPO_ROOT } from './helpers/paths.js';

const spec: CommandSpec = {
  name: 'trk-demo',
  summary: 'a demo command',
  usage: ['[-H] -r FILE'],
  options: [
    { long: 'read', short: 'r', type: 'list', arg: 'FILE', help: 'read FILE' },
    { long: 'count', short: 'c', type: 'number', arg: 'N', min: 1, help: 'stop after N' },
    { long: 'engine', type: 'string', choices: ['cap', 'tcpdump'], default: 'cap', help: 'engine' },
    { long: 'no-promisc', short: 'p', type: 'flag', help: 'not promiscuous' },
    { long: 'human', short: 'H', type: 'flag', help: 'readable lines' },
  ],
};

test('parses short, long, bundled, repeated and = forms', () => {
  const { options, positional } = parseArgs(spec, ['-Hr', 'a.pcap', '--read=b.pcap', '-c', '5', '--engine', 'tcpdump', 'tcp', 'port', '80']);
  assert.deepEqual(options.read, ['a.pcap', 'b.pcap']);
  assert.equal(options.count, 5);
  assert.equal(options.engine, 'tcpdump');
  assert.equal(options.human, true);
  assert.equal(options['no-promisc'], false);
  assert.deepEqual(positional, ['tcp', 'port', '80']);
});

test('-p and --no-promisc both set the no- flag', () => {
  assert.equal(parseArgs(spec, ['-p']).options['no-promisc'], true);
  assert.equal(parseArgs(spec, ['--no-promisc']).options['no-promisc'], true);
});

test('usage mistakes are UsageErrors that name the option', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown option --bogus/],
    [['-x'], /unknown option -x/],
    [['-c', 'ten'], /-c\/--count takes a number, not 'ten'/],
    [['-c', '0'], /-c\/--count must be at least 1/],
    [['--engine', 'pf'], /--engine takes one of cap, tcpdump, not 'pf'/],
    [['-r'], /-r\/--read needs a value \(FILE\)/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(spec, argv), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(' '));
  }
});

test('--help lists every option of the table with its default', () => {
  const help = helpText(spec);
  for (const o of spec.options) assert.match(help, new RegExp(`--${o.long}`));
  assert.match(help, /--engine VALUE +engine \(default cap\)/);
  assert.match(help, /^trk-demo — a demo command$/m);
});

test('trk-capture: --help and the man page come from the same table', () => {
  const help = helpText(captureSpec);
  const man = fs.readFileSync(path.join(REPO_ROOT, 'man/trk-capture.1'), 'utf8');
  assert.ok(man.includes(manOptions(captureSpec)), 'man/trk-capture.1 OPTIONS section is not the generated one: run npm run build');
  for (const o of captureSpec.options) {
    assert.ok(help.includes(`--${o.long}`), `--help lacks --${o.long}`);
    assert.ok(man.includes(`\\-\\-${o.long.replace(/-/g, '\\-')}`), `man page lacks --${o.long}`);
  }
});
