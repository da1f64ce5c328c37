/**
 * A failure to make the testbed's files in the temporary folder (`temp`), told as what the
 * testkit's caller can do: set TMPDIR, or give the shop a database of its own. The shop, which
 * the testbed started on a folder there, says to set SHOP_API_DATABASE, which the testbed sets
 * itself. Any other error is returned as it is.
 */
export function namingTempFolder(error: unknown, temp: string): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const fromFileSystem =
    typeof code === "string" && typeof (error as NodeJS.ErrnoException).syscall === "string";
  if (!fromFileSystem && !SHOP_FOLDER_REFUSED.test(error.message)) return error;
  return new Error(
    `startTestbed cannot make its files in the temporary folder ${temp} ` +
      `(${error.message.replace(SHOP_ADVICE, "")}): set TMPDIR to a folder this user may ` +
      `write, or give the shop a database of its own with the shop.database option (a folder, ` +
      `or ":memory:")`,
    { cause: error },
  );
}

/** The shop's words when it cannot make or write its database's folder. */
const SHOP_FOLDER_REFUSED = /cannot (?:make|write) the embedded database's folder/;
/** What the shop advises then, for a shop started on its own. */
const SHOP_ADVICE = /: set SHOP_API_DATABASE to a folder this user may write[^"\n]*/g;

/**
 * The shop's refusal of the folder the `shop.database` option names, told in one line as what
 * the testkit's caller can do: the shop says to set SHOP_API_DATABASE, which the testbed sets
 * from that option, and says it twice (its JSON log line and its plain one). Any other error is
 * returned as it is.
 */
export function namingDatabaseOption(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const said = error.message
    .split("\n")
    .find((line) => !line.startsWith("{") && SHOP_FOLDER_REFUSED.test(line));
  if (said === undefined) return error;
  const why = said
    .replace(/^shop-api cannot start: /, "")
    .replace(SHOP_OPTION_ADVICE, ": give the shop.database option a folder this user may write");
  return new Error(`the testbed's shop cannot use its shop.database folder: ${why}`, {
    cause: error,
  });
}

/** The shop's advice, whose variable is the testbed's shop.database option. */
const SHOP_OPTION_ADVICE = /: set SHOP_API_DATABASE to a folder this user may write/;
