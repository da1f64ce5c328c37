import { createHash, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** Auth0's Private Key JWT credentials are RSA keys of at least 2048 bits (configure-private-key-jwt). */
const MIN_RSA_BITS = 2048;

const PRIVATE_KEY_PEM = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/**
 * The public key of a Private Key JWT credential's `pem`: an SPKI (`PUBLIC KEY`) or PKCS #1
 * (`RSA PUBLIC KEY`) key or an X.509 certificate, as Auth0's Management API takes them. A
 * private key is refused rather than reduced to its public half: it does not belong in a
 * tenant file.
 */
export function assertionPublicKey(pem: string): KeyObject | { problem: string } {
  if (PRIVATE_KEY_PEM.test(pem)) {
    return {
      problem:
        "pem holds a private key: the tenant file takes the public key only (the client keeps the private key)",
    };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return {
      problem:
        "pem is not a PEM public key or certificate (-----BEGIN PUBLIC KEY-----, RSA PUBLIC KEY or CERTIFICATE)",
    };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < MIN_RSA_BITS) {
    return {
      problem: `pem must be an RSA key of at least ${MIN_RSA_BITS} bits (got ${key.asymmetricKeyType ?? "unknown"}${bits > 0 ? ` ${bits}` : ""})`,
    };
  }
  return key;
}

/**
 * The key's RFC 7638 JWK thumbprint (SHA-256, base64url), which is how Auth0 makes a
 * credential's `kid` (configure-private-key-jwt).
 */
export function thumbprint(key: KeyObject): string {
  const { e, kty, n } = key.export({ format: "jwk" });
  return createHash("sha256").update(JSON.stringify({ e, kty, n })).digest("base64url");
}
