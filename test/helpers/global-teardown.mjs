import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const state = globalThis.__embeddedPostgres;
  if (!state) return;
  await state.embedded.stop();
  rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(state.workRoot, { recursive: true, force: true });
}
