import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** The most a file may hold, and what it is the cap of, for the message (`a secret file`). */
export interface FileCap {
  readonly bytes: number;
  readonly of: string;
}

/** A file that exists but is not read: not a regular file, or larger than its cap. */
export class FileRefused extends Error {
  override readonly name = 'FileRefused';
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.reason = reason;
  }
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a regular file of at most `cap.bytes` as UTF-8. The checks are on the open handle, not the path, so
 * the file cannot be swapped in between; O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
 * Never reads more than one byte past the cap, as the file may grow after the size check.
 */
export async function readBoundedFile(path: string, cap: FileCap): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    const kind = nonRegularKind(stats);
    if (kind) throw new FileRefused(path, `it is ${kind} (only regular files are read)`);
    const overCap = () =>
      new FileRefused(path, `it is larger than ${formatBytes(cap.bytes)}, the cap on ${cap.of}`);
    if (stats.size > cap.bytes) throw overCap();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const room = cap.bytes + 1 - total;
      const chunk = Buffer.alloc(Math.min(room, Math.max(stats.size + 1 - total, CHUNK_BYTES)));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > cap.bytes) throw overCap();
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Why a read failed, to follow "cannot read …": `: it is a FIFO …` or ` (ENOENT)`. */
export function readFailureDetail(error: unknown): string {
  if (error instanceof FileRefused) return `: ${error.reason}`;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

function nonRegularKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
