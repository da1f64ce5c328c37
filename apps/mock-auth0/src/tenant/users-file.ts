import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { validateOnce } from "./accepted-data.js";
import { deployCliAjv, deployCliAjvIdentity } from "./deploy-cli.js";
import type { Ajv6ValidateFunction } from "./deploy-cli.js";
import { ajvProblems } from "./problems.js";
import type { Problem } from "./problems.js";

/** Auth0's documented import schema, as a file (the URL is in it). */
export const USER_IMPORT_SCHEMA_FILE = new URL(
  "../../schemas/auth0-user-import.schema.json",
  import.meta.url,
);

const BULK_IMPORT_DOCS = "https://auth0.com/docs/manage-users/user-migration/bulk-user-imports";

/** A user as Auth0's bulk user import file describes one (the fields mock-auth0 reads). */
export interface ImportUser {
  email: string;
  email_verified?: boolean;
  user_id?: string;
  username?: string;
  given_name?: string;
  family_name?: string;
  name?: string;
  nickname?: string;
  picture?: string;
  /** bcrypt (`$2a$`, `$2b$`, `$2y$`), as Auth0's bulk import takes it. */
  password_hash?: string;
  app_metadata?: Record<string, unknown>;
  [property: string]: unknown;
}

/**
 * Keys `app_metadata` must not hold, from the same page of Auth0's docs
 * (https://auth0.com/docs/manage-users/user-migration/bulk-user-import-database-schema-and-examples#app-metadata).
 */
const RESERVED_APP_METADATA = [
  "__tenant",
  "_id",
  "blocked",
  "clientID",
  "created_at",
  "email_verified",
  "email",
  "globalClientID",
  "global_client_id",
  "identities",
  "lastIP",
  "lastLogin",
  "loginsCount",
  "metadata",
  "multifactor_last_modified",
  "multifactor",
  "updated_at",
  "user_id",
];

/** The fields that shape the tenant's user; the rest (password hashes, MFA factors, ...) is listed as ignored. */
export const MODELLED_USER_PROPERTIES = [
  "email",
  "email_verified",
  "user_id",
  "name",
  "given_name",
  "family_name",
  "nickname",
  "picture",
  "password_hash",
];

let schemaText: string | undefined;
let validateUsers: Ajv6ValidateFunction | undefined;

function importSchemaProblems(data: unknown): Problem[] {
  schemaText ??= readFileSync(USER_IMPORT_SCHEMA_FILE, "utf8");
  validateUsers ??= deployCliAjv().compile(JSON.parse(schemaText) as object);
  if (validateUsers(structuredClone(data))) return [];
  return ajvProblems(validateUsers.errors ?? [], "Auth0's import schema");
}

/**
 * Checks a users file's data against Auth0's import schema (ajv 6 checks `format: email`),
 * then Auth0's rules the schema does not state. With `remember` (a file), data the schema
 * accepted once is not run through it again (`validateOnce`).
 */
export function userFileProblems(data: unknown, remember = false): Problem[] {
  const schemaProblems = validateOnce(data, {
    validator: () => {
      schemaText ??= readFileSync(USER_IMPORT_SCHEMA_FILE, "utf8");
      const schemaHash = createHash("sha256").update(schemaText).digest("hex");
      return JSON.stringify(["users", schemaHash, deployCliAjvIdentity()]);
    },
    validate: () => importSchemaProblems(data),
    remember,
  });
  if (schemaProblems.length > 0) return schemaProblems;
  const problems: Problem[] = [];
  (data as ImportUser[]).forEach((user, i) => {
    if (user.user_id?.startsWith("auth0|")) {
      problems.push({
        path: [i, "user_id"],
        message: `Auth0's import adds the auth0| prefix itself (${BULK_IMPORT_DOCS}): write ${JSON.stringify(user.user_id.slice("auth0|".length))}`,
      });
    }
    for (const key of RESERVED_APP_METADATA) {
      if (user.app_metadata && Object.hasOwn(user.app_metadata, key)) {
        problems.push({
          path: [i, "app_metadata", key],
          message: "Auth0 does not allow this property in app_metadata",
        });
      }
    }
  });
  return problems;
}

/**
 * The id Auth0 gives an imported user: "The import process automatically adds the auth0|
 * prefix to the imported user IDs" (the database connection's strategy). A user without a
 * `user_id` gets one derived from the e-mail address, as stable as the file.
 */
export function userSub(user: Pick<ImportUser, "user_id" | "email">): string {
  if (user.user_id === undefined) {
    return `auth0|${createHash("sha256").update(user.email.toLowerCase()).digest("hex").slice(0, 24)}`;
  }
  return `auth0|${user.user_id}`;
}

export function userName(user: ImportUser): string {
  const full = [user.given_name, user.family_name].filter(Boolean).join(" ");
  return user.name ?? (full || undefined) ?? user.nickname ?? user.email;
}

/** Auth0's nickname for a database user who has none: the e-mail address's local part. */
export function userNickname(user: ImportUser): string {
  const at = user.email.indexOf("@");
  return user.nickname ?? (at > 0 ? user.email.slice(0, at) : user.email);
}

/**
 * Auth0's picture for a user who has none: the e-mail address's Gravatar, falling back to a
 * picture of the name's initials (the shape of go-auth0's recorded /userinfo answer,
 * test/data/recordings/authentication/TestUserInfo.yaml).
 */
export function userPicture(user: ImportUser): string {
  if (user.picture !== undefined) return user.picture;
  const name = userName(user).trim().toLowerCase();
  const words = name.split(/\s+/);
  const initials =
    words.length > 1
      ? words
          .map((word) => word.charAt(0))
          .join("")
          .slice(0, 2)
      : name.slice(0, 2);
  const hash = createHash("md5").update(user.email.trim().toLowerCase()).digest("hex");
  const fallback = encodeURIComponent(`https://cdn.auth0.com/avatars/${initials}.png`);
  return `https://s.gravatar.com/avatar/${hash}?s=480&r=pg&d=${fallback}`;
}
