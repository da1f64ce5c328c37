import { classifyNetworkError, errorMessages } from "@ciba-testbed/shared/node";

/**
 * What is wrong when PostgreSQL, or TLS on the way to it, refuses the shop's connection for a
 * setting (the URL's user, password, database or host, the server's certificate or its
 * pg_hba.conf) rather than being down: each said with its fix, where "cannot reach PostgreSQL"
 * sent whoever runs the shop looking for a network fault. Said at start (`openDatabase`), in the
 * log of a request that could not be served (`errorHandler`) and by `GET /ready`.
 *
 * PostgreSQL's messages quote the user and the database, never the password; Node's TLS
 * messages quote the host and the certificate's names.
 */
export interface ConnectionRefusal {
  /** What is wrong, with the server's or TLS's own words and code. */
  what: string;
  /** What to change, and where the shop's README says more. */
  fix: string;
  /** A few words for a client or `GET /ready`, which do not get the settings' names. */
  short: string;
}

const TLS_SECTION = "see 'TLS to PostgreSQL' in the shop's README";
const SETUP_SECTION = "see 'Several replicas (PostgreSQL)' in the shop's README";

/** The first PostgreSQL SQLSTATE along the error's causes, with its message. */
function serverError(error: unknown): { code: string; message: string } | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return { code, message: e.message };
    e = e.cause;
  }
  return undefined;
}

/** `error` as a refused connection (see `ConnectionRefusal`), or undefined when it is not one. */
export function connectionRefusal(
  error: unknown,
  variable = "SHOP_API_DATABASE_URL",
): ConnectionRefusal | undefined {
  return tlsRefusal(error, variable) ?? loginRefusal(error, variable);
}

function tlsRefusal(error: unknown, variable: string): ConnectionRefusal | undefined {
  const messages = errorMessages(error);
  if (/(?:^|: )The server does not support SSL connections/.test(messages)) {
    return {
      what: "the URL asks for TLS (sslmode), and the server does not support it (The server does not support SSL connections)",
      fix:
        `Turn TLS on in the server (ssl = on, with ssl_cert_file and ssl_key_file), or take ` +
        `sslmode out of ${variable} where the network to the server is trusted; ${TLS_SECTION}`,
      short: "the database does not support TLS, which the shop's URL asks for",
    };
  }
  const network = classifyNetworkError(error);
  if (network === undefined) return undefined;
  const said = `${firstMessage(error)}, ${network.code ?? ""}`;
  if (network.code === "CERT_HAS_EXPIRED") {
    return {
      what: `its TLS certificate has expired (${said})`,
      fix:
        "Renew the server's certificate (PostgreSQL's ssl_cert_file; SELECT pg_reload_conf() " +
        "loads a new one without a restart), or set this machine's clock right if it is wrong; " +
        TLS_SECTION,
      short: "the database's TLS certificate has expired",
    };
  }
  if (network.code === "CERT_NOT_YET_VALID") {
    return {
      what: `its TLS certificate is not valid yet (${said})`,
      fix:
        "Set the clock right on this machine, or on the one that made the certificate, or give " +
        `the server a certificate valid from now (ssl_cert_file); ${TLS_SECTION}`,
      short: "the database's TLS certificate is not valid yet",
    };
  }
  if (network.failure === "tls_hostname") {
    return {
      what: `its TLS certificate is not for the host the URL names (${said})`,
      fix:
        `Name the server in ${variable} by a host name or address the certificate holds (its ` +
        "altnames, above), or give the server a certificate whose subjectAltName holds this " +
        "host. node-postgres checks the host name for sslmode=require and verify-ca too, as " +
        `for verify-full; ${TLS_SECTION}`,
      short: "the database's TLS certificate is not for the host the shop connects to",
    };
  }
  if (network.failure === "tls_untrusted") {
    return {
      what: `its TLS certificate is not trusted (${said})`,
      fix:
        "node-postgres verifies the server's certificate for sslmode=require as for verify-full " +
        `(libpq's require does not): name the CA that signed it with sslrootcert in ${variable}, ` +
        `'?sslmode=verify-full&sslrootcert=/path/to/ca.pem'; ${TLS_SECTION}`,
      short: "the database's TLS certificate is not trusted",
    };
  }
  return undefined;
}

function loginRefusal(error: unknown, variable: string): ConnectionRefusal | undefined {
  if (
    /(?:^|: )SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string/.test(
      errorMessages(error),
    )
  ) {
    return {
      what: "the server asks for a password, and none was given (SASL: client password must be a string)",
      fix: `Give the role's password in ${variable} (postgres://user:password@host/db), or in PGPASSWORD or ~/.pgpass; ${SETUP_SECTION}`,
      short: "the database asks for a password the shop was not given",
    };
  }
  const server = serverError(error);
  if (server === undefined) return undefined;
  const said = `${server.message} (${server.code})`;
  const role = /^role "(.*)" /.exec(server.message)?.[1];
  if (server.code === "28P01") {
    return {
      what: `the server refused the login: ${said}`,
      fix:
        "The password is wrong, or the server has no such role (PostgreSQL does not say which " +
        `to a client): set the user and its password in ${variable} ` +
        "(postgres://user:password@host/db, a / ? # or @ in the password percent-encoded), or " +
        `the password in PGPASSWORD or ~/.pgpass for a URL without one; ${SETUP_SECTION}`,
      short: "the database refuses the shop's password",
    };
  }
  if (server.code === "28000" && server.message.endsWith("does not exist") && role !== undefined) {
    return {
      what: `the server has no role ${JSON.stringify(role)}: ${said}`,
      fix:
        `Name an existing role as the user in ${variable} (postgres://user@host/db, or ` +
        `?user=), or create it (CREATE ROLE ${quoteIdentifier(role)} LOGIN PASSWORD '...'); ` +
        SETUP_SECTION,
      short: "the database has no role by the name the shop logs in with",
    };
  }
  if (server.code === "28000" && server.message.endsWith("is not permitted to log in") && role) {
    return {
      what: `the server refused the login: ${said}`,
      fix:
        `Let the role log in (ALTER ROLE ${quoteIdentifier(role)} LOGIN), or name a role that ` +
        `may in ${variable}; ${SETUP_SECTION}`,
      short: "the database's role for the shop may not log in",
    };
  }
  if (server.code === "28000" && server.message.includes("pg_hba.conf")) {
    return {
      what: `the server's pg_hba.conf refused the connection: ${said}`,
      fix:
        "Add a line for this host, user and database to the server's pg_hba.conf (then SELECT " +
        "pg_reload_conf()), or, when its line is hostssl, ask for TLS with sslmode=verify-full " +
        `in ${variable}; ${SETUP_SECTION}`,
      short: "the database's pg_hba.conf refuses the shop's connection",
    };
  }
  if (server.code.startsWith("28")) {
    return {
      what: `the server refused the login: ${said}`,
      fix: `Check the user and password in ${variable} against the server's roles and its pg_hba.conf; ${SETUP_SECTION}`,
      short: "the database refuses the shop's login",
    };
  }
  if (server.code === "3D000") {
    return {
      what: `the database the URL names does not exist: ${said}`,
      fix:
        `Create it (createdb, owned by the shop's role), or name an existing one in ${variable} ` +
        `(its path, postgres://user@host/<database>); ${SETUP_SECTION}`,
      short: "the database the shop names does not exist",
    };
  }
  return undefined;
}

/** The first message along the error's causes: TLS's own ("certificate has expired"). */
function firstMessage(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (typeof (e as { code?: unknown }).code === "string") return e.message;
    e = e.cause;
  }
  return errorMessages(error);
}

/** A role's name as SQL writes it in a statement to copy: in double quotes unless plain. */
function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
