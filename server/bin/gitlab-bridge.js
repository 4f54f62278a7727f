#!/usr/bin/env node
// The installed command. The TypeScript sources are compiled to server/dist by `npm run build:server`.
import { main } from '../dist/cli/main.js';

const io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};
// Exit explicitly: a stray keep-alive socket must not keep a stopped bridge alive.
process.exit(await main(process.argv.slice(2), io));
