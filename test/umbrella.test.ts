import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN, REPO_ROOT } from './helpers/paths.js';

function trk(args: string[]) {
  const r = spawnSync(process.execPath, [BIN('trk'), ...args], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('trk --help lists the commands', () => {
  const r = trk(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /trk capture +read packets from capture files/);
  assert.match(r.stdout, /trk completion/);
});

test('trk capture ARGS is trk-capture ARGS', () => {
  const sample = path.join(REPO_ROOT, 'samples/sample.pcap');
  const viaUmbrella = trk(['capture', '-r', sample, '-c', '4']);
  const direct = spawnSync(process.execPath, [BIN('trk-capture'), '-r', sample, '-c', '4'], { encoding: 'utf8' });
  assert.equal(viaUmbrella.code, 0, viaUmbrella.stderr);
  assert.equal(viaUmbrella.stdout, direct.stdout);
  assert.equal(trk(['capture', '--bogus']).code, 2);
});

test('an unknown option of the umbrella is named', () => {
  const r = trk(['--bogus']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "trk: unknown option --bogus\nTry 'trk --help' for more information.\n");
});

test('an unknown command is a usage error', () => {
  const r = trk(['capturr']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^trk: Unknown command: capturr\n/);
});

test('trk completion prints a script; the script completes commands and options', () => {
  const script = trk(['completion']);
  assert.equal(script.code, 0);
  assert.match(script.stdout, /complete -o bashdefault -o default -F _trk_yargs_completions trk/);
  const commands = trk(['--get-yargs-completions', 'trk', 'cap']);
  assert.deepEqual(commands.stdout.trim().split('\n'), ['capture']);
  const options = trk(['--get-yargs-completions', 'trk', 'capture', '--re']);
  assert.deepEqual(options.stdout.trim().split('\n'), ['--read']);
});
