// ESM entry point: the same objects as the CommonJS one.
import kissmon from './index.js'

export const { MonitorClient, decodeLine } = kissmon
export default kissmon
