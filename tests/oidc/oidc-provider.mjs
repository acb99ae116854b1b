// A real OpenID Connect provider for Credence's sign-in tests (never for production).
//
// Two invented test users sign in through oidc-provider's development login form (any
// password): `ana` (ana@lab.example) and `ben` (ben@lab.example).  One client, `credence-test`,
// whose redirect URIs are the apps under test: OIDC_REDIRECT_URIS (comma-separated), or by
// default http://localhost:$APP_PORT/oauth2callback.
//
//   OIDC_PORT=9400 APP_PORT=8501 node oidc-provider.mjs     # prints "oidc-provider ready"
import Provider from 'oidc-provider';

const PORT = Number(process.env.OIDC_PORT || 9400);
const APP_PORT = Number(process.env.APP_PORT || 8501);
const REDIRECT_URIS = (process.env.OIDC_REDIRECT_URIS || `http://localhost:${APP_PORT}/oauth2callback`)
  .split(',').map((uri) => uri.trim()).filter(Boolean);

// The test users: login id -> e-mail.  Any other login id is refused by findAccount.
const USERS = {
  ana: 'ana@lab.example',
  ben: 'ben@lab.example',
  ...JSON.parse(process.env.OIDC_EXTRA_USERS || '{}'),
};

const provider = new Provider(`http://127.0.0.1:${PORT}`, {
  clients: [{
    client_id: 'credence-test',
    client_secret: 'credence-test-secret',
    redirect_uris: REDIRECT_URIS,
    post_logout_redirect_uris: REDIRECT_URIS,  // st.logout sends the redirect URI here
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    const email = USERS[id];
    if (!email) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: id, email, email_verified: true, name: id }; },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  // st.user is built from the ID token alone: without this the token carries no e-mail.
  conformIdTokenClaims: false,
  pkce: { required: () => true },  // Streamlit sends S256
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-only-cookie-signing-key'] },
});

provider.listen(PORT, '127.0.0.1', () => console.log('oidc-provider ready'));
