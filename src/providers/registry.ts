import { cloudflareProvider } from './cloudflare/index.js';
import { moovProvider } from './moov/index.js';
import type { AnyProvider } from './provider.js';
import { tagoioProvider } from './tagoio/index.js';
import { telenorProvider } from './telenor/index.js';

/** Every provider rotor knows, by the id used in config. Adding a provider adds one line here. */
export const providers: Readonly<Record<string, AnyProvider>> = {
  [cloudflareProvider.id]: cloudflareProvider,
  [moovProvider.id]: moovProvider,
  [tagoioProvider.id]: tagoioProvider,
  [telenorProvider.id]: telenorProvider,
};

export function findProvider(id: string): AnyProvider | undefined {
  return Object.hasOwn(providers, id) ? providers[id] : undefined;
}
