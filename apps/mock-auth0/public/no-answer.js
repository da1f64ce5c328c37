// What both pages say when the tenant does not answer a request they send: the browser's own
// words ("Failed to fetch", "NetworkError when attempting to fetch resource.") say neither which
// end failed nor what to check.

export const NO_ANSWER = "the tenant did not answer (is mock-auth0 still running?)";
