#!/usr/bin/env node
// The `ringbill` command. Ringbill is written in TypeScript and runs through tsx,
// so a fresh clone needs no build step: `npm install` and it runs.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
