// Shared bits of the JavaScript matrix drivers (jsv3.mjs, minio.mjs): the
// environment conformance/matrix/run sets, result records, test data and curl.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, appendFileSync } from 'node:fs';

export const E = process.env;
export const PROTO = E.MX_PROTO;
export const HTTPS = PROTO === 'https';
export const ENDPOINT = E.MX_ENDPOINT;
export const BUCKET = E.MX_BUCKET;
export const TIMEOUT_MS = Number(E.MX_CALL_TIMEOUT || 45) * 1000;
export const SMALL = randomBytes(20011);
export const BIG = randomBytes(11 * 1024 * 1024 + 7);
writeFileSync(E.MX_RESULTS, '');

export function record(feature, status, note = '') {
  appendFileSync(E.MX_RESULTS, `${feature}\t${status}\t${note}\n`);
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// Bounds one client call: a hung request fails the cell instead of the run.
export function bounded(promise, what = 'call') {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TIMEOUT: ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export async function cell(feature, fn) {
  console.log(`== ${feature}`);
  try {
    await fn();
    record(feature, 'pass');
  } catch (e) {
    console.log(e && e.stack ? e.stack : e);
    record(feature, 'FAIL', String((e && (e.name || e.code)) || 'error'));
  }
}

export function curlGet(url) {
  const args = ['-sS', '-f', '-m', String(TIMEOUT_MS / 1000)];
  if (HTTPS) args.push('--cacert', E.MX_CA);
  args.push(url);
  return execFileSync('curl', args, { maxBuffer: 64 << 20 });
}

export async function streamToBuffer(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export async function runAll(cells) {
  for (const [feature, fn] of cells) {
    if (feature === 'sse-c' && !HTTPS) record('sse-c', 'n/a', 'plain-http-ssec');
    else if (feature === 'sts' && !HTTPS) record('sts', 'n/a', 'plain-http-sts');
    else await cell(feature, fn);
  }
}

// A raw SigV4 GET (curl --aws-sigv4) as the matrix user, without the
// customer key: true when refused as S3 does (400, the SSE-C message).
export function ssecRefused(key) {
  const args = ['-sS', '-w', '\n%{http_code}', '-m', String(TIMEOUT_MS / 1000),
    '-H', 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${E.MX_AK}:${E.MX_SK}`];
  if (HTTPS) args.push('--cacert', E.MX_CA);
  args.push(`${ENDPOINT}/${BUCKET}/${key}`);
  const out = execFileSync('curl', args).toString();
  return out.endsWith('\n400') && out.includes('stored using a form of Server Side Encryption');
}
