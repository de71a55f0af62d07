// Compiled by the modules test with `tsc --noEmit --strict`: the CommonJS
// view of the package's types, as a TypeScript bot would use them.
import kissmon = require('kissmon')

const client = new kissmon.MonitorClient('el_serda', { socketPath: '/tmp/kissbot_monitor.sock', heartbeatIntervalMs: 30_000 })
client.register({ llm: true, translator: false })
client.startHeartbeat()
client.logLlmUsage({ model: 'gpt-4', feature: 'jokes', tokensIn: 145, tokensOut: 87n, latencyMs: 1850, provider: 'openai', ok: true })
const stats: kissmon.Stats = client.stats()
const lastError: string | null = stats.lastError
const delivered: Promise<boolean> = client.flush(1000)
const message: kissmon.Message = kissmon.decodeLine('{"type":"heartbeat","channel":"el_serda","pid":1}')
const channel: string = message.channel
void [lastError, delivered, channel, client.close()]

// @ts-expect-error tokensIn is required
client.logLlmUsage({ model: 'gpt-4', feature: 'jokes', tokensOut: 1 })
// @ts-expect-error flush takes milliseconds as a number
void client.flush('1000')
