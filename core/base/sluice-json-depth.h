/* sluice-json-depth.h — a bound on the nesting of JSON text before json-glib parses it.
 *
 * json-glib's parser recurses once per array or object level, with no limit, so JSON text from a
 * client (an HTTP body or form field, a D-Bus argument) nested deeply enough overflows the stack
 * of the thread that parses it, and the daemon dies.  sluice's own parser stops at
 * SLUICE_JSON_MAX_DEPTH levels (plugin-sdk/sluice-json.h); text from outside goes through
 * sluice_json_check_depth () before json-glib sees it, which holds it to the same bound.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether @text (@len bytes, or up to its NUL when @len is -1) nests arrays and objects at most
 * SLUICE_JSON_MAX_DEPTH levels deep.  One pass that counts the brackets outside strings; it
 * checks nothing else (malformed text is left to the parser).  When deeper: FALSE with
 * G_IO_ERROR_INVALID_DATA, "byte 512: nesting deeper than 512 levels", at the bracket that opens
 * one level too many. */
gboolean sluice_json_check_depth (const char *text, gssize len, GError **error);

G_END_DECLS
