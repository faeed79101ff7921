import type { FileCap } from '../lib/read-bounded-file.js';

/**
 * The config file: 100,000 policies take 21 MB (the scale benchmark), and parsing takes some eight times the
 * file's size in heap, so 32 MiB leaves room for half as many policies again within a 512 MB heap.
 */
export const CONFIG_FILE_CAP: FileCap = { bytes: 32 * 1024 * 1024, of: 'a config file' };

/** A `{ file: PATH }` secret: a token, key or PEM bundle. AWS Secrets Manager's own cap on a value. */
export const SECRET_FILE_CAP: FileCap = { bytes: 64 * 1024, of: 'a secret file' };
