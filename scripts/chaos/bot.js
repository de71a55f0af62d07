// A chaos-test bot (scripts/chaos.sh): logs llm_usage with known token values
// through the Node binding, then flushes until every call is acknowledged and
// prints its totals and stats as one JSON line.
//   node bot.js SOCKET CHANNEL CALLS RATE
'use strict'
const { MonitorClient } = require(process.env.KISSMON_NODE || 'kissmon')

async function main () {
  const [socketPath, channel, callsText, rateText] = process.argv.slice(2)
  const calls = Number(callsText)
  const rate = Number(rateText)
  const client = new MonitorClient(channel, { socketPath })
  client.register({ llm: true })
  let tokensIn = 0
  let tokensOut = 0
  const start = Date.now()
  let lastBeat = 0
  for (let i = 0; i < calls; i++) {
    client.logLlmUsage({ model: `m${i % 3}`, feature: 'chaos', tokensIn: (i % 97) + 1, tokensOut: (i % 13) + 1 })
    tokensIn += (i % 97) + 1
    tokensOut += (i % 13) + 1
    const now = Date.now()
    if (now - lastBeat >= 1000) {
      client.heartbeat()
      lastBeat = now
    }
    const ahead = start + ((i + 1) * 1000) / rate - now
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead))
  }
  const deadline = Date.now() + 180_000
  let flushed = false
  while (!flushed && Date.now() < deadline) {
    flushed = (await client.flush(5000)) && client.stats().unacked === 0
    client.heartbeat()
  }
  const stats = client.stats()
  console.log(JSON.stringify({
    lang: 'node', channel, instance: client.instance, calls, tokens_in: tokensIn, tokens_out: tokensOut, flushed, stats
  }))
  await client.close(5000)
}

main().catch((err) => { console.error(err); process.exit(1) })
