#!/usr/bin/env node
import { runCli } from './program.js'

// The `tessera` executable (bin/tessera.js runs this file, built or not). UV_THREADPOOL_SIZE is
// not set here: under ESM it would be too late to take effect; `serve` sees to it
// (src/cli/threadpool.ts explains).
process.exitCode = await runCli(process.argv)
