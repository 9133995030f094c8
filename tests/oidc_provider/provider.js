// A real OpenID provider (panva/oidc-provider, OpenID Certified) for learnloop's single sign-on
// tests. It signs with the keys the test gives it (JWKS_FILE), knows the people in
// ACCOUNTS_FILE (login name -> claims), shows its own login and consent pages, requires PKCE,
// and offers RP-initiated logout. Started by tests/test_sso.py on a free loopback port.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(process.env.ACCOUNTS_FILE, 'utf8'));
const client = JSON.parse(readFileSync(process.env.CLIENT_FILE, 'utf8'));

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: JSON.parse(readFileSync(process.env.JWKS_FILE, 'utf8')),
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['learnloop-test-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
