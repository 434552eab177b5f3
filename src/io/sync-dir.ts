/** A file created or renamed in a directory is durable only once the directory itself is synced. */
import { open } from 'node:fs/promises';

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename still happened
  } finally {
    await handle.close();
  }
}
