// A Node module-loader hook (registered by record-loaded-modules.mjs): appends the URL of each module of
// rotor's build (dist/) that the process loads, one a line, to the file named by ROTOR_LOADED_MODULES_FILE.
// It runs on the loader's thread; a synchronous append per module keeps the list complete up to the moment
// it is read, and costs the daemon one small write for each of its own modules.
import { appendFileSync } from 'node:fs';

const built = new URL('../../dist/', import.meta.url).href;
const record = process.env.ROTOR_LOADED_MODULES_FILE;
if (record === undefined) throw new Error('loaded-modules-hook: set ROTOR_LOADED_MODULES_FILE');

export async function load(url, context, nextLoad) {
  if (url.startsWith(built)) appendFileSync(record, `${url}\n`);
  return nextLoad(url, context);
}
