/**
 * Lists of URIs (redirect URIs, resource indicators) as stored: JSON arrays of strings. Scopes
 * are space-separated because RFC 6749 §3.3 forbids spaces in them; nothing forbids a registered
 * string from holding one, so URIs are kept exactly as given.
 */
export function formatUriList(uris: readonly string[]): string {
  return JSON.stringify([...new Set(uris)])
}

/**
 * The stored list. A value that is not a JSON array of strings (only a row edited by hand) reads
 * as empty: for a client, no redirect URI and no resource, which allows less, never more.
 */
export function parseUriList(text: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }
  return Array.isArray(parsed) ? parsed.filter((uri): uri is string => typeof uri === 'string') : []
}
