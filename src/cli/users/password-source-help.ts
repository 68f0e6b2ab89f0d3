/** Shown under `users add --help` and `users passwd --help`: why there is no --password option. */
export const PASSWORD_SOURCE_HELP = `
The password is never taken from the command line, where ps and shell history would keep it.
At a terminal it is asked for twice, without echo; otherwise it is read from the first line
of stdin, e.g.  printf '%s\\n' "$PASSWORD" | tessera users add alice`
