/**
 * For the environment of a server that opens no TLS connection of its own (mock-auth0, the
 * model server): the caller's NODE_EXTRA_CA_CERTS blanked. Node reads and parses that file at
 * every start, whether or not the process ever checks a peer's certificate. Machines that set it
 * to the system's bundle (Debian's holds 144 certificates; CI machines behind a proxy often do)
 * would otherwise add about 50 ms, and 80 ms of CPU, to each start (measured on a 2-core AMD
 * EPYC: a tenant started in 355 ms instead of 403, median of 8 each).
 */
export const WITHOUT_EXTRA_CA_CERTS: Readonly<Record<"NODE_EXTRA_CA_CERTS", string>> = {
  NODE_EXTRA_CA_CERTS: "",
};
