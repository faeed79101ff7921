// `node --import ./record-loaded-modules.mjs …`: registers loaded-modules-hook.mjs before the entry module
// loads, so every module of the process, the entry included, is recorded.
import { register } from 'node:module';

register('./loaded-modules-hook.mjs', import.meta.url);
