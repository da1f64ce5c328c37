/**
 * The shop's refusal of the database a testbed copied from the cached empty one, told as what
 * to do about it. The shop, which cannot know the folder is a copy, says to restore it from a
 * backup or set SHOP_API_DATABASE, and the testbed sets that itself: the copy is damaged
 * because the cache is (another user changed it, a disk filled up while it was made), and every
 * later testbed would copy it again, until the cache is deleted. Any other error is returned as
 * it is.
 */
export function namingTheCache(error: unknown, copy: string, cache: string): unknown {
  if (!(error instanceof Error)) return error;
  if (!error.message.includes(`cannot open the embedded database in ${copy}`)) return error;
  const shopSaid = error.message
    .replace(SHOP_ADVICE, "")
    .replaceAll(copy, `${copy} (a copy of ${cache})`);
  return new Error(
    `The testbed's shop cannot open its copy of the cached empty shop database ${cache}: that ` +
      `folder is damaged. Delete it (rm -rf ${cache}); the next testbed makes it anew. ` +
      `The shop said: ${shopSaid}`,
    { cause: error },
  );
}

/** The shop's own advice, for a database folder of the person's own: none of it applies here. */
const SHOP_ADVICE =
  / ?(?:Restore the folder from a backup|Set SHOP_API_DATABASE to a new folder)[^"\n]*?(?:set SHOP_API_DATABASE to a new folder|never a database that took orders)/g;
