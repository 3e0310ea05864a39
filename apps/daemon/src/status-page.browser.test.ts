import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Secret } from '@stow/manifest';
import type { HistoryEntry } from '@stow/reconciler';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentContainer } from './backend.js';
import { silentLogger } from './logger.js';
import { type RunningDaemon, startServer } from './server.js';
import { testDaemonConfig } from './test-support/daemon-config.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';
import { restoredContainers, rollbackHistory } from './test-support/status-page-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
/**
 * `pnpm --filter @stow/daemon screenshot:status-page` sets this to docs/status-page.png: the
 * screenshot in the docs is this test's desktop page, rerun whenever the page changes.
 */
const DOCS_SCREENSHOT = process.env.STOW_STATUS_PAGE_SCREENSHOT;
const OLD = sha('1');
const HEAD = sha('2');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Markup and script in every string an attacker might get onto the page (a commit message, an image name). */
const HOSTILE = `<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><b>bold</b>`;

const dir = mkdtempSync(path.join(tmpdir(), 'stow-daemon-browser-'));
const daemons: RunningDaemon[] = [];

/** A daemon over a host that ran OLD, was asked for HEAD, failed verification and rolled back. */
async function rolledBackDaemon(reason: string, patch: (backend: FakeBackend) => void = () => {}) {
  const tls = selfSignedCertificate(mkdtempSync(path.join(dir, 'tls-')));
  const backend = new FakeBackend(
    { [OLD]: { deploymentHash: hash('a') }, [HEAD]: { deploymentHash: hash('b') } },
    HEAD,
  );
  backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'webapp' };
  backend.failing.set(hash('b'), reason);
  backend.engineContainers = restoredContainers(Date.now());
  backend.historyEntries.push(...rollbackHistory(Date.now(), { old: OLD, head: HEAD }));
  patch(backend);
  const config = testDaemonConfig(dir, tls, {
    source: {
      kind: 'gitlab',
      apiUrl: 'https://gitlab.example.com/api/v4',
      project: 'ops/deployments',
      token: new Secret('glpat-browser-test'),
    },
  });
  const daemon = await startServer({ config, backend, logger: silentLogger });
  daemons.push(daemon);
  await daemon.core.idle(); // the start reconcile fails verification and rolls back
  return daemon;
}

let realistic: RunningDaemon;
let hostile: RunningDaemon;
let context: BrowserContext;
let profile: string;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium); ci/setup-test-host does this`,
    );
  }
  realistic = await rolledBackDaemon(
    'webapp: unhealthy after 60 s (healthcheck: wget: server returned error: HTTP/1.1 500)',
  );
  hostile = await rolledBackDaemon(`webapp: unhealthy ${HOSTILE}`, (backend) => {
    const [first] = restoredContainers(Date.now());
    backend.engineContainers = [
      { ...(first as DeploymentContainer), name: HOSTILE, image: `web:${HOSTILE}` },
    ];
    const [newest, ...rest] = backend.historyEntries.splice(0);
    backend.historyEntries.push(
      {
        ...(newest as HistoryEntry),
        reason: HOSTILE,
        actions: [{ container: HOSTILE, action: 'replace', reason: HOSTILE }],
      },
      ...rest,
    );
  });
  profile = mkdtempSync(path.join(tmpdir(), 'stow-chromium-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true, // the test's self-signed certificate
    viewport: DESKTOP,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);
afterAll(async () => {
  await context?.close();
  for (const daemon of daemons) await daemon.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the page at a size; collects what the browser refused under the Content-Security-Policy. */
async function open(daemon: RunningDaemon, viewport: { width: number; height: number }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const refused: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  const response = await page.goto(`${daemon.url}/status?head_hash=${HEAD}`);
  return { page, response, refused };
}

/** How far the page is wider than the window (0: nothing scrolls sideways). */
const overflow = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

// biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText: the text as rendered is what people see
const rendered = (page: Page, selector: string) => page.locator(selector).innerText();

async function screenshot(page: Page, file: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(5_000);
}

describe('the status page in headless Chromium', () => {
  it('desktop: state, reason, containers, last deploy and timeline; the style applies; nothing overflows', async () => {
    const { page, response, refused } = await open(realistic, DESKTOP);
    try {
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
      expect(await rendered(page, '#state')).toBe('error');
      expect(await page.title()).toBe(`stow: ${HEAD.slice(0, 12)} is error`);
      const text = await rendered(page, 'body');
      expect(text).toContain('The last attempt at the deployment of this commit failed.');
      expect(text).toContain('webapp: unhealthy after 60 s');
      expect(text).toContain(hash('b'));
      expect(text).toContain(OLD);
      expect(text).toMatch(/outcome\s+rolledBack/);
      expect(await page.locator('#containers-table tbody tr').count()).toBe(2);
      expect(await rendered(page, '#containers-table')).toContain('sha256:6f1e2d4c6f1e');
      expect(await rendered(page, '#plan-table')).toContain('image changed (20260427.2 -> 20260428.0)');
      expect(await rendered(page, '#timeline-table')).toMatch(/rolledBack[\s\S]*converged ×42[\s\S]*failed/);
      const commitLink = page.locator('#timeline-table a').first();
      expect(await commitLink.getAttribute('href')).toBe(
        `https://gitlab.example.com/ops/deployments/-/commit/${HEAD}`,
      );
      // The Content-Security-Policy lets the page's one inline <style> apply and blocks nothing it uses.
      const background = await page
        .locator('#state')
        .evaluate((node) => node.ownerDocument.defaultView?.getComputedStyle(node).backgroundColor);
      expect(background).toMatch(/^rgb\(\d+, \d+, \d+\)$/); // opaque: the style applied
      expect(refused).toEqual([]);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, path.join(ARTIFACTS, 'status-page.png'));
      if (DOCS_SCREENSHOT) await screenshot(page, path.resolve(DOCS_SCREENSHOT));
    } finally {
      await page.close();
    }
  }, 60_000);

  it('phone (390 px): the tables reflow into labelled blocks; nothing scrolls sideways', async () => {
    const { page, refused } = await open(realistic, PHONE);
    try {
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      for (const table of ['#facts', '#containers-table', '#plan-table', '#timeline-table']) {
        const box = await page.locator(table).boundingBox();
        expect(box, table).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0), table).toBeLessThanOrEqual(PHONE.width);
      }
      // Each cell says which column it is, as the header row is hidden.
      const label = await page
        .locator('#containers-table td[data-label="Restarts"]')
        .first()
        .evaluate((cell) => cell.ownerDocument.defaultView?.getComputedStyle(cell, '::before').content);
      expect(label).toBe('"Restarts: "');
      expect(await page.locator('#containers-table thead').isVisible()).toBe(false);
      expect(refused).toEqual([]);
      await screenshot(page, path.join(ARTIFACTS, 'status-page-phone.png'));
    } finally {
      await page.close();
    }
  }, 60_000);

  it('no script runs: hostile values are text, the policy forbids scripts', async () => {
    const { page, response, refused } = await open(hostile, DESKTOP);
    try {
      expect(response?.status()).toBe(200);
      const policy = response?.headers()['content-security-policy'] ?? '';
      expect(policy).toContain("default-src 'none'"); // scripts fall under default-src: none
      expect(policy).not.toMatch(/script-src/);
      expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
      expect(await page.locator('script, img, b').count()).toBe(0);
      const text = await rendered(page, 'body');
      expect(text).toContain(HOSTILE); // shown as text, where it was
      expect(refused).toEqual([]); // nothing was even tried: no markup got through
      expect(await overflow(page)).toBeLessThanOrEqual(0);
    } finally {
      await page.close();
    }
  }, 60_000);
});
