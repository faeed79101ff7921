import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EmulatorRequest } from '../../emulator-harness/emulator-http.js';
import type { Clock } from '../../lib/clock.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SigV4VerifierOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
  readonly clock: Clock;
}

/** Why AWS refused a request's signature, as its error code and message. */
export interface SigV4Failure {
  readonly code:
    | 'MissingAuthenticationTokenException'
    | 'IncompleteSignatureException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException';
  readonly message: string;
}

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const incomplete = (message: string): SigV4Failure => ({ code: 'IncompleteSignatureException', message });
const invalid = (message: string): SigV4Failure => ({ code: 'InvalidSignatureException', message });

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 percent-encoding, as SigV4 requires (encodeURIComponent leaves `!'()*` alone). */
const escapeUri = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function parseAuthorization(header: string): ParsedAuthorization | SigV4Failure {
  const space = header.indexOf(' ');
  const algorithm = space === -1 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [
    credential === undefined && "Authorization header requires 'Credential' parameter.",
    signedHeaders === undefined && "Authorization header requires 'SignedHeaders' parameter.",
    signature === undefined && "Authorization header requires 'Signature' parameter.",
  ].filter((problem): problem is string => typeof problem === 'string');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return incomplete(missing.join(' '));
  }
  const scope = credential.split('/');
  if (scope.length !== 5) {
    return incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${scope.length}'`,
    );
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = scope;
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

/** `20240131T235959Z` as epoch ms, or undefined when it is not that format. */
function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const at = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
  return Number.isNaN(at) ? undefined : at;
}

const formatAmzDate = (epochMs: number): string =>
  new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  // The path on the wire is already encoded once; AWS (outside S3) encodes it again.
  return `/${segments.map(escapeUri).join('/')}${trailing}`;
}

function canonicalQuery(query: URLSearchParams): string {
  return [...query]
    .filter(([key]) => key.toLowerCase() !== 'x-amz-signature')
    .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
    .sort()
    .join('&');
}

const canonicalHeaderValue = (value: string | undefined): string =>
  (value ?? '')
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim();

/**
 * Checks AWS Signature Version 4 on a request the way AWS does for a JSON-protocol service: the access key
 * must be known, the credential scope must name this region and service, X-Amz-Date must be within 15 minutes
 * of the verifier's clock, and the signature over the canonical request must match.
 */
export function createSigV4Verifier(options: SigV4VerifierOptions) {
  const signingKey = (date: string): Buffer =>
    hmac(
      hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, date), options.region), options.service),
      TERMINATOR,
    );

  function checkScope(auth: ParsedAuthorization, amzDate: string): SigV4Failure | undefined {
    if (auth.accessKeyId !== options.accessKeyId) {
      return {
        code: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    }
    if (auth.terminator !== TERMINATOR) {
      return invalid(
        `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${auth.terminator}'.`,
      );
    }
    if (auth.service !== options.service) {
      return invalid(`Credential should be scoped to correct service: '${options.service}'.`);
    }
    if (auth.region !== options.region) {
      return invalid(`Credential should be scoped to a valid region, not '${auth.region}'.`);
    }
    if (auth.date !== amzDate.slice(0, 8)) {
      return invalid(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      );
    }
    if (!auth.signedHeaders.includes('host')) {
      return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    return undefined;
  }

  function checkTime(amzDate: string, signedAt: number): SigV4Failure | undefined {
    const now = options.clock.now();
    if (signedAt < now - MAX_SKEW_MS) {
      return invalid(
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`,
      );
    }
    if (signedAt > now + MAX_SKEW_MS) {
      return invalid(
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
      );
    }
    return undefined;
  }

  function expectedSignature(request: EmulatorRequest, auth: ParsedAuthorization, amzDate: string): string {
    const headers = auth.signedHeaders.map(
      (name) => `${name}:${canonicalHeaderValue(request.headers[name])}\n`,
    );
    const canonicalRequest = [
      request.method,
      canonicalPath(request.path),
      canonicalQuery(request.query),
      headers.join(''),
      auth.signedHeaders.join(';'),
      sha256Hex(request.body),
    ].join('\n');
    const scope = `${auth.date}/${auth.region}/${auth.service}/${TERMINATOR}`;
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    return createHmac('sha256', signingKey(auth.date)).update(stringToSign, 'utf8').digest('hex');
  }

  return {
    /** Undefined when the request is correctly signed; otherwise why AWS would refuse it. */
    verify(request: EmulatorRequest): SigV4Failure | undefined {
      const header = request.headers.authorization;
      if (header === undefined || header === '') {
        return {
          code: 'MissingAuthenticationTokenException',
          message: 'Request is missing Authentication Token',
        };
      }
      const auth = parseAuthorization(header);
      if ('code' in auth) return auth;
      const amzDate = request.headers['x-amz-date'];
      const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
      if (amzDate === undefined || signedAt === undefined) {
        return incomplete(
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
      }
      // This emulator issues no session tokens, so any token presented is one it does not know.
      if (request.headers['x-amz-security-token'] !== undefined) {
        return {
          code: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
        };
      }
      const problem = checkScope(auth, amzDate) ?? checkTime(amzDate, signedAt);
      if (problem) return problem;
      const expected = Buffer.from(expectedSignature(request, auth, amzDate), 'utf8');
      const given = Buffer.from(auth.signature, 'utf8');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        return invalid(
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        );
      }
      return undefined;
    },
  };
}

export type SigV4Verifier = ReturnType<typeof createSigV4Verifier>;
