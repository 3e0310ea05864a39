import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { type RunningDaemon, startServer } from './server.js';
import { testDaemonConfig } from './test-support/daemon-config.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const OLD = sha('1');
const HEAD = sha('2');

const dir = mkdtempSync(path.join(tmpdir(), 'stow-daemon-browser-'));
let daemon: RunningDaemon;
beforeAll(async () => {
  const tls = selfSignedCertificate(dir);
  const backend = new FakeBackend(
    { [OLD]: { deploymentHash: hash('a') }, [HEAD]: { deploymentHash: hash('b') } },
    HEAD,
  );
  backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
  backend.failing.set(hash('b'), 'webapp: unhealthy <b>not bold</b>');
  const config = testDaemonConfig(dir, tls);
  daemon = await startServer({ config, backend, logger: silentLogger });
  await daemon.core.idle(); // the start reconcile fails verification and rolls back
});
afterAll(async () => {
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the status page in headless Chromium', () => {
  it('shows the state, hashes and the escaped reason; saves a screenshot', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium); ci/setup-test-host does this`,
      );
    }
    const profile = mkdtempSync(path.join(tmpdir(), 'stow-chromium-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true, // the test's self-signed certificate
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
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      const response = await page.goto(`${daemon.url}/status?head_hash=${HEAD}`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText: the text as rendered is what people see
      expect(await page.locator('#state').innerText()).toBe('error');
      expect(await page.title()).toBe(`stow: ${HEAD.slice(0, 12)} is error`);
      // biome-ignore lint/performance/useDomNodeTextContent: as above
      const text = await page.locator('body').innerText();
      expect(text).toContain('The last attempt at the deployment of this commit failed.');
      expect(text).toContain('webapp: unhealthy <b>not bold</b>'); // shown as text, not markup
      expect(await page.locator('b').count()).toBe(0);
      expect(text).toContain(hash('b'));
      expect(text).toContain(OLD);
      expect(text).toMatch(/outcome\s+rolledBack/);
      // The Content-Security-Policy lets the page's one inline <style> apply and blocks nothing it uses.
      expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
      const background = await page
        .locator('#state')
        .evaluate((node) => node.ownerDocument.defaultView?.getComputedStyle(node).backgroundColor);
      expect(background).toMatch(/^rgb\(\d+, \d+, \d+\)$/); // opaque: the style applied
      expect(refused).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      const screenshot = path.join(ARTIFACTS, 'status-page.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(5_000);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60_000);
});
