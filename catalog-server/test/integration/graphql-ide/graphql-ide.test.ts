// The GraphQL IDE at /graphql works offline: its page, script and styles come from the server itself
// (no token needed: they hold no data), with a Content-Security-Policy that allows no other origin;
// GraphQL requests still need a token. In a real headless Chromium against a real in-process server:
// the page loads without a token, a query without the Authorization header is refused, with it
// `{ me { name role } }` answers in the result pane, and a subscription goes over graphql-ws with the
// header's token as the connection's `authorization`; no request leaves the origin, no console error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { firstAdminToken } from '../../support/auth.js';
import { browserUnavailable, launchBrowser, screenshotDir } from '../../support/browser.js';
import { codeOf, postGraphql } from '../../support/graphql-http.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { testServerConfig } from '../../support/test-server.js';

let db: TestDatabase;
let server: RunningServer;
let origin: string;

before(async () => {
  db = await createTestDatabase('graphql_ide');
  server = await startServer(testServerConfig(db.url), { logger: createLogger('error', process.stderr) });
  origin = new URL(server.graphqlUrl).origin;
});

after(async () => {
  await server?.stop();
  await db?.drop();
});

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the IDE’s files over HTTP', () => {
  it('GET /graphql from a browser answers the page without a token, with a CSP allowing only this origin', async () => {
    const res = await fetch(server.graphqlUrl, { headers: HTML });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "font-src 'self' data:", "frame-ancestors 'none'"])
      assert.ok(csp.includes(d), csp);
    assert.doesNotMatch(csp, /https?:|\*/, 'no other origin is allowed');
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/graphql-ide\/graphql-ide\.js">/);
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin');
  });

  it('serves the script and styles without a token, and nothing else', async () => {
    for (const [file, type] of [
      ['graphql-ide.js', /^text\/javascript/],
      ['graphql-ide.css', /^text\/css/],
    ] as const) {
      const res = await fetch(`${origin}/graphql-ide/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type') ?? '', type);
      assert.ok((await res.arrayBuffer()).byteLength > 1000, file);
    }
    for (const file of ['nope.js', 'index.html', '..%2Fpackage.json']) {
      const res = await fetch(`${origin}/graphql-ide/${file}`);
      assert.equal(res.status, 404, file);
      assert.equal(((await res.json()) as { code: string }).code, 'NOT_FOUND');
    }
  });

  it('every GraphQL request still needs a token: a POST, and a GET that asks for JSON', async () => {
    assert.equal(codeOf(await postGraphql(server.graphqlUrl, '{ me { name } }')), 'UNAUTHENTICATED');
    const get = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('{ me { name } }')}`, { headers: { ...HTML, 'apollo-require-preflight': '1' } });
    assert.equal(((await get.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, 'UNAUTHENTICATED');
  });
});

/** Replaces the text of the GraphiQL editor (CodeMirror) in `selector` as an operator would: select all, type. */
async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(`${selector} .CodeMirror`).first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

const resultText = (page: Page) => page.locator('.result-window').innerText();

async function waitForResult(page: Page, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await resultText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the result pane never matched ${String(pattern)}: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the IDE in a real browser', async () => {
  const unavailable = await browserUnavailable();

  it(
    'loads offline, runs { me { name role } } with the Authorization header, and subscribes over graphql-ws with it',
    { skip: unavailable ?? false },
    async () => {
      const token = firstAdminToken(server);
      const shots = await screenshotDir('graphql-ide');
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        const foreign: string[] = [];
        const failed: string[] = [];
        const consoleErrors: string[] = [];
        // Anything for another origin is recorded and refused: an offline site has no network beyond this server.
        await page.route('**/*', async (route) => {
          const url = route.request().url();
          if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
          foreign.push(url);
          return route.abort();
        });
        page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
        page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
        page.on('pageerror', (e) => consoleErrors.push(e.stack ?? e.message));
        const sent: string[] = [];
        const received: string[] = [];
        page.on('websocket', (ws) => {
          assert.equal(ws.url(), `${origin.replace('http', 'ws')}/graphql`);
          ws.on('framesent', (f) => sent.push(String(f.payload)));
          ws.on('framereceived', (f) => received.push(String(f.payload)));
        });

        await page.goto(`${origin}/graphql`);
        await page
          .locator('.graphiql-execute-button')
          .waitFor({ timeout: 20_000 })
          .catch((err: Error) => {
            throw new Error(
              `the IDE did not render: ${err.message}\nconsole: ${consoleErrors.join('\n')}\nforeign: ${foreign.join(', ')}; failed: ${failed.join(', ')}`,
            );
          });
        const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
        assert.match(await page.locator(headersEditor).innerText(), /"Authorization": "Bearer "/, 'the headers editor is open with the hint');

        // Without a token the IDE still loads, and the server refuses the query.
        await typeInto(page, '.graphiql-query-editor', '{ me { name role } }');
        await typeInto(page, headersEditor, '{}');
        await page.locator('.graphiql-execute-button').click();
        await waitForResult(page, /UNAUTHENTICATED/);

        await typeInto(page, headersEditor, JSON.stringify({ Authorization: `Bearer ${token}` }));
        await page.locator('.graphiql-execute-button').click();
        const answer = await waitForResult(page, /"role": "ADMIN"/);
        assert.match(answer, /"name": "admin"/);
        await page.screenshot({ path: path.join(shots, 'graphql-ide-me.png'), fullPage: true });

        await typeInto(page, '.graphiql-query-editor', 'subscription { operatorRequestUpdated { id } }');
        await page.locator('.graphiql-execute-button').click();
        const deadline = Date.now() + 10_000;
        while (!sent.some((f) => f.includes('"type":"subscribe"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, 500)); // time for a refusal to arrive, if there were one
        const init = sent.map((f) => JSON.parse(f) as { type: string; payload?: unknown }).find((f) => f.type === 'connection_init');
        assert.deepEqual(init?.payload, { authorization: `Bearer ${token}` }, JSON.stringify(sent));
        assert.ok(
          received.some((f) => f.includes('"type":"connection_ack"')),
          JSON.stringify(received),
        );
        assert.ok(
          sent.some((f) => f.includes('"type":"subscribe"')),
          JSON.stringify(sent),
        );
        assert.ok(!received.some((f) => f.includes('"type":"error"')), `the subscription was refused: ${JSON.stringify(received)}`);
        await page.screenshot({ path: path.join(shots, 'graphql-ide-subscription.png'), fullPage: true });

        assert.deepEqual(foreign, [], 'no request leaves the server’s origin');
        assert.deepEqual(failed, []);
        // The refused query above is a 401 the browser logs as a failed resource load; nothing else may show.
        assert.deepEqual(
          consoleErrors.filter((e) => !/status of 401/.test(e)),
          [],
        );
      } finally {
        await browser.close();
      }
    },
  );
});
