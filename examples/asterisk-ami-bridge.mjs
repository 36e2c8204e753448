#!/usr/bin/env node
// Asterisk -> Ringbill, live: a small bridge that logs in to the Asterisk Manager Interface, takes each
// "Cdr" event (cdr_manager: one as each call's record is written) and POSTs it to Ringbill's
// /backend/api/v1/calls/push/asterisk. Ringbill stores each call once (a record sent twice is harmless),
// so the bridge keeps what it could not deliver in a spool file and sends it again until it is taken.
// No dependencies: Node.js 20 or later.
//
//   RINGBILL_URL=https://billing.example.com RINGBILL_KEY=... \
//   AMI_HOST=127.0.0.1 AMI_PORT=5038 AMI_USER=ringbill AMI_SECRET=... \
//   node examples/asterisk-ami-bridge.mjs
//
// Optional: RINGBILL_QUERY (e.g. "timezone=Europe/London&country=GB": how to read this switch's times
// and numbers when the account's settings do not say), SPOOL (default ./ringbill-cdr-spool.jsonl),
// RETRY_SECONDS (default 30).
//
// Asterisk: manager.conf needs a user with "read = cdr"; cdr_manager.conf needs "[general] enabled = yes",
// and, so that the call ids match a Master.csv imported later, nothing else (UniqueID,
// DestinationChannel and the times are in every event). Add "[mappings] linkedid => LinkedID" when
// cdr.conf's newcdrcolumns is on, so that both carry the linkedid.
import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`asterisk-ami-bridge: set ${name}`);
    process.exit(2);
  }
  return value;
};

const base = env('RINGBILL_URL').replace(/\/+$/, '');
const key = env('RINGBILL_KEY');
const query = process.env.RINGBILL_QUERY ? `?${process.env.RINGBILL_QUERY.replace(/^\?/, '')}` : '';
const pushUrl = `${base}/backend/api/v1/calls/push/asterisk${query}`;
const amiHost = env('AMI_HOST', '127.0.0.1');
const amiPort = Number(env('AMI_PORT', '5038'));
const amiUser = env('AMI_USER');
const amiSecret = env('AMI_SECRET');
const spool = env('SPOOL', './ringbill-cdr-spool.jsonl');
const retryMs = Number(env('RETRY_SECONDS', '30')) * 1000;

const log = (...parts) => console.log(new Date().toISOString(), ...parts);

/** Sends one CDR; true when Ringbill has it (stored, already stored, or refused with its reason). */
async function push(cdr) {
  let res;
  try {
    res = await fetch(pushUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(cdr),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    log('Ringbill unreachable:', error.message);
    return false;
  }
  const text = await res.text();
  if (res.ok) {
    const summary = JSON.parse(text);
    const what = summary.inserted
      ? 'stored'
      : summary.duplicates
        ? 'already stored'
        : `refused: ${summary.rejections?.[0]?.reason}`;
    log(`CDR ${cdr.UniqueID ?? '?'}: ${what}`);
    return true;
  }
  // 401/403: a key problem; 5xx, 429: try later. A 400 is a body Ringbill cannot read: kept for a person.
  log(`CDR ${cdr.UniqueID ?? '?'}: Ringbill answered ${res.status} ${text.slice(0, 300)}`);
  if (res.status === 400) {
    appendFileSync(`${spool}.unreadable`, `${JSON.stringify(cdr)}\n`);
    return true;
  }
  return false;
}

async function deliver(cdr) {
  if (!(await push(cdr))) appendFileSync(spool, `${JSON.stringify(cdr)}\n`);
}

/** Sends the spooled CDRs again; those still not taken go back to the spool. */
let resending = false;
async function resend() {
  if (resending || !existsSync(spool)) return;
  resending = true;
  const sending = `${spool}.sending`;
  try {
    renameSync(spool, sending);
    const lines = readFileSync(sending, 'utf8').split('\n').filter(Boolean);
    for (const line of lines) await deliver(JSON.parse(line));
    unlinkSync(sending);
  } finally {
    resending = false;
  }
}

/** An AMI message ("Key: Value" lines, ended by an empty line) as an object. */
function parseMessage(block) {
  const out = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

function run() {
  const socket = connect({ host: amiHost, port: amiPort });
  let buffer = '';
  let loggedIn = false;
  socket.setEncoding('utf8');
  socket.on('connect', () => log(`connected to AMI ${amiHost}:${amiPort}`));
  socket.on('data', (chunk) => {
    buffer += chunk;
    // The banner line ("Asterisk Call Manager/…") comes first, alone.
    if (!loggedIn && buffer.includes('\r\n') && buffer.startsWith('Asterisk Call Manager')) {
      buffer = buffer.slice(buffer.indexOf('\r\n') + 2);
      socket.write(`Action: Login\r\nUsername: ${amiUser}\r\nSecret: ${amiSecret}\r\nEvents: cdr\r\n\r\n`);
      loggedIn = true;
    }
    for (let end = buffer.indexOf('\r\n\r\n'); end !== -1; end = buffer.indexOf('\r\n\r\n')) {
      const message = parseMessage(buffer.slice(0, end));
      buffer = buffer.slice(end + 4);
      if (message.Response === 'Error') log('AMI:', message.Message);
      else if (message.Response === 'Success' && message.Message) log('AMI:', message.Message);
      if (message.Event === 'Cdr') {
        delete message.Event;
        delete message.Privilege;
        void deliver(message);
      }
    }
  });
  socket.on('error', (error) => log('AMI error:', error.message));
  socket.on('close', () => {
    log('AMI connection closed; reconnecting in 5 s');
    setTimeout(run, 5000);
  });
}

setInterval(() => void resend(), retryMs);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
void resend();
run();
