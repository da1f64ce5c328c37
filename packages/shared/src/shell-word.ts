/**
 * A value as a POSIX shell reads it back: bare when no character of it is special there, else in
 * single quotes (a quote inside closed, escaped and opened again). For the commands the servers
 * and scripts print for a person to paste: a path with a space (`/home/ci/my work/.certs/ca.pem`)
 * pasted bare would be split into two words.
 */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
