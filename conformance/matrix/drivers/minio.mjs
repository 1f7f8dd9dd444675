// Matrix driver for the MinIO JavaScript client (minio 8), default settings
// but 5 MiB parts. The appliance CA reaches Node through NODE_EXTRA_CA_CERTS.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';
import {
  E, PROTO, HTTPS, BUCKET, SMALL, BIG, check, bounded, curlGet, streamToBuffer, runAll, ssecRefused,
} from './common.mjs';

const base = {
  endPoint: '127.0.0.1', port: Number(E.MX_PORT), useSSL: HTTPS, region: 'us-east-1',
  pathStyle: true, partSize: 5 * 1024 * 1024,
};
const mc = new Minio.Client({ ...base, accessKey: E.MX_AK, secretKey: E.MX_SK });
const get = async (c, key, opts) => streamToBuffer(await bounded(c.getObject(BUCKET, key, opts), 'getObject'));
const put = (key, data, meta) => bounded(mc.putObject(BUCKET, key, data, data.length, meta || {}), 'putObject');
async function listAll(stream) {
  const out = [];
  for await (const item of stream) out.push(item);
  return out;
}

await runAll([
  ['bucket', async () => {
    const tb = `mxt-minio-${PROTO}`;
    await bounded(mc.makeBucket(tb, 'us-east-1'), 'makeBucket');
    check(await bounded(mc.bucketExists(tb)), 'bucketExists');
    check((await bounded(mc.listBuckets())).some((b) => b.name === tb), 'new bucket not listed');
    await bounded(mc.removeBucket(tb), 'removeBucket');
    check(!(await bounded(mc.bucketExists(tb))), 'bucket still there');
  }],
  ['object', async () => {
    await put('obj.bin', SMALL);
    check((await bounded(mc.statObject(BUCKET, 'obj.bin'))).size === SMALL.length, 'size');
    check((await get(mc, 'obj.bin')).equals(SMALL), 'content');
    await bounded(mc.removeObject(BUCKET, 'obj.bin'), 'removeObject');
    let code = 'none';
    try {
      await bounded(mc.statObject(BUCKET, 'obj.bin'));
    } catch (e) {
      code = e.code;
    }
    check(code === 'NotFound' || code === 'NoSuchKey', `object still there (${code})`);
  }],
  ['list', async () => {
    for (const k of ['list/a/1', 'list/a/2', 'list/b/1', 'list/c']) await put(k, Buffer.from('x'));
    const items = await bounded(listAll(mc.listObjectsV2(BUCKET, 'list/', false)), 'listObjectsV2');
    const got = items.map((i) => i.prefix || i.name).sort().join(' ');
    check(got === 'list/a/ list/b/ list/c', `listing ${got}`);
  }],
  ['multipart', async () => {
    // A stream (minio-js sends a Buffer as one part): cut into 5 MiB parts.
    const chunks = [];
    for (let off = 0; off < BIG.length; off += 1 << 20) chunks.push(BIG.subarray(off, off + (1 << 20)));
    await bounded(mc.putObject(BUCKET, 'mpu.bin', Readable.from(chunks), BIG.length), 'putObject');
    const st = await bounded(mc.statObject(BUCKET, 'mpu.bin'));
    check(st.etag.endsWith('-3'), `ETag ${st.etag}`);
    check((await get(mc, 'mpu.bin')).equals(BIG), 'content');
  }],
  ['presign', async () => {
    await put('pre.bin', SMALL);
    const url = await bounded(mc.presignedGetObject(BUCKET, 'pre.bin', 300), 'presignedGetObject');
    check(curlGet(url).equals(SMALL), 'presigned GET');
  }],
  ['sse-s3', async () => {
    await put('sse-s3.bin', SMALL, { 'X-Amz-Server-Side-Encryption': 'AES256' });
    const st = await bounded(mc.statObject(BUCKET, 'sse-s3.bin'));
    check(st.metaData['x-amz-server-side-encryption'] === 'AES256', `stat ${JSON.stringify(st.metaData)}`);
    check((await get(mc, 'sse-s3.bin')).equals(SMALL), 'content');
  }],
  ['sse-kms', async () => {
    await put('sse-kms.bin', SMALL, {
      'X-Amz-Server-Side-Encryption': 'aws:kms',
      'X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id': E.MX_KMS_KEY,
    });
    const st = await bounded(mc.statObject(BUCKET, 'sse-kms.bin'));
    check(st.metaData['x-amz-server-side-encryption'] === 'aws:kms', `stat ${JSON.stringify(st.metaData)}`);
    check((await get(mc, 'sse-kms.bin')).equals(SMALL), 'content');
  }],
  ['sse-c', async () => {
    const raw = Buffer.from(E.MX_SSEC_KEY);
    const key = raw.toString('base64');
    const md5 = createHash('md5').update(raw).digest('base64');
    await put('sse-c.bin', SMALL, {
      'X-Amz-Server-Side-Encryption-Customer-Algorithm': 'AES256',
      'X-Amz-Server-Side-Encryption-Customer-Key': key,
      'X-Amz-Server-Side-Encryption-Customer-Key-MD5': md5,
    });
    check(ssecRefused('sse-c.bin'), 'GET without the key not refused');
    const got = await get(mc, 'sse-c.bin', {
      SSECustomerAlgorithm: 'AES256', SSECustomerKey: key, SSECustomerKeyMD5: md5,
    });
    check(got.equals(SMALL), 'content');
  }],
  ['sts', async () => {
    await put('sts.bin', SMALL);
    const provider = new AssumeRoleProvider({
      stsEndpoint: E.MX_STS_ENDPOINT, accessKey: E.MX_AK, secretKey: E.MX_SK, region: 'us-east-1',
      roleArn: 'arn:aws:iam::123456789012:role/mx', roleSessionName: 'mx',
    });
    const tmp = new Minio.Client({ ...base, credentialsProvider: provider });
    check((await get(tmp, 'sts.bin')).equals(SMALL), 'content');
  }],
  ['denied', async () => {
    let code = 'none';
    try {
      await put('denied/x.txt', Buffer.from('secret'));
    } catch (e) {
      code = e.code;
    }
    check(code === 'AccessDenied', `got ${code}`);
  }],
]);
