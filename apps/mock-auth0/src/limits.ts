/** The form or JSON body of `/bc-authorize` and `/oauth/token`, in bytes. */
export const OAUTH_BODY_LIMIT_BYTES = 20 * 1024;

/** The same limit in body-parser's notation. */
export const OAUTH_BODY_LIMIT = `${String(OAUTH_BODY_LIMIT_BYTES / 1024)}kb`;

/** The JSON body of the control API: an approver policy can hold many rules. */
export const CONTROL_BODY_LIMIT = "64kb";
