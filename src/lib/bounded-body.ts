/** A body as UTF-8 text, or undefined once it grows past `maxBytes` (the rest is not read). */
export async function boundedText(
  body: AsyncIterable<Buffer>,
  maxBytes: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
