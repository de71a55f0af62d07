// Loads conformance/cases/*.jsonl and compares JSON the way every runner does.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const CASES_DIR = path.join(__dirname, '..', '..', '..', '..', 'conformance', 'cases')

/**
 * JSON.parse, except that an integer a double cannot hold exactly (past
 * 2^53) becomes a BigInt instead of silently turning into a neighbour.
 */
function parseExact(text) {
  const MARK = '\u0000bigint:'
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const literal = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))[0]
      const exact = !/^-?\d+$/.test(literal) || BigInt(Number(literal)) === BigInt(literal)
      out += exact ? literal : JSON.stringify(MARK + literal)
      i += literal.length
    } else {
      out += c
      i += 1
    }
  }
  return JSON.parse(out, (_key, value) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value,
  )
}

/** Every case, in file then line order; a malformed corpus fails loudly. */
function load(dir = CASES_DIR) {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.jsonl')).sort()
  const ids = new Set()
  const cases = []
  for (const file of files) {
    const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n')
    lines.forEach((line, n) => {
      if (line.trim() === '') return
      const where = `${file}:${n + 1}`
      const testCase = parseExact(line)
      if (typeof testCase.id !== 'string') throw new Error(`${where}: no id`)
      if (ids.has(testCase.id)) throw new Error(`${where}: duplicate id ${testCase.id}`)
      ids.add(testCase.id)
      cases.push(testCase)
    })
  }
  if (cases.length === 0) throw new Error(`no cases in ${dir}`)
  return cases
}

function isNumber(value) {
  return typeof value === 'number' || typeof value === 'bigint'
}

/** JSON equality where numbers compare by value (1850 equals 1850.0). */
function jsonEqual(a, b) {
  if (isNumber(a) && isNumber(b)) {
    if (typeof a === typeof b) return a === b
    const [big, num] = typeof a === 'bigint' ? [a, b] : [b, a]
    return Number.isInteger(num) && BigInt(num) === big
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
  }
  return a === b
}

/**
 * Replaces what differs from run to run with the corpus's placeholders,
 * after checking types: `ts` a number, `instance` a string, `lag_ms` a
 * number >= 0, `sdk` this
 * runner's language with any version string.
 */
function redact(line, lang = 'node') {
  if (line === null || typeof line !== 'object' || Array.isArray(line)) throw new Error('line is not an object')
  const out = { ...line }
  if ('ts' in out) {
    if (!isNumber(out.ts)) throw new Error(`ts is not a number: ${JSON.stringify(out.ts)}`)
    out.ts = '<ts>'
  }
  if ('instance' in out) {
    if (typeof out.instance !== 'string') throw new Error(`instance is not a string: ${JSON.stringify(out.instance)}`)
    out.instance = '<instance>'
  }
  if ('lag_ms' in out) {
    if (!isNumber(out.lag_ms) || Number(out.lag_ms) < 0) throw new Error(`lag_ms is not a number >= 0: ${JSON.stringify(out.lag_ms)}`)
    out.lag_ms = '<lag_ms>'
  }
  if ('sdk' in out) {
    if (out.sdk?.lang !== lang || typeof out.sdk?.version !== 'string') {
      throw new Error(`sdk is not {"lang": "${lang}", "version": <string>}: ${JSON.stringify(out.sdk)}`)
    }
    out.sdk = { lang: '<lang>', version: '<version>' }
  }
  return out
}

function show(value) {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v))
}

module.exports = { CASES_DIR, load, parseExact, jsonEqual, redact, show }
