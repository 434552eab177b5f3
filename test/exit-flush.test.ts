/**
 * Nothing written is lost at exit when the reader is slow. On POSIX, Node
 * writes to a pipe asynchronously: a write that finds the pipe full waits
 * inside the stream, and if it is small (below the stream's high-water mark)
 * write() says all is well; exiting then dropped it. A trk-classify run under
 * load was seen losing its final STAT line that way. runCommand now waits
 * until stdout and stderr have handed everything to the kernel.
 *
 * Made certain here with a command that writes 64 KiB (which fills an empty
 * pipe exactly), then a last line that must wait, into a pipe whose reader
 * takes nothing for a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './helpers/paths.js';

const RUN = pathToFileURL(path.join(REPO_ROOT, 'dist', 'src', 'cli', 'run.js')).href;

const COMMAND = `
import { runCommand } from ${JSON.stringify(RUN)};
const spec = { name: 'trk-test', summary: 'writes 64 KiB and a last line', usage: [''], options: [] };
runCommand(spec, async () => {
  process.stdout.write(Buffer.alloc(65536, 0x61));
  await new Promise((r) => setTimeout(r, 200));
  process.stdout.write('the last line\\n');
  return 0;
});
`;

test('a command done while its reader takes nothing yet waits to hand over its last line, then exits', () => {
  // a shell pipe (not the socket pair node gives a child): 64 KiB, as a pipeline has
  const script = `"$0" --input-type=module -e "$1" | (sleep 1; wc -c)`;
  const out = execFileSync('/bin/sh', ['-c', script, process.execPath, COMMAND], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(Number(out.trim()), 65536 + 'the last line\n'.length, 'the last line was lost at exit');
});
