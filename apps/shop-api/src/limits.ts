/** The largest JSON body accepted; a purchase is under 200 bytes. */
export const JSON_BODY_LIMIT = "10kb";
