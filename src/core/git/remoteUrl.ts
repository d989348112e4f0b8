// Remote URLs end up in the store, in exported packages and on screen: they must never carry a
// password or an access token.

/**
 * Removes credentials from a remote URL and leaves the rest as written.
 * - `scheme://user:password@host/…`: the password always goes.
 * - http(s) and ftp(s): the user part goes too, since it is often a token on its own
 *   (`https://ghp_…@github.com/…`, `https://x-access-token:…@…`).
 * - ssh and the like keep their user (`ssh://git@host/…`): an account name, not a secret.
 * - scp-like `git@host:org/repo.git` and local paths have no password field and are kept.
 */
export function stripCredentials(url: string): string {
  const trimmed = url.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed);
  if (scheme === null) return trimmed;
  const authorityStart = scheme[0].length;
  const rest = trimmed.slice(authorityStart);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  // The last '@' ends the user info: an unencoded '@' inside a password must not leak its tail.
  const at = authority.lastIndexOf('@');
  if (at < 0) return trimmed;
  const userInfo = authority.slice(0, at);
  const host = authority.slice(at + 1);
  const protocol = (scheme[1] ?? '').toLowerCase();
  const webLike = /^(https?|ftps?)$/.test(protocol);
  const colon = userInfo.indexOf(':');
  const user = colon < 0 ? userInfo : userInfo.slice(0, colon);
  const keptUser = webLike || user === '' ? '' : `${user}@`;
  return `${trimmed.slice(0, authorityStart)}${keptUser}${host}${tail}`;
}
