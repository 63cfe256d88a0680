/**
 * Reports as PDF: a self-contained HTML document (inline CSS and SVG) printed
 * by Debian's headless Chromium through playwright-core, plus an inspection
 * helper for tests. The page may never reach the network: every request other
 * than data:/blob:/about: is aborted, WebSockets are closed and service
 * workers blocked, so a report cannot leak or depend on anything outside it.
 * Every call has a deadline and always closes its browser.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export interface ChromiumOptions {
  /** Chromium binary; default chromiumPath(). */
  executablePath?: string;
  /** Deadline for the whole call (launch, render, close); default 30000 ms. */
  timeoutMs?: number;
}

export interface HtmlInspection {
  /** console.error messages and uncaught page errors, in order. */
  consoleErrors: string[];
  svgCount: number;
  title: string;
  /** Trimmed text of every <h1>/<h2>, in document order. */
  headings: string[];
  /** Whether the document is wider than the A4 printable width (180 mm). */
  overflowX: boolean;
  /** URLs the page tried to fetch and that were aborted. */
  blocked: string[];
}

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const DEFAULT_TIMEOUT_MS = 30_000;
const MARGIN = '15mm';
// A4 minus 15 mm margins, in CSS px (96/in): the inspection lays out at the width the PDF prints at.
const PRINT_WIDTH_PX = Math.floor(((210 - 30) / 25.4) * 96);
const PRINT_HEIGHT_PX = Math.floor(((297 - 30) / 25.4) * 96);

function chromiumCandidate(): string {
  return process.env.DARKSCOPE_CHROMIUM || DEFAULT_CHROMIUM;
}

/** Where Debian's Chromium is (env DARKSCOPE_CHROMIUM overrides); null when absent. */
export function chromiumPath(): string | null {
  const p = chromiumCandidate();
  return existsSync(p) ? p : null;
}

/** Pages of a PDF file's bytes (count of page objects: /Type /Page not followed by 's'). */
export function pdfPageCount(pdf: Uint8Array): number {
  // latin1 keeps one char per byte, so binary streams cannot break the match.
  const text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1');
  // (?![A-Za-z0-9]) rejects /Pages and any other name that merely starts with /Page.
  return text.match(/\/Type\s*\/Page(?![A-Za-z0-9])/g)?.length ?? 0;
}

/**
 * Launch Chromium, run fn on an offline page, always close. The deadline
 * covers everything: on expiry the browser is closed, which also ends a
 * renderer stuck in a script loop.
 */
async function withPage<T>(opts: ChromiumOptions | undefined, fn: (page: Page, blocked: string[]) => Promise<T>): Promise<T> {
  const executablePath = opts?.executablePath ?? chromiumCandidate();
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium package (or set DARKSCOPE_CHROMIUM)`);
  }
  const timeoutMs = opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let browser: Browser | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`Chromium did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const work = (async () => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      chromiumSandbox: false, // we run as root, where Chromium refuses its sandbox
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      timeout: timeoutMs,
    });
    // The deadline may have passed while launching: close what just started.
    if (timedOut) throw new Error('timed out');
    const context = await browser.newContext({
      offline: true,
      serviceWorkers: 'block',
      javaScriptEnabled: true,
      viewport: { width: PRINT_WIDTH_PX, height: PRINT_HEIGHT_PX },
    });
    context.setDefaultTimeout(timeoutMs);
    const blocked: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(data|blob|about):/i.test(url)) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    await context.routeWebSocket(() => true, (ws) => {
      blocked.push(ws.url());
      return ws.close();
    });
    const page = await context.newPage();
    return fn(page, blocked);
  })();
  work.catch(() => {}); // after a timeout its rejection is expected and unobserved
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    // launch may still be pending after a timeout: wait for it (bounded by its own timeout), then close.
    if (!browser) await work.catch(() => {});
    await (browser as Browser | undefined)?.close().catch(() => {});
  }
}

/** Render a self-contained HTML document (inline CSS and SVG, no network) to a PDF file: A4, printBackground, margins ~15 mm; returns page count and bytes. */
export async function htmlToPdf(html: string, out: string, opts?: ChromiumOptions): Promise<{ pages: number; bytes: number }> {
  const pdf = await withPage(opts, async (page) => {
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready.then(() => undefined)); // glyphs laid out before printing
    return page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: MARGIN, right: MARGIN, bottom: MARGIN, left: MARGIN },
    });
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, pdf);
  return { pages: pdfPageCount(pdf), bytes: pdf.byteLength };
}

/** Open the HTML in headless Chromium and report what a test needs: console errors and page errors, the number of <svg> elements, the document title, the text of all <h1>/<h2>, and whether any element overflows the page width horizontally. */
export async function inspectHtml(html: string, opts?: ChromiumOptions): Promise<HtmlInspection> {
  return withPage(opts, async (page, blocked) => {
    const consoleErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`${err.name}: ${err.message}`));
    await page.emulateMedia({ media: 'print' }); // inspect the layout the PDF gets
    await page.setContent(html, { waitUntil: 'load' });
    const found = await page.evaluate(() => {
      const root = document.documentElement;
      return {
        svgCount: document.querySelectorAll('svg').length,
        title: document.title,
        headings: Array.from(document.querySelectorAll('h1, h2'), (h) => (h.textContent ?? '').replace(/\s+/g, ' ').trim()),
        // scrollWidth counts only overflow that is visible (not clipped by overflow:hidden/auto boxes).
        overflowX: Math.max(root.scrollWidth, document.body?.scrollWidth ?? 0) > root.clientWidth,
      };
    });
    return { consoleErrors, ...found, blocked: [...blocked] };
  });
}
