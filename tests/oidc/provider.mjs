// A real OpenID Connect provider for Stilla's tests: node-oidc-provider (npm
// `oidc-provider`, certified by the OpenID Foundation) with its development login
// pages, one confidential client for Stilla, PKCE required, RP-initiated logout on,
// and the people the test hands in. Not for production: keys and cookie secrets are
// throwaway.
//
// Environment: OIDC_PROVIDER_MODULES (the node_modules folder it was installed in,
// outside the clone), PORT (where to listen on 127.0.0.1), REDIRECT_URI (Stilla's callback),
// POST_LOGOUT_REDIRECT_URI, CLIENT_ID, CLIENT_SECRET, ACCOUNTS (JSON: login -> claims).
// Prints "ready <issuer>" once it listens.
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Installed outside the clone (as axe-core is), so found by path: ES modules do not
// read NODE_PATH.
const entry = join(process.env.OIDC_PROVIDER_MODULES, 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(entry).href);

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  // Scope claims in the ID token itself, as Entra ID puts them there.
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // Stilla is a first-party client: no consent page, as an organisation configures it.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['stilla-test-only-cookie-key'] },
});

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
