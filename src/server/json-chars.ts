/**
 * The character codes the server's JSON scans look for: the nesting guard over the body's
 * bytes (read-body.ts) and the managedFields scan over its text (managed-fields.ts). All
 * are ASCII, so a byte and a UTF-16 code unit compare alike. yaml/json-text.ts has the
 * same for the readers of files, a layer the server does not import (eslint/layers.js).
 */

/** `"` */
export const QUOTE = 0x22;
/** `\` */
export const BACKSLASH = 0x5c;
/** `[` */
export const OPEN_ARRAY = 0x5b;
/** `]` */
export const CLOSE_ARRAY = 0x5d;
/** `{` */
export const OPEN_OBJECT = 0x7b;
/** `}` */
export const CLOSE_OBJECT = 0x7d;
/** `,` */
export const COMMA = 0x2c;
/** `:` */
export const COLON = 0x3a;
