// The FreeSWITCH example (examples/freeswitch/) run in a real Lua 5.4 with dkjson, FreeSWITCH's API stubbed:
// the authorisation script sets the time limit and a hangup hook that carries the answer time, which
// FreeSWITCH expands when the hook runs; the release script then releases an unanswered (or failed) call's
// reservation and leaves an answered call's alone (its CDR settles it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const LUA = process.env.LUA_PATH_BIN || '/usr/bin/lua5.4';
const EXAMPLES = resolve(import.meta.dirname, '../../examples/freeswitch');

/** Runs a script with FreeSWITCH's `freeswitch`, `session` and `argv` stubbed; returns what it did, line by line. */
function runScript(
  script: string,
  options: { vars?: Record<string, string>; argv?: string[]; curlReply?: string },
): string[] {
  if (!existsSync(LUA))
    throw new Error(
      `Lua 5.4 not found at ${LUA}: install it (apt-get install lua5.4 lua-dkjson) or set LUA_PATH_BIN`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'ringbill-lua-'));
  const runner = join(dir, 'run.lua');
  const lua = (v: string) => JSON.stringify(v); // a JSON string is a valid Lua string literal for these values
  writeFileSync(
    runner,
    `
local VARS = { ${Object.entries(options.vars ?? {})
      .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
      .join(', ')} }
local REPLY = ${lua(options.curlReply ?? '')}
freeswitch = {
  API = function() return { execute = function(_, cmd, args) print("API " .. cmd .. " " .. args); return REPLY end } end,
  consoleLog = function(level, message) io.write("LOG " .. level .. " " .. message) end,
}
session = {
  getVariable = function(_, name) return VARS[name] end,
  setVariable = function(_, name, value) print("SET " .. name .. "=" .. tostring(value)) end,
  execute = function(_, app, data) print("EXEC " .. app .. " " .. tostring(data)) end,
  hangup = function(_, cause) print("HANGUP " .. cause) end,
}
argv = { ${(options.argv ?? []).map(lua).join(', ')} }
dofile(${lua(join(EXAMPLES, script))})
`,
  );
  const out = execFileSync(LUA, [runner], {
    encoding: 'utf8',
    env: { ...process.env, RINGBILL_URL: 'http://ringbill.test/backend/api/v1', RINGBILL_KEY: 'rb_key' },
  });
  return out.split('\n').filter((l) => l !== '');
}

/** What FreeSWITCH does with the hook at hangup: expands channel variables, then runs `lua SCRIPT ARGS`. */
function hangup(hook: string, channel: Record<string, string>): string[] {
  const expanded = hook.replace(/\$\{(\w+)\}/g, (_, name: string) => channel[name] ?? '');
  const [app, script, ...args] = expanded.split(' ');
  expect(app).toBe('lua');
  return runScript(script!, { argv: args });
}

describe('FreeSWITCH example', () => {
  const authorized = JSON.stringify({
    status_code: '200',
    body: JSON.stringify({ authorized: true, maxDurationS: 391, reservationId: '42', reason: null }),
  });
  const vars = { caller_id_number: '+441134960000', destination_number: '447700900123', uuid: 'c0ffee-1' };

  it('authorises before bridging: the time limit, and a hangup hook that carries the answer time', () => {
    const did = runScript('ringbill_authorize.lua', { vars, curlReply: authorized });
    expect(did[0]).toMatch(
      /^API curl http:\/\/ringbill\.test\/backend\/api\/v1\/calls\/authorize json .* post \{.*"callId":"c0ffee-1".*\}$/,
    );
    expect(did).toContain('EXEC sched_hangup +391 ALLOTTED_TIMEOUT');
    const hook = did.find((l) => l.startsWith('SET api_hangup_hook='))!.slice('SET api_hangup_hook='.length);
    expect(hook).toBe('lua ringbill_release.lua 42 ${answer_epoch}');
  });

  it('an answered call is left to its CDR; an unanswered or failed one is released', () => {
    const did = runScript('ringbill_authorize.lua', { vars, curlReply: authorized });
    const hook = did.find((l) => l.startsWith('SET api_hangup_hook='))!.slice('SET api_hangup_hook='.length);
    const answered = hangup(hook, { answer_epoch: '1760950800' });
    expect(answered.filter((l) => l.startsWith('API '))).toEqual([]);
    const unanswered = hangup(hook, { answer_epoch: '0' });
    expect(unanswered).toEqual([
      'API curl http://ringbill.test/backend/api/v1/calls/authorize/42/release append_headers Authorization:Bearer\\ rb_key post',
    ]);
    // A channel that never got the variable (failed before any answer) counts as unanswered.
    expect(hangup(hook, {}).filter((l) => l.startsWith('API '))).toHaveLength(1);
  });

  it('a refused call is hung up and holds nothing', () => {
    const refused = JSON.stringify({
      status_code: '200',
      body: JSON.stringify({
        authorized: false,
        maxDurationS: 0,
        reservationId: null,
        reason: 'insufficient_balance',
      }),
    });
    const did = runScript('ringbill_authorize.lua', { vars, curlReply: refused });
    expect(did).toContain('HANGUP OUTGOING_CALL_BARRED');
    expect(did.some((l) => l.startsWith('SET api_hangup_hook'))).toBe(false);
  });
});
