/**
 * Node's DEP0170 warning, which quotes the whole URL that its legacy `url.parse()` found
 * invalid. Express's router reads every request's path with `parseurl`, which hands a request
 * target not starting with "/" (the absolute form, RFC 9112 section 3.2.2) to `url.parse()`;
 * one whose password was typed as is (`https://u:<password>@host/...` with a "/" or "?" in
 * it) has a port url.parse() cannot read, and the first such request wrote the target, the
 * password with it, to stderr.
 */
const INVALID_URL =
  /^The URL .* is invalid\. (Future versions of Node\.js will throw an error\.)$/su;

let installed = false;

/**
 * Makes Node's warnings quote no URL that `url.parse()` was given: DEP0170 is still written
 * (once, as Node writes each deprecation), saying what it is about, without the URL, which a
 * client chose and may hold a password. Every other warning is written as before. For a
 * server's entry point, before it listens; a second call changes nothing.
 */
export function hideUrlsInNodeWarnings(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (warning: unknown, ...rest: unknown[]) => {
    emitWarning(
      typeof warning === "string"
        ? warning.replace(
            INVALID_URL,
            "A URL given to url.parse() is invalid (not shown: a request target may hold a password). $1",
          )
        : warning,
      ...rest,
    );
  };
}
