// Compiled by the modules test with `tsc --noEmit --strict`: the ESM view.
import { MonitorClient, decodeLine, type LlmUsage } from 'kissmon'
import kissmon from 'kissmon'

const client = new MonitorClient('el_serda')
const usage: LlmUsage = { model: 'gpt-4', feature: 'jokes', tokensIn: 1, tokensOut: 2 }
client.logLlmUsage(usage)
const closed: boolean = await client.close(100)
void [closed, decodeLine(new Uint8Array()), kissmon.MonitorClient === MonitorClient]
