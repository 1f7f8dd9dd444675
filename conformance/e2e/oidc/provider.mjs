// A real OpenID provider (npm oidc-provider 9) for Coffer's web-identity e2e
// test, on 127.0.0.1 over HTTPS. Discovery at /.well-known/openid-configuration,
// keys at /jwks. The client_credentials grant with a resource indicator gives
// JWT access tokens whose audience is the resource's ("coffer-s3") and whose
// "policy" claim comes from the client's metadata below.
//
// Usage: node provider.mjs PORT CERT_FILE KEY_FILE
// Prints "READY <issuer>" on stdout once listening; stops on SIGTERM.
//
// Option (the console's OIDC login, console_oidc_e2e): with
// PROVIDER_CONSOLE_REDIRECT_URI set, a confidential client "coffer-console"
// (secret PROVIDER_CONSOLE_SECRET, client_secret_basic) for the
// authorization-code flow with PKCE and that redirect URI, and the provider's
// dev login/consent pages (any login name, any password). The ID token of a
// login carries "policy" from consoleAccounts below (the login name when not
// listed) and the request's nonce. Without it the provider is as before.

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

const consoleRedirect = process.env.PROVIDER_CONSOLE_REDIRECT_URI;
// Login name -> "policy" claim of its ID token.
const consoleAccounts = { carol: 'oidc-reader' };
if (consoleRedirect) {
  clients.push({
    client_id: 'coffer-console',
    client_secret: process.env.PROVIDER_CONSOLE_SECRET || 'coffer-console-secret',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [consoleRedirect],
    token_endpoint_auth_method: 'client_secret_basic',
  });
}
const consoleOptions = consoleRedirect ? {
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, policy: consoleAccounts[id] || id };
      },
    };
  },
  claims: { openid: ['sub', 'policy'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
} : {};

const provider = new Provider(issuer, {
  ...consoleOptions,
  clients,
  jwks: {
    keys: [signingKey('e2e-rsa', 'rsa', { modulusLength: 2048 }, 'RS256')],
  },
  features: {
    devInteractions: { enabled: Boolean(consoleRedirect) },
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
