// A real OpenID provider for the single sign-on tests: the certified `oidc-provider`
// package (installed by tests/run into target/tools), on 127.0.0.1:$PORT, issuer
// http://localhost:$PORT. Its development login form accepts any login; the account id
// is the login, used as the email address. Logins starting with "unverified" have
// email_verified false. Client "teamwork" is well-behaved; the ID tokens of client
// "wrong-aud" are re-signed with another audience, to test that they are refused.
const path = require('path');
const modules = process.env.TOOLS_NODE_MODULES;
const Provider = require(path.join(modules, 'oidc-provider')).default
  || require(path.join(modules, 'oidc-provider'));
const jose = require(path.join(modules, 'jose'));

(async () => {
  const port = Number(process.env.PORT);
  const redirect = process.env.REDIRECT_URI;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const client = (id) => ({
    client_id: id,
    client_secret: 'test-secret',
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  });
  const provider = new Provider(`http://localhost:${port}`, {
    clients: [client('teamwork'), client('wrong-aud')],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: id,
            email_verified: !id.startsWith('unverified'),
            name: id.split('@')[0],
          };
        },
      };
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && ctx.body.id_token
        && ctx.oidc && ctx.oidc.client && ctx.oidc.client.clientId === 'wrong-aud') {
      const claims = jose.decodeJwt(ctx.body.id_token);
      ctx.body = { ...ctx.body, id_token: await new jose.SignJWT({ ...claims, aud: 'someone-else' })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .sign(privateKey) };
    }
  });
  provider.listen(port, '127.0.0.1', () => console.log('ready'));
})().catch((e) => { console.error(e); process.exit(1); });
