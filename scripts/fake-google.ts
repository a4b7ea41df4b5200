import { startFakeGoogle } from '../test/fakes/fake-google.js';

/**
 * A stand-in for Google on loopback, for trying Google sign-in on `npm start` without a
 * Google project (docs/google-sign-in.md). Every consent is given at once, as the person below.
 */
const port = Number(process.env.FAKE_GOOGLE_PORT ?? 4010);
const google = await startFakeGoogle(port);
const person = {
  sub: process.env.FAKE_GOOGLE_SUB ?? '100000000000000000042',
  email: process.env.FAKE_GOOGLE_EMAIL ?? 'you@example.com',
  email_verified: (process.env.FAKE_GOOGLE_EMAIL_VERIFIED ?? 'true') === 'true',
  name: process.env.FAKE_GOOGLE_NAME ?? 'You',
};
google.signInAs(person);

console.log(`Fake Google listening on ${google.origin}, signing everyone in as ${JSON.stringify(person)}`);
console.log('Start Gatehouse with these variables (or put them in .env):\n');
for (const [key, value] of Object.entries(google.env)) console.log(`${key}=${value}`);

const stop = () => void google.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
