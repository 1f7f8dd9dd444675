// Matrix driver for the AWS SDK for JavaScript v3 (@aws-sdk/client-s3,
// s3-request-presigner, client-sts), default settings (checksums included).
// The appliance CA reaches Node through NODE_EXTRA_CA_CERTS.
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, DeleteBucketCommand,
  PutObjectCommand, HeadObjectCommand, GetObjectCommand, DeleteObjectCommand,
  ListObjectsV2Command, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  E, PROTO, BUCKET, ENDPOINT, SMALL, BIG, check, bounded, curlGet, streamToBuffer, runAll,
} from './common.mjs';

function s3client(credentials) {
  return new S3Client({
    endpoint: ENDPOINT, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: credentials || { accessKeyId: E.MX_AK, secretAccessKey: E.MX_SK },
  });
}
const s3 = s3client();
const send = (cmd, c = s3) => bounded(c.send(cmd), cmd.constructor.name);
const body = async (out) => streamToBuffer(out.Body);
async function status(cmd) {
  try {
    await send(cmd);
    return 200;
  } catch (e) {
    return e.$metadata ? e.$metadata.httpStatusCode : e.name;
  }
}

await runAll([
  ['bucket', async () => {
    const tb = `mxt-jsv3-${PROTO}`;
    await send(new CreateBucketCommand({ Bucket: tb }));
    await send(new HeadBucketCommand({ Bucket: tb }));
    const l = await send(new ListBucketsCommand({}));
    check(l.Buckets.some((b) => b.Name === tb), 'new bucket not listed');
    await send(new DeleteBucketCommand({ Bucket: tb }));
    check(await status(new HeadBucketCommand({ Bucket: tb })) === 404, 'bucket still there');
  }],
  ['object', async () => {
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'obj.bin', Body: SMALL }));
    const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj.bin' }));
    check(h.ContentLength === SMALL.length, 'size');
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj.bin' })))).equals(SMALL), 'content');
    await send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'obj.bin' }));
    check(await status(new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj.bin' })) === 404, 'object still there');
  }],
  ['list', async () => {
    for (const k of ['list/a/1', 'list/a/2', 'list/b/1', 'list/c']) {
      await send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: 'x' }));
    }
    const r = await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
    const prefixes = (r.CommonPrefixes || []).map((p) => p.Prefix).join(' ');
    const keys = (r.Contents || []).map((o) => o.Key).join(' ');
    check(prefixes === 'list/a/ list/b/' && keys === 'list/c', `listing ${prefixes} | ${keys}`);
  }],
  ['multipart', async () => {
    const { UploadId } = await send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mpu.bin' }));
    const parts = [];
    const size = 5 * 1024 * 1024;
    for (let off = 0, n = 1; off < BIG.length; off += size, n += 1) {
      const r = await send(new UploadPartCommand({
        Bucket: BUCKET, Key: 'mpu.bin', UploadId, PartNumber: n, Body: BIG.subarray(off, off + size),
      }));
      parts.push({ ETag: r.ETag, PartNumber: n });
    }
    await send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'mpu.bin', UploadId, MultipartUpload: { Parts: parts },
    }));
    const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mpu.bin' }));
    check(h.ETag.endsWith('-3"'), `ETag ${h.ETag}`);
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mpu.bin' })))).equals(BIG), 'content');
  }],
  ['presign', async () => {
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'pre.bin', Body: SMALL }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'pre.bin' }), { expiresIn: 300 });
    check(curlGet(url).equals(SMALL), 'presigned GET');
  }],
  ['sse-s3', async () => {
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-s3.bin', Body: SMALL, ServerSideEncryption: 'AES256' }));
    const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sse-s3.bin' }));
    check(h.ServerSideEncryption === 'AES256', `head ${h.ServerSideEncryption}`);
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sse-s3.bin' })))).equals(SMALL), 'content');
  }],
  ['sse-kms', async () => {
    await send(new PutObjectCommand({
      Bucket: BUCKET, Key: 'sse-kms.bin', Body: SMALL, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: E.MX_KMS_KEY,
    }));
    const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sse-kms.bin' }));
    check(h.ServerSideEncryption === 'aws:kms' && (h.SSEKMSKeyId || '').includes(E.MX_KMS_KEY), 'head');
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sse-kms.bin' })))).equals(SMALL), 'content');
  }],
  ['sse-c', async () => {
    const key = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: E.MX_SSEC_KEY };
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sse-c.bin', Body: SMALL, ...key }));
    check(await status(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sse-c.bin' })) === 400, 'HEAD without key not refused');
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sse-c.bin', ...key })))).equals(SMALL), 'content');
  }],
  ['sts', async () => {
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sts.bin', Body: SMALL }));
    const sts = new STSClient({
      endpoint: E.MX_STS_ENDPOINT, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: E.MX_AK, secretAccessKey: E.MX_SK },
    });
    const r = await bounded(sts.send(new AssumeRoleCommand({
      RoleArn: 'arn:aws:iam::123456789012:role/mx', RoleSessionName: 'mx',
    })), 'AssumeRole');
    const tmp = s3client({
      accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey,
      sessionToken: r.Credentials.SessionToken,
    });
    check((await body(await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sts.bin' }), tmp))).equals(SMALL), 'content');
  }],
  ['denied', async () => {
    let name = 'none';
    try {
      await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'denied/x.txt', Body: 'secret' }));
    } catch (e) {
      name = e.name;
    }
    check(name === 'AccessDenied', `got ${name}`);
  }],
]);
