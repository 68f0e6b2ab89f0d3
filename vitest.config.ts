import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

export default defineConfig({
  resolve: {
    // The package's public entry points, resolved to the sources so tests need no build.
    alias: [
      { find: /^tessera\/fastify$/, replacement: src('fastify/index.ts') },
      { find: /^tessera\/storage$/, replacement: src('storage/index.ts') },
      { find: /^tessera$/, replacement: src('core/index.ts') },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // Everything, on the embedded default (SQLite files), plus the PostgreSQL contract suite.
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      // The whole HTTP suite again on PostgreSQL (issue 4: same behaviour on both backends).
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/http/**/*.test.ts'],
          exclude: ['test/http/redoc-browser.test.ts', 'test/http/pages/**'],
          env: { TESSERA_TEST_BACKEND: 'postgres' },
        },
      },
    ],
  },
})
