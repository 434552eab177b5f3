/** Where tests find the project and the shared capture corpus (../shared/corpus beside the repo). */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

/** The repository root (tests run from dist/test/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CORPUS_DIR = path.resolve(REPO_ROOT, '../shared/corpus');
export const TCPDUMP_CORPUS = path.join(CORPUS_DIR, 'tcpdump');
export const LAN_CAPTURE = path.join(CORPUS_DIR, 'lan', 'lan-incident.pcap');
/** The compiled command shims, as a user runs them. */
export const BIN = (name: string): string => path.join(REPO_ROOT, 'bin', `${name}.js`);

/** A reason to skip corpus tests, or false when the corpus is there. */
export const noCorpus: string | false = fs.existsSync(TCPDUMP_CORPUS)
  ? false
  : `the shared capture corpus is not at ${CORPUS_DIR} (clone the repo with shared/ beside it)`;
