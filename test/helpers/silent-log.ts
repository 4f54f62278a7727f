import { createLogger } from '../../server/src/log.js';

export const silentLog = createLogger('silent');
