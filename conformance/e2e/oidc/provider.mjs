// A real OpenID provider (npm oidc-provider 9) for Coffer's web-identity e2e
// test, on 127.0.0.1 over HTTPS. Discovery at /.well-known/openid-configuration,
// keys at /jwks. The client_credentials grant with a resource indicator gives
// JWT access tokens whose audience is the resource's ("coffer-s3") and whose
// "policy" claim comes from the client's metadata below.
//
// Usage: node provider.mjs PORT CERT_FILE KEY_FILE
// Prints "READY <issuer>" on stdout once listening; stops on SIGTERM.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

const [port, certFile, keyFile] = process.argv.slice(2);
const issuer = `https://127.0.0.1:${port}`;

function signingKey(kid, type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

// Per-client claims: the policy names Coffer maps to IAM policies.
const clientPolicy = {
  'e2e-rw': 'e2e-readwrite',
  'e2e-ro': 'e2e-readonly,no-such-policy',
  'e2e-none': '',
};

const clients = Object.keys(clientPolicy).map((id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_post',
}));

const provider = new Provider(issuer, {
  clients,
  jwks: {
    keys: [signingKey('e2e-rsa', 'rsa', { modulusLength: 2048 }, 'RS256')],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://coffer-s3.local/',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 's3',
        audience: 'coffer-s3',
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  async extraTokenClaims(ctx, token) {
    const policy = clientPolicy[token.clientId];
    return policy ? { policy, groups: ['e2e'] } : { groups: ['e2e'] };
  },
});

const server = https.createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  provider.callback(),
);
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
