// Load generator for server.mjs, following `dancu bench oidc` (crates/dancu/src/bench_oidc.rs):
// pre-issued authorization codes are exchanged at the token endpoint (client_secret_basic,
// PKCE S256), then each refresh token is used once, then userinfo is called with the access
// tokens from the exchange, each phase from CONNECTIONS concurrent keep-alive connections until
// its items are used up or SECONDS pass. Prints ok count, errors, rate, p50 and p99 per phase in
// the same format as dancu.
//
//   node bench.mjs [--codes 20000] [--connections 32] [--seconds 15]
//                  [--control http://127.0.0.1:3001]

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';

const { values: args } = parseArgs({
  options: {
    codes: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '15' },
    control: { type: 'string', default: 'http://127.0.0.1:3001' },
  },
});
const CODES = Number(args.codes);
const CONNECTIONS = Number(args.connections);
const SECONDS = Number(args.seconds);

// Wait for the server (it may have been started in the background a moment ago).
async function issueCodes() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const { statusCode, body } = await request(`${args.control}/codes?n=${CODES}`, { method: 'POST' });
      if (statusCode !== 200) throw new Error(`control endpoint answered ${statusCode}`);
      return await body.json();
    } catch (err) {
      if (attempt >= 300) throw err; // about a minute
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

process.stdout.write(`issuing ${CODES} authorization codes… `);
const setup = await issueCodes();
const { codes } = setup;
const discovery = await (await request(`${setup.issuer}/.well-known/openid-configuration`)).body.json();
const tokenPath = new URL(discovery.token_endpoint).pathname;
const userinfoPath = new URL(discovery.userinfo_endpoint).pathname;
const basic = `Basic ${Buffer.from(`${encodeURIComponent(setup.client_id)}:${encodeURIComponent(setup.client_secret)}`).toString('base64')}`;
console.log(`done.\noidc-provider at ${setup.issuer}, ${CONNECTIONS} connections, ${SECONDS} s per phase at most`);

// One pool of CONNECTIONS keep-alive connections, no pipelining: like reqwest's pool under
// CONNECTIONS concurrent tasks.
const pool = new Pool(setup.issuer, { connections: CONNECTIONS, pipelining: 1 });

function summarise(name, ok, errors, elapsedMs) {
  ok.sort((a, b) => a - b);
  const n = ok.length;
  const pct = (p) => (n ? ok[Math.min(Math.floor(n * p), n - 1)] : 0);
  console.log(
    `${name.padEnd(22)} ${String(n).padStart(7)} ok, ${String(errors).padStart(4)} errors; `
    + `${(n / (elapsedMs / 1000)).toFixed(0).padStart(7)}/s; `
    + `p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms`,
  );
}

// Runs work(i) from CONNECTIONS workers until `items` are used up or `seconds` pass.
async function phase(name, items, work) {
  let next = 0;
  const ok = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const worker = async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= items || performance.now() >= deadline) return;
      const t = performance.now();
      let good = false;
      try {
        good = await work(i);
      } catch {
        good = false;
      }
      if (good) ok.push(performance.now() - t); else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  summarise(name, ok, errors, performance.now() - start);
}

const form = (o) => new URLSearchParams(o).toString();
const tokenHeaders = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };

const accessTokens = [];
const refreshTokens = [];
await phase('code -> token', codes.length, async (i) => {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: tokenPath,
    headers: tokenHeaders,
    body: form({
      grant_type: 'authorization_code',
      code: codes[i],
      redirect_uri: setup.redirect_uri,
      code_verifier: setup.code_verifier,
    }),
  });
  const v = await body.json();
  if (statusCode !== 200 || !v.access_token || !v.refresh_token || !v.id_token) return false;
  accessTokens.push(v.access_token);
  refreshTokens.push(v.refresh_token);
  return true;
});

await phase('refresh grant', refreshTokens.length, async (i) => {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: tokenPath,
    headers: tokenHeaders,
    body: form({ grant_type: 'refresh_token', refresh_token: refreshTokens[i] }),
  });
  await body.text();
  return statusCode === 200;
});

// Rotation replaces refresh tokens only: the exchange's access tokens still serve userinfo,
// each used many times.
await phase('userinfo', Number.MAX_SAFE_INTEGER, async (i) => {
  const { statusCode, body } = await pool.request({
    method: 'GET',
    path: userinfoPath,
    headers: { authorization: `Bearer ${accessTokens[i % accessTokens.length]}` },
  });
  await body.text();
  return statusCode === 200;
});

await pool.close();
