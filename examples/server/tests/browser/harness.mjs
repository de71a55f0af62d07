// What the browser tests share: a real monitor, real bots (the Rust client,
// run as `kissmon-server demo-bot` in processes of their own), raw lines on
// the socket for known LLM usage, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../../..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const BIN = process.env.KISSMON_BIN || path.join(TARGET, 'debug', 'kissmon-server');
export const OUT = path.join(TARGET, 'dashboard');

// From the machine notes: Debian's chromium, as root, never a downloaded browser.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function step(text) {
  console.log(`-- ${text}`);
}

export function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export class Monitor {
  constructor(args = []) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kissmon-browser-'));
    this.socket = path.join(this.dir, 'monitor.sock');
    this.db = path.join(this.dir, 'monitor.db');
    this.logPath = path.join(this.dir, 'monitor.log');
    const log = fs.openSync(this.logPath, 'w');
    this.child = spawn(BIN, ['serve', '--socket', this.socket, '--db', this.db, '--http', '127.0.0.1:0', ...args], {
      stdio: ['ignore', 'ignore', log],
      env: { ...process.env, RUST_LOG: 'info' },
    });
    this.bots = new Map();
  }

  log() {
    return fs.readFileSync(this.logPath, 'utf8');
  }

  async ready() {
    this.url = await until('the HTTP address in the monitor log', () => {
      const m = /HTTP API on (http:\/\/[^/\s]+)\/api\/v1\//.exec(this.log());
      return m && m[1];
    }, 30000);
    await until('the socket', () => fs.existsSync(this.socket));
    return this.url;
  }

  async get(pathAndQuery, token) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(`${this.url}${pathAndQuery}`, { headers });
    if (!response.ok) throw new Error(`GET ${pathAndQuery}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  // A real bot: the Rust client in a process of its own, heartbeating every second.
  startBot(channel) {
    const child = spawn(BIN, ['demo-bot', '--socket', this.socket, '--channel', channel, '--lifetime', '600'], { stdio: 'ignore' });
    this.bots.set(channel, child);
    return child;
  }

  kill(channel) {
    this.bots.get(channel).kill('SIGKILL');
  }

  // LLM usage with known numbers, as raw protocol lines on one connection.
  // Raw JSONL lines, as a bot of any language (or a hostile one) could write them.
  async sendLines(lines) {
    await new Promise((resolve, reject) => {
      const conn = net.createConnection(this.socket, () => conn.end(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, resolve));
      conn.on('error', reject);
    });
  }

  async logUsage(channel, model, feature, tokensIn, tokensOut, count) {
    const lines = [];
    for (let i = 0; i < count; i += 1) {
      lines.push({ type: 'llm_usage', channel, pid: process.pid, model, feature, tokens_in: tokensIn, tokens_out: tokensOut, latency_ms: 100 + i });
    }
    await this.sendLines(lines);
    return count * (tokensIn + tokensOut);
  }

  async stop() {
    for (const bot of this.bots.values()) bot.kill('SIGKILL');
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, sleep(10000)]);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function browser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  check(fs.existsSync(executablePath), `${executablePath} is missing (apt-get install -y chromium)`);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

// Everything that would mean a broken or attacked page.
export function watch(page) {
  const seen = { dialogs: [], errors: [], csp: [] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (err) => seen.errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const text = msg.text();
      if (/Content Security Policy/i.test(text)) seen.csp.push(text);
      else seen.errors.push(text);
    }
  });
  return seen;
}

// The row of `channel` and its data-status, found by attribute value (never a selector built from it).
export function rowStatus(page, channel) {
  return page.evaluate((c) => {
    const tr = [...document.querySelectorAll('#bot-rows tr')].find((row) => row.getAttribute('data-channel') === c);
    return tr ? tr.getAttribute('data-status') : null;
  }, channel);
}
