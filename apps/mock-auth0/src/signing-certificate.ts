import { createHash, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";

/**
 * The self-signed X.509 certificate an Auth0 tenant publishes with each signing key, as the
 * JWK's `x5c` (and its SHA-1 thumbprint as `x5t`): some verifiers build the key from `x5c`
 * rather than from `n` and `e`, and would fail against a JWKS without it.
 *
 * Made the same way every time for the same key: the serial number is the key id's digest,
 * the validity fixed, and RSA PKCS#1 v1.5 signatures are deterministic. So a restart publishes
 * the same certificate without keeping it anywhere, and no certificate library is loaded at
 * start (`@peculiar/x509` takes about 160 ms to load here, for one signature's worth of work):
 * the few DER structures of RFC 5280 section 4.1 are written below, and the tests read the
 * result with Node's own `X509Certificate`.
 */
export function signingCertificate(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  kid: string,
): { x5t: string; x5c: [string] } {
  const { privateKey, publicKey } = keys;
  const name = sequence(set(sequence(OID_COMMON_NAME, utf8String(COMMON_NAME))));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serialOf(kid)),
    SHA256_WITH_RSA,
    name,
    sequence(utcTime(NOT_BEFORE), utcTime(NOT_AFTER)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
  );
  const der = sequence(tbs, SHA256_WITH_RSA, bitString(sign("sha256", tbs, privateKey)));
  // The JWK members (RFC 7517 sections 4.7 and 4.8): a chain of this one certificate.
  return {
    x5t: createHash("sha1").update(der).digest("base64url"),
    x5c: [der.toString("base64")],
  };
}

/** Auth0 names the certificate after the tenant; this one after the tenant's software. */
const COMMON_NAME = "mock-auth0";
/** As long-lived as Auth0's (its sample tenant's runs 2016 to 2030), within UTCTime's years. */
const NOT_BEFORE = "200101000000Z";
const NOT_AFTER = "491231235959Z";

const OID_COMMON_NAME = tlv(0x06, Buffer.from([0x55, 0x04, 0x03])); // 2.5.4.3
// 1.2.840.113549.1.1.11, with NULL parameters (RFC 4055 section 5).
const SHA256_WITH_RSA = sequence(
  tlv(0x06, Buffer.from("2a864886f70d01010b", "hex")),
  tlv(0x05, Buffer.alloc(0)),
);

/** 16 bytes of the key id's digest, positive and minimal as DER wants (RFC 5280 4.1.2.2). */
function serialOf(kid: string): Buffer {
  const bytes = createHash("sha256").update(kid).digest().subarray(0, 16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

function tlv(tag: number, value: Buffer): Buffer {
  const { length } = value;
  const size =
    length < 0x80
      ? Buffer.from([length])
      : length < 0x100
        ? Buffer.from([0x81, length])
        : Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), size, value]);
}

function sequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(parts));
}

function integer(value: Buffer): Buffer {
  return tlv(0x02, value);
}

function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, "utf8"));
}

function utcTime(time: string): Buffer {
  return tlv(0x17, Buffer.from(time, "ascii"));
}

function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

/** `[tag] EXPLICIT`, context-specific and constructed. */
function explicit(tag: number, inner: Buffer): Buffer {
  return tlv(0xa0 | tag, inner);
}
