// A real monitor for tests: a Unix listener that records every line it
// reads, and that can go away, come back, or accept and never read.
'use strict'

const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

/** A private directory for one test's socket. */
function tempSocket() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kissmon-node-'))
  return { dir, socket: path.join(dir, 'monitor.sock'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

class Monitor {
  constructor(socketPath) {
    this.path = socketPath
    this.lines = []
    this.taken = 0
    this.server = null
    this.connections = new Set()
    this.accepted = 0
    this.reading = true
    this.waiters = new Set()
  }

  static async up(socketPath, { reading = true } = {}) {
    const monitor = new Monitor(socketPath)
    monitor.reading = reading
    await monitor.start()
    return monitor
  }

  async start() {
    if (this.server) throw new Error('monitor already up')
    fs.rmSync(this.path, { force: true })
    // Paused on connect: while not reading, nothing is read from a new connection.
    this.server = net.createServer({ pauseOnConnect: true }, (conn) => this.#accept(conn))
    await new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.path, resolve)
    })
  }

  #accept(conn) {
    this.accepted += 1
    this.connections.add(conn)
    let pending = ''
    conn.setEncoding('utf8')
    conn.on('data', (chunk) => {
      pending += chunk
      let end
      while ((end = pending.indexOf('\n')) >= 0) {
        this.lines.push(pending.slice(0, end))
        pending = pending.slice(end + 1)
      }
      for (const wake of this.waiters) wake()
    })
    // A line cut short by a closing peer is not a line.
    conn.on('close', () => this.connections.delete(conn))
    conn.on('error', () => {})
    if (this.reading) conn.resume()
  }

  /** Goes away like a killed monitor: listener and connections closed, socket file removed. */
  async stop() {
    if (this.server) {
      const server = this.server
      this.server = null
      const closed = new Promise((resolve) => server.close(resolve))
      for (const conn of this.connections) conn.destroy()
      this.connections.clear()
      await closed
    }
    fs.rmSync(this.path, { force: true })
  }

  /** Accepts but never reads, until resumeReading(). */
  stopReading() {
    this.reading = false
    for (const conn of this.connections) conn.pause()
  }

  resumeReading() {
    this.reading = true
    for (const conn of this.connections) conn.resume()
  }

  /** Waits until at least `n` lines arrived since the last take (or the timeout), then returns all such lines. */
  async take(n, timeoutMs) {
    const deadline = Date.now() + timeoutMs
    while (this.lines.length - this.taken < n && Date.now() < deadline) {
      await this.#arrival(deadline)
    }
    const lines = this.lines.slice(this.taken)
    this.taken = this.lines.length
    return lines
  }

  /**
   * Waits until `done(lines)` holds for every line received so far, parsed
   * (or the timeout), and returns them. With a client's `stats().sent` after
   * a flush, `monitor.until((lines) => lines.length >= sent)` is "the
   * monitor has read everything the client wrote".
   */
  async until(done, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const lines = this.parsed()
      if (done(lines) || Date.now() >= deadline) return lines
      await this.#arrival(deadline)
    }
  }

  /** Resolves when more lines arrive, or at `deadline`. */
  #arrival(deadline) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.waiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, Math.max(0, deadline - Date.now()))
      this.waiters.add(wake)
    })
  }

  /** Every line received so far, parsed. */
  parsed() {
    return this.lines.map((line) => JSON.parse(line))
  }
}

module.exports = { Monitor, tempSocket }
