// The peer in the push load run (benches/push-run.py): Google's own Node Admin SDK
// pushing N messages with `sendEach`, four batches of 500 in flight, to the stand-in.
//
//   node benches/push-peer.mjs N
//
// Needs firebase-admin in NODE_PATH's reach (the run installs it under $TMPDIR, points
// its FCM host constant at the stand-in, and trusts the stand-in's CA through
// NODE_EXTRA_CA_CERTS). Prints one JSON line: the messages, the seconds, the failures.
import { initializeApp } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';

const total = Number(process.argv[2] || 20000);
const BATCH = 500;
const IN_FLIGHT = 4;

// A credential that needs no Google: the stand-in takes any bearer token.
const app = initializeApp({
  credential: { getAccessToken: async () => ({ access_token: 'peer', expires_in: 3600 }) },
  projectId: 'bench',
});
const messaging = getMessaging(app);

const messages = Array.from({ length: total }, (_, i) => ({
  token: `peer-token-${i}`,
  notification: { title: 'Ny rutin för läkemedelshantering', body: 'Gäller från måndag. Läs igenom före nästa pass.' },
  android: { priority: 'normal', collapseKey: 'notice', notification: { notificationCount: 1 } },
  data: { notice_id: '00000000-0000-7000-8000-000000000000' },
}));
const batches = [];
for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));

const started = process.hrtime.bigint();
let failed = 0;
let next = 0;
async function worker() {
  while (next < batches.length) {
    const batch = batches[next++];
    const answer = await messaging.sendEach(batch);
    failed += answer.failureCount;
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ messages: total, seconds, failed }));
await app.delete();
