// The dist test's Node bot, from the installed npm tarball: reports until its
// stdin closes, then closes and exits 0 only if everything was delivered.
'use strict'
const { MonitorClient } = require('kissmon')

const client = new MonitorClient('dist-node', { heartbeatIntervalMs: 1000 }) // socket: $KISSBOT_MONITOR_SOCKET
client.register({ dist: true })
client.startHeartbeat()
client.logLlmUsage({ model: 'gpt-4', feature: 'dist', tokensIn: 1, tokensOut: 2 })
process.stdin.resume()
process.stdin.on('end', async () => {
  const clean = await client.close(15000)
  const { sent, dropped } = client.stats()
  console.log(`node bot: close clean=${clean}, sent ${sent}, dropped ${dropped}`)
  process.exit(clean && dropped === 0 ? 0 : 1)
})
