// The fake GitLab and fake Mattermost (test/fakes/*.ts) for a bench script, which runs in plain Node.
// They are TypeScript and import each other as './x.js', so they are compiled with @swc/core into a
// scratch directory under test/bench (packages still resolve from the repository's node_modules),
// beside a link to test/fixtures (the fake Mattermost reads its OpenAPI spec at '../fixtures/…' when
// it starts), imported and started; then the directory is removed again.
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import swc from '@swc/core';

/** A started fake GitLab and fake Mattermost, from the sources in `root`/test/fakes; the caller closes both. */
export async function startFakes(root) {
  const scratch = path.join(root, 'test/bench', `.fakes-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.join(scratch, 'fakes'), { recursive: true });
  try {
    symlinkSync(path.join(root, 'test/fixtures'), path.join(scratch, 'fixtures'));
    // Every module of the fakes (they import one another), not their tests.
    const fakes = readdirSync(path.join(root, 'test/fakes')).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts')).map((file) => file.slice(0, -3));
    for (const name of fakes) {
      const { code } = await swc.transformFile(path.join(root, 'test/fakes', `${name}.ts`), {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      });
      writeFileSync(path.join(scratch, 'fakes', `${name}.js`), code);
    }
    const gitlab = await import(pathToFileURL(path.join(scratch, 'fakes/fake-gitlab.js')).href);
    const mattermost = await import(pathToFileURL(path.join(scratch, 'fakes/fake-mattermost.js')).href);
    return { gitlab: await gitlab.startFakeGitLab(), mattermost: await mattermost.startFakeMattermost() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
