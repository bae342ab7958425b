// Which admin commands a server answers, decided here for both ports that serve them: four-letter
// words on the ZooKeeper client port, /commands/* and /metrics on the HTTP port. Each HTTP
// command is gated by the four-letter word that reveals the same things (server_stats by srvr,
// /metrics by mntr, ...), so `4lw.commands.whitelist` enables a command on both ports at once.
//
// `http.commands.authRequired` names words whose HTTP commands need credentials, checked as
// ZooKeeper 3.9's AdminServer checks its snapshot and restore commands: the caller must
// authenticate and hold ALL permissions on the root znode. A four-letter word on the client port
// cannot authenticate, so a word that needs credentials is not answered there.

/** The two settings that decide, from the server's configuration. */
export interface CommandPolicy {
  /** 4lw.commands.whitelist: the enabled words; "*" = all of them. */
  whitelist: readonly string[];
  /** http.commands.authRequired: words whose HTTP commands need credentials; "*" = all. */
  authRequired: readonly string[];
}

/** open: anyone may run it; authenticated: credentials with ALL on / first; disabled: refused. */
export type CommandAccess = 'open' | 'authenticated' | 'disabled';

/** ZooKeeper always enables srvr (its own scripts depend on it), whatever the whitelist says. */
const ALWAYS_ENABLED = 'srvr';

export function commandPolicy(config: { fourLetterWordWhitelist: readonly string[]; httpCommandsAuthRequired: readonly string[] }): CommandPolicy {
  return { whitelist: config.fourLetterWordWhitelist, authRequired: config.httpCommandsAuthRequired };
}

export function isWhitelisted(policy: CommandPolicy, word: string): boolean {
  return word === ALWAYS_ENABLED || policy.whitelist.includes('*') || policy.whitelist.includes(word);
}

export function needsCredentials(policy: CommandPolicy, word: string): boolean {
  return policy.authRequired.includes('*') || policy.authRequired.includes(word);
}

/** How the HTTP port serves the command gated by `word`. */
export function httpCommandAccess(policy: CommandPolicy, word: string): CommandAccess {
  if (!isWhitelisted(policy, word)) return 'disabled';
  return needsCredentials(policy, word) ? 'authenticated' : 'open';
}

/** Whether the client port answers the four-letter word `word`. */
export function fourLetterWordEnabled(policy: CommandPolicy, word: string): boolean {
  return isWhitelisted(policy, word) && !needsCredentials(policy, word);
}
