// One jest configuration: server and build tests in node, webapp tests in jsdom, browser tests (e2e)
// selected separately by `npm run test:e2e`. TypeScript is compiled by SWC; tests run as ES modules.
const swc = (tsx) => [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx },
      transform: { react: { runtime: 'classic' } },
      target: 'es2022',
      // Keeps `with { type: 'json' }`, which Node's ESM loader requires for JSON.
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'es6' },
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  // Sources import siblings as './x.js' (NodeNext); jest resolves the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.tsx?$': swc(true) },
};

export default {
  projects: [
    {
      ...common,
      displayName: 'server',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/server/**/*.test.ts', '<rootDir>/test/build/**/*.test.ts', '<rootDir>/test/fakes/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.mjs',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.mjs',
    },
    {
      ...common,
      displayName: 'webapp',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/test/webapp/**/*.test.tsx'],
    },
    {
      ...common,
      displayName: 'e2e',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.mjs',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.mjs',
    },
  ],
  testTimeout: 60_000,
  // One worker per core: the suites mostly wait on loopback servers and PostgreSQL, and jest's default
  // (one core left idle) ran them one file at a time on a 2-core machine, taking nearly twice as long.
  maxWorkers: '100%',
};
