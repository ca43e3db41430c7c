/**
 * Single sign-on in Chromium: a real `openclaw dev` configured with OPENCLAW_OIDC_* and a real
 * OpenID provider (npm `oidc-provider`) started here, with the web UI registered as a public client
 * (authorization code, PKCE required, CORS for the UI's origin only) and a login form of its own.
 * "Sign in with SSO" goes to the provider, the user types a name there, and the UI comes back signed
 * in with the role and namespaces of the access token, the token in session storage only and never
 * in the address bar. The IdP's refusals and a forged callback are shown, and nobody is signed in.
 */
import type http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, expectAccessible, launchBrowser, screenshot, watchPage } from '../helpers/browser.js';
import { jwtAccessTokensFor, memoryAdapter, startIdpServer, type IdpServer } from '../helpers/oidc-provider.js';
import { startUiDev, type UiDev } from './ui-dev.js';

const AUDIENCE = 'https://api.openclaw.test';
const CLIENT_ID = 'openclaw-ui';

/** The provider's users and the claims their access tokens carry. */
const USERS: Record<string, Record<string, unknown>> = {
  olivia: { openclaw_role: 'operator', openclaw_namespaces: '*' },
  vince: { openclaw_role: ['staff', 'viewer'], openclaw_namespaces: ['default'] },
  nora: { openclaw_namespaces: '*' }, // no role
};

const page404 = (res: http.ServerResponse): void => void res.writeHead(404).end();

/** The provider's login page: a name, Sign in or Cancel. Plain HTML, its own origin. */
const loginForm = (uid: string, error = ''): string => `<!doctype html><html lang="en"><head><title>Example IdP</title></head><body>
<main><h1>Example IdP</h1>${error && `<p role="alert">${error}</p>`}
<form method="post" action="/interaction/${uid}/login"><label for="username">Username</label>
<input id="username" name="username" autocomplete="off"><button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form></main></body></html>`;

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function startProvider(idp: IdpServer, uiOrigin: string): Promise<void> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(idp.issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'idp-key', alg: 'RS256', use: 'sig' }] },
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${uiOrigin}/auth/callback`],
      },
    ],
    pkce: { required: () => true },
    // As a browser client needs: CORS on the token endpoint, for the UI's origin only.
    clientBasedCORS: (_ctx, origin, client) => client.clientId === CLIENT_ID && origin === uiOrigin,
    adapter: memoryAdapter,
    cookies: { keys: ['sso-test-cookie-key'] },
    ttl: { AccessToken: 300, IdToken: 300, Grant: 600, Interaction: 600, Session: 600 },
    findAccount: (_ctx, sub) => (USERS[sub] ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: jwtAccessTokensFor(AUDIENCE),
    },
    extraTokenClaims: (_ctx, token) => ('accountId' in token ? USERS[String(token.accountId)] : undefined),
  });
  const callback = provider.callback();
  idp.serve((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(204).end(); // the login page's, asked for by the browser
    const m = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url ?? '');
    if (!m) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== m[1]) return page404(res);
      if (!m[2]) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginForm(details.uid));
      if (m[2] === 'abort') {
        const result = { error: 'access_denied', error_description: 'the user cancelled the sign-in' };
        return await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      }
      const accountId = (await readForm(req)).get('username') ?? '';
      if (!USERS[accountId]) return void res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(details.uid, 'Unknown user'));
      const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
      grant.addOIDCScope('openid');
      grant.addResourceScope(AUDIENCE, 'api');
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
}

describeBrowser('web UI: single sign-on (OIDC authorization code with PKCE)', () => {
  let idp: IdpServer;
  let ui: UiDev;
  let browser: Browser;
  let runId: string;

  beforeAll(async () => {
    [idp, browser] = await Promise.all([startIdpServer(), launchBrowser()]);
    ui = await startUiDev({
      OPENCLAW_OIDC_ISSUER: idp.issuer,
      OPENCLAW_OIDC_AUDIENCE: AUDIENCE,
      OPENCLAW_OIDC_UI_CLIENT_ID: CLIENT_ID,
      OPENCLAW_OIDC_UI_SCOPES: 'openid api',
      OPENCLAW_OIDC_UI_PARAMS: `resource=${AUDIENCE}`,
    });
    // The redirect URI names the server's port, known only now; nothing has asked the IdP anything yet.
    await startProvider(idp, ui.url);
    runId = await ui.startRun('order-fulfilment', { amount: 5000 });
    await ui.waitForStatus(runId, ['waiting']);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    await idp?.close();
  });

  const newPage = async (): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    return { page, problems: watchPage(page) };
  };

  /** From the sign-in page: "Sign in with SSO", the IdP's form, back to the UI. */
  async function signInAs(page: Page, user: string): Promise<void> {
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL(`${idp.issuer}/interaction/**`);
    await page.getByLabel('Username').fill(user);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${ui.url}/**`);
  }

  const stored = (page: Page, what: 'sessionStorage' | 'localStorage') => page.evaluate(`JSON.stringify(${what})`) as Promise<string>;

  it('signs in at the identity provider and comes back with the role of the token; the token stays in session storage', async () => {
    expect(ui.dev.output()).toContain(`SSO       the UI signs in at ${idp.issuer} as client ${CLIENT_ID}`);
    const { page, problems } = await newPage();
    const seen: string[] = [];
    page.on('framenavigated', (f) => void (f === page.mainFrame() && seen.push(f.url())));
    const res = await page.goto(`${ui.url}/runs`);
    expect(res?.headers()['content-security-policy']).toContain(`connect-src 'self' ${idp.issuer}`);
    await page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
    await expectAccessible(page, 'sign-in page with SSO');
    await screenshot(page, 'sign-in-sso');
    await signInAs(page, 'olivia');
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(page.url()).toBe(`${ui.url}/runs`);
    await expect.poll(() => page.locator('header .role').textContent()).toBe('operator');
    expect(await page.locator('header .role').getAttribute('title')).toBe('oidc oidc:olivia');
    // The runs are there, with an operator's actions.
    await page.locator('table.runs tbody tr', { hasText: 'order-fulfilment' }).first().waitFor();
    expect(await page.getByRole('checkbox').count()).toBeGreaterThan(0);
    // The access token (a JWT) is the tab's credential: in session storage, nowhere else.
    const token = (await page.evaluate('sessionStorage.getItem("openclaw.apiKey")')) as string;
    expect(token.split('.')).toHaveLength(3);
    expect(await stored(page, 'localStorage')).not.toContain(token);
    expect(await stored(page, 'sessionStorage')).not.toContain('verifier'); // the flow's state is gone
    // The code came back in the callback's URL and left it at once; the token was never in one.
    expect(seen.some((u) => u.startsWith(`${ui.url}/auth/callback?code=`))).toBe(true);
    expect(await page.evaluate('window.location.href')).toBe(`${ui.url}/runs`);
    expect(seen.filter((u) => u.includes(token))).toEqual([]);
    // The token works against the API as the same principal.
    const who = await fetch(`${ui.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
    expect(who).toMatchObject({ principal: 'oidc:olivia', kind: 'oidc', role: 'operator', namespaces: '*' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("openclaw.apiKey")')).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('returns to the page where sign-in began; a viewer is offered no actions', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${ui.url}/runs/${runId}`);
    await signInAs(page, 'vince');
    await page.getByRole('heading', { name: /order-fulfilment/ }).waitFor();
    expect(page.url()).toBe(`${ui.url}/runs/${runId}`);
    await expect.poll(() => page.locator('header .role').textContent()).toBe('viewer');
    await page.getByText('Following live.').waitFor();
    for (const name of ['Cancel run', 'Retry run', /Send signal/]) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows what went wrong: the IdP refused, a token without a role, a forged callback', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${ui.url}/runs`);
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The identity provider refused: access_denied');
    expect(page.url()).toBe(`${ui.url}/auth/callback`);
    expect(await page.evaluate('sessionStorage.getItem("openclaw.apiKey")')).toBeNull();
    await page.getByRole('button', { name: 'Back to sign-in' }).click();

    await signInAs(page, 'nora');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not allowed: .*"openclaw_role" claim is missing/);
    // The API's 403 to that token is the one failed load the browser reports.
    expect(problems.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 403 (Forbidden)']);

    // A callback that no sign-in in this tab started is refused, and its code is not traded.
    const forged = await browser.newPage();
    const forgedProblems = watchPage(forged);
    await forged.goto(`${ui.url}/auth/callback?code=stolen&state=guess`);
    await expect.poll(() => forged.getByRole('alert').textContent()).toContain('No sign-in was started in this tab');
    expect(forged.url()).toBe(`${ui.url}/auth/callback`);
    expect(await forged.evaluate('sessionStorage.getItem("openclaw.apiKey")')).toBeNull();
    expect([...problems, ...forgedProblems]).toEqual([]);
    await forged.close();
    await page.close();
  });
});
