// The README's examples run as written: the CommonJS and ESM ones as
// programs against a real monitor, the TypeScript one through tsc.
'use strict'

const assert = require('node:assert/strict')
const { execFileSync, spawn } = require('node:child_process')
const { once } = require('node:events')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')
const { Monitor, tempSocket } = require('./support/monitor.js')

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

function blocks(lang) {
  const found = [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1])
  assert.ok(found.length > 0, `the README has a ${lang} example`)
  return found
}

/** Runs `code` in the package folder (where `kissmon` resolves to this package) against a fresh monitor. */
async function run(code, args) {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket)
  try {
    const child = spawn(process.execPath, [...args, code], {
      cwd: ROOT,
      env: { ...process.env, KISSBOT_MONITOR_SOCKET: socket },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const [status] = await once(child, 'exit')
    clearTimeout(killer)
    assert.equal(status, 0, output)
    // Every example ends by closing its client (or the exit handler does):
    // the unregister line is the last one it writes.
    return monitor.until((lines) => lines.some((line) => line.type === 'unregister'), 3000)
  } finally {
    await monitor.stop()
    remove()
  }
}

test('the README CommonJS example runs, ends by itself, and reports', async () => {
  for (const code of blocks('js')) {
    const lines = await run(code, ['-e'])
    const types = lines.map((line) => line.type)
    assert.equal(types[0], 'register', types)
    assert.deepEqual(types.slice(1, -1).sort(), ['heartbeat', 'llm_usage'], types)
    assert.equal(types.at(-1), 'unregister', `the exit handler closed the client: ${types}`)
  }
})

test('the README ESM example runs and reports', async () => {
  for (const code of blocks('mjs')) {
    const lines = await run(code, ['--input-type=module', '-e'])
    assert.deepEqual(lines.map((line) => line.type), ['register', 'heartbeat', 'unregister'])
  }
})

test('the README TypeScript example type-checks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kissmon-readme-'))
  try {
    blocks('ts').forEach((code, n) => fs.writeFileSync(path.join(dir, `example${n}.ts`), code))
    const config = {
      compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: [], paths: { kissmon: [path.join(ROOT, 'index.d.ts')] } },
      include: ['*.ts'],
    }
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config))
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' })
    } catch (err) {
      assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
