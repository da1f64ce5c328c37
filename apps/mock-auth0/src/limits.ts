/** The form or JSON body of `/bc-authorize` and `/oauth/token`. */
export const OAUTH_BODY_LIMIT = "20kb";

/** The JSON body of the control API: an approver policy can hold many rules. */
export const CONTROL_BODY_LIMIT = "64kb";
