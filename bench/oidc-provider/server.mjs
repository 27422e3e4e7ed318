// oidc-provider set up like dancu's bench relying party: one confidential client
// (client_secret_basic, authorization_code + refresh_token, PKCE required, ES256 ID tokens),
// a fixed account with name claims, an in-memory adapter, refresh tokens always issued and
// rotated on use.
//
// It listens on two loopback ports:
//   OIDC_PORT (3000): the provider itself, the only thing the benchmark measures;
//   CONTROL_PORT (3001): POST /codes?n=N issues N authorization codes straight through the
//     provider's models (a Grant and an AuthorizationCode each, as the authorization endpoint
//     would after login and consent) and answers them as JSON, with the client's credentials.
//     This mirrors dancu's bench, which issues its codes with oidc::grants::issue_code.

import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import http from 'node:http';

process.env.NODE_ENV ??= 'production';
const { default: Provider } = await import('oidc-provider');

const HOST = '127.0.0.1';
const OIDC_PORT = Number(process.env.OIDC_PORT ?? 3000);
const CONTROL_PORT = Number(process.env.CONTROL_PORT ?? 3001);
const ISSUER = `http://${HOST}:${OIDC_PORT}`;

const CLIENT_ID = 'bench-rp';
const CLIENT_SECRET = randomBytes(32).toString('base64url');
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const ACCOUNT_ID = '001090000001';
const VERIFIER = 'b'.repeat(64); // the same fixed PKCE verifier dancu's bench uses
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

// In-memory adapter over plain Maps. The adapter bundled with oidc-provider is an LRU capped at
// 1000 entries, which would evict most of the pre-issued codes, so it is not used.
const store = new Map(); // key -> { payload, expiresAt }
const grantIndex = new Map(); // grantId -> Set of keys
const uidIndex = new Map(); // session uid -> key
const userCodeIndex = new Map(); // user code -> key
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, expiresAt });
    if (grantable.has(this.model) && payload.grantId) {
      let keys = grantIndex.get(payload.grantId);
      if (!keys) grantIndex.set(payload.grantId, (keys = new Set()));
      keys.add(key);
    }
    if (this.model === 'Session' && payload.uid) uidIndex.set(payload.uid, key);
    if (payload.userCode) userCodeIndex.set(payload.userCode, key);
  }

  static get(key) {
    const entry = key && store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async find(id) {
    return MapAdapter.get(this.key(id));
  }

  async findByUid(uid) {
    return MapAdapter.get(uidIndex.get(uid));
  }

  async findByUserCode(userCode) {
    return MapAdapter.get(userCodeIndex.get(userCode));
  }

  async consume(id) {
    const payload = MapAdapter.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const keys = grantIndex.get(grantId);
    if (!keys) return;
    for (const key of keys) store.delete(key);
    grantIndex.delete(grantId);
  }
}

// A fresh EC P-256 signing key for ES256 ID tokens.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const account = {
  accountId: ACCOUNT_ID,
  async claims() {
    return {
      sub: ACCOUNT_ID,
      name: 'Nguyễn Văn An',
      family_name: 'Nguyễn',
      middle_name: 'Văn',
      given_name: 'An',
      birthdate: '1990-01-01',
      gender: 'male',
      locale: 'vi-VN',
    };
  },
};

const provider = new Provider(ISSUER, {
  adapter: MapAdapter,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    client_name: 'Bench RP',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    sid: null,
    // acr, amr and auth_time in every ID token, as dancu's carry them.
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['name', 'family_name', 'middle_name', 'given_name', 'birthdate', 'gender', 'locale'],
  },
  async findAccount(ctx, id) {
    return id === ACCOUNT_ID ? account : undefined;
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600, // as dancu (ACCESS_TTL_MS)
    AuthorizationCode: 60,
    IdToken: 300, // as dancu (ID_TOKEN_TTL_S)
    RefreshToken: 30 * 24 * 3600,
    Grant: 30 * 24 * 3600,
    Session: 14 * 24 * 3600,
    Interaction: 3600,
  },
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(OIDC_PORT, HOST);

// One grant and one code per authorization, as after a real login + consent.
async function issueCodes(n) {
  const client = await provider.Client.find(CLIENT_ID);
  const codes = new Array(n);
  for (let i = 0; i < n; i += 1) {
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID });
    grant.addOIDCScope('openid profile');
    const grantId = await grant.save();
    const code = new provider.AuthorizationCode({
      client,
      accountId: ACCOUNT_ID,
      grantId,
      redirectUri: REDIRECT_URI,
      scope: 'openid profile',
      nonce: 'n',
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      acr: 'urn:bench:level2',
      amr: ['pwd'],
      authTime: Math.floor(Date.now() / 1000),
      expiresWithSession: false,
      // Codes live 60 s; like dancu's bench, keep them for an hour so a slow machine measures
      // exchanges, not expiry.
      expiresIn: 3600,
    });
    codes[i] = await code.save();
  }
  return codes;
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${HOST}`);
  if (req.method === 'POST' && url.pathname === '/codes') {
    const n = Math.max(0, Math.min(Number(url.searchParams.get('n') ?? 1000), 1_000_000));
    const codes = await issueCodes(n);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      issuer: ISSUER,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
      codes,
    }));
  } else {
    res.statusCode = 404;
    res.end();
  }
}).listen(CONTROL_PORT, HOST, () => {
  console.log(`oidc-provider at ${ISSUER}, control on http://${HOST}:${CONTROL_PORT}`);
});
