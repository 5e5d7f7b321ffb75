/* sluice-config-source.h — one configuration file, parsed, with the line and column of every value.
 *
 * json-glib's JsonParser reports positions only while it parses, so configuration files are parsed
 * by a small strict RFC 8259 parser here that builds json-glib nodes (the rest of the core works on
 * JsonNode) and records, for every value, its line and column under its JSON pointer from the file's
 * root, and for every object member the position of its key, and for every number its text as
 * written.  Validation errors found later then point at the exact spot in the file and quote
 * numbers as they are written.
 *
 * The parser is stricter than JsonParser on purpose: no comments, no trailing commas, no duplicate
 * keys in an object (the second one is an error rather than silently winning), valid UTF-8 only.
 * Parse errors never quote the text, because a secrets file goes through the same parser.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _SluiceConfigSource SluiceConfigSource;

/* Parses @text (@length bytes, or -1 when NUL-terminated).  On a syntax error returns NULL, sets
 * @error (SLUICE_CONFIG_ERROR_PARSE, a message without position) and the position of the error in
 * @ret_line/@ret_column. */
SluiceConfigSource *sluice_config_source_parse (const char *path, const char *text, gssize length,
                                                guint *ret_line, guint *ret_column, GError **error);
void sluice_config_source_free (SluiceConfigSource *source);

const char *sluice_config_source_get_path (const SluiceConfigSource *source);
/* Borrowed. */
JsonNode *sluice_config_source_get_root (const SluiceConfigSource *source);

/* The position of the value at @pointer (a JSON pointer from the file's root), or with @key of the
 * key that holds it.  When the file has no such value (a missing key, a generated value) the position
 * of the nearest enclosing value is given.  FALSE only when nothing on the path is known. */
gboolean sluice_config_source_locate (const SluiceConfigSource *source, const char *pointer,
                                      gboolean key, guint *ret_line, guint *ret_column);

/* The number at @pointer as written in the file ("1e-9", "5.0"), or NULL when the value there is
 * not a number.  A JsonNode keeps only a gint64 or a double (the nearest one, infinite or 0 for a
 * number beyond what a double holds): this is what messages quote and what plugins and
 * --print-config receive (sluice-config-json.h). */
const char *sluice_config_source_get_number_text (const SluiceConfigSource *source,
                                                  const char *pointer);

/* Whether the JSON number @text is exactly an integer that a gint64 holds ("5", "5.0", "1e3",
 * "2.50e1" but not "2.5", "1e-9" or "1e19"), decided on the decimal text, without rounding
 * through a double.  The value goes to @ret_value. */
gboolean sluice_json_number_get_integer (const char *text, gint64 *ret_value);

/* Appends @token to the JSON pointer @pointer, escaping '~' and '/' (RFC 6901). */
void sluice_json_pointer_append (GString *pointer, const char *token);
void sluice_json_pointer_append_index (GString *pointer, guint index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceConfigSource, sluice_config_source_free)

G_END_DECLS
