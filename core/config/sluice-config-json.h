/* sluice-config-json.h — configuration as JSON text and as SluiceValues, numbers as written.
 *
 * A JsonNode keeps a number as a gint64 or a double, and json-glib writes the double back, not
 * what the file said: 0.1 as 0.10000000000000001, 12345678901234567890.5 as
 * 1.2345678901234567e+19, 1e18 as "1e+18.0" (not JSON).  The loader keeps the text of every
 * number of a component under its JSON pointer (sluice_config_component_get_numbers); the writer
 * here puts that text back, so that plugins (their options, pattern expansion) and
 * --print-config receive each number as its author wrote it (docs/configuration.md, "Numbers").
 *
 * A text is used only while the node still holds the value the text reads as: a number that
 * validation made an integer (5.0 for an integer option becomes 5) or a value that is not from the
 * file (a default filled in) is written from the node, a double as the shortest text that reads
 * back as the same double.  Strings are escaped as RFC 8259 requires (json-glib 1.6 writes U+001F
 * raw).  Pretty output has the layout of json-glib's (two spaces a level, "key" : value).
 *
 * Plugins receive their options as a SluiceValue read by the SDK's JSON reader from that text:
 * without flags, so a number with a fraction or an exponent is a FLOAT and an integer an INTEGER
 * (of any size, exact), except for options flagged SLUICE_OPTION_FLAG_ENTITIES, which are read as
 * a receiver with its default options reads a push (SLUICE_CONFIG_JSON_ENTITY_FLAGS).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

#include "sluice-option-table.h"

G_BEGIN_DECLS

/* How options flagged SLUICE_OPTION_FLAG_ENTITIES are read: as an http_endpoint receiver reads a
 * push with its defaults (do_float_as_decimal and do_float_as_int both true). */
#define SLUICE_CONFIG_JSON_ENTITY_FLAGS \
  (SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL | SLUICE_JSON_READER_FLAG_FLOAT_AS_INT)

/* Appends @node as JSON to @out.  @numbers (char * JSON pointer -> char * text, may be NULL):
 * numbers as written, under pointers of which @pointer is the one of @node ("" for a component,
 * "/source" for its source).  @level: the indentation level of @node, or -1 for compact output. */
void sluice_config_json_append (GString *out, JsonNode *node, GHashTable *numbers,
                                const char *pointer, int level);

/* @node as JSON text (see sluice_config_json_append), pretty-printed when @pretty. */
char *sluice_config_json_write (JsonNode *node, GHashTable *numbers, const char *pointer,
                                gboolean pretty);

/* @node as a plugin sees it: its JSON text (numbers as written) read by the SDK's reader.  When
 * @node is an object of options and @table (may be NULL) its option table, the options flagged
 * SLUICE_OPTION_FLAG_ENTITIES, nested ones included, are read with
 * SLUICE_CONFIG_JSON_ENTITY_FLAGS.  NULL with @error when the reader refuses a number (1e400
 * outside an entity option: beyond a FLOAT). */
SluiceValue *sluice_config_json_to_value (JsonNode *node, GHashTable *numbers,
                                          const char *pointer, const SluiceOptionTable *table,
                                          GError **error);

G_END_DECLS
