import { startFakeGoogle, type FakeGoogle, type GoogleUser } from '../fakes/fake-google.js';
import { localPath, postForm, setup, type Agent, type World, type WorldOptions } from './setup.js';

/** The browser's side of the provider round trip: consent at the fake, back to the app's callback. */
export async function consentAtProvider(authorizationUrl: string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`provider did not redirect: ${res.status}`);
  return localPath(location);
}

/** Clicks "Google" on the sign-in page (or "link" on Manage logins) and returns the callback's response. */
export async function googleRoundTrip(
  agent: Agent,
  google: FakeGoogle,
  user: GoogleUser,
  start: { path: string; fields: Record<string, string>; formPath: string } = {
    path: '/account/external-login',
    fields: { provider: 'Google', returnUrl: '/' },
    formPath: '/account/login',
  },
) {
  google.signInAs(user);
  const challenge = await postForm(agent, start.path, start.fields, start.formPath);
  if (challenge.status !== 302) throw new Error(`no redirect to the provider: ${challenge.status} ${challenge.text.slice(0, 300)}`);
  const callback = await consentAtProvider(challenge.headers.location);
  return agent.get(callback);
}

/** Signs in with Google as a person with no account yet, and confirms the account. */
export async function registerWithGoogle(agent: Agent, google: FakeGoogle, user: GoogleUser, email = user.email ?? '') {
  const callback = await googleRoundTrip(agent, google, user);
  if (callback.headers.location !== '/account/external-login-confirmation') {
    throw new Error(`expected the confirmation page, got ${callback.status} ${callback.headers.location}`);
  }
  return postForm(agent, '/account/external-login-confirmation', { email }, '/account/external-login-confirmation');
}

/** The app on a fresh database, configured for Google against a fake provider on loopback. */
export async function setupWithFakeGoogle(options: WorldOptions = {}): Promise<World & { google: FakeGoogle }> {
  const google = await startFakeGoogle();
  const world = await setup({ ...options, env: { ...google.env, ...options.env } });
  return {
    ...world,
    google,
    async close() {
      await world.close();
      await google.close();
    },
  };
}
