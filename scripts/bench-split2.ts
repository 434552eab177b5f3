/**
 * The reference for trk-mail's pass-through (issue 6): `cat | split2` in
 * Node — stdin split into lines by split2 and each line written back with
 * its newline, respecting back-pressure. trk-mail must pass lines on at
 * least this fast while it looks at every one of them.
 */
import split2 from 'split2';
import { pipeline, Transform } from 'node:stream';

const rejoin = new Transform({
  transform(line: string, _encoding, done) {
    done(null, `${line}\n`);
  },
});
pipeline(process.stdin, split2(), rejoin, process.stdout, (err) => {
  if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') {
    process.stderr.write(`bench-split2: ${err.message}\n`);
    process.exitCode = 1;
  }
});
