/* sluice-config-validate.h — checks one component against its option schemas.
 *
 * Every component is an object with `_id` (a non-empty string without '/') and `type`:
 *  - "pipe": the pipe's own keys come from a core table (digest §3.2, the pump of §3.4 and §15.1,
 *    compaction §2.5, dependency tracking, namespaces); `source` (required), `sink` and `transform`
 *    (one object or a list) are each validated against the element whose type name is their `type`
 *    and whose kind matches the position: a sink type used as a source is an error saying so;
 *  - "system:<kind>": the common system keys (name, worker_threads, permissions, metadata, …) plus
 *    the options of the SYSTEM element of that type;
 *  - "pattern:<kind>": name, description, comment plus the options of the PATTERN element;
 *  - "metadata": the singleton `node` with the service-metadata keys of digest §15.6 and
 *    `api_tokens` (each token presentable in a bearer header and different from the others;
 *    that `pipes` name pipes is checked by the loader, which sees every file).
 *    Unknown keys are errors here too, with the closest known key suggested: a typo in a global
 *    default would otherwise silently do nothing.
 * Checks: required keys present, JSON types accepted, string choices, unknown keys (with a
 * suggestion), nested option tables, and the ranges of the core numeric options, which the option
 * table cannot express (batch_size from 1 to 2^32-1, schedule_interval from 1 s to 100 years, …).
 * An integer option takes a number that is exactly an integer however it is written (5, 5.0,
 * 1e3), and refuses any other (2.5, 1e-9, 1e19) quoting it as written.  A number option refuses a
 * number that a double cannot hold (1e400, or 1e-400, which it would hold as 0); free-form values
 * and entities keep any number.  Keys of an element object that every element accepts: type,
 * name, description, comment.
 *
 * Validation does not stop at the first problem: each is reported through the callback with the
 * pointer of the value inside the component.  It changes the component in one way only: an
 * integer option written with a fraction or an exponent (5.0, 1e3) becomes that integer, so that
 * the engine and plugins read an integer.  Options flagged SECRET are added to the secret pointer
 * set so that they are redacted when shown.  Messages never quote a secret value.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sluice-config-substitute.h"
#include "sluice-config.h"
#include "sluice-option-table.h"
#include "sluice-registry.h"

G_BEGIN_DECLS

/* The number at @pointer (relative to the component) as written in its file, or NULL when not
 * known. */
typedef const char *(*SluiceConfigNumberTextFunc) (const char *pointer, gpointer user_data);

typedef struct
{
  SluiceRegistry *registry;
  /* char * set of pointers whose values are secret: read (values from $SECRET are not quoted) and
   * added to (options flagged SECRET).  May be NULL. */
  GHashTable *secret_pointers;
  SluiceConfigReportFunc report;
  /* Where messages find numbers as written (sluice_config_source_get_number_text); may be NULL,
   * and then a number is quoted as a double formats. */
  SluiceConfigNumberTextFunc number_text;
  gpointer user_data; /* of report and number_text */
  guint n_problems;
} SluiceConfigValidation;

/* Limits of the core options that the engine relies on (docs/configuration.md, "Numbers"):
 * validation refuses what is outside them, so that the pump and the pipe never meet it. */
#define SLUICE_CONFIG_MIN_SCHEDULE_INTERVAL_S 1.0
/* 100 years: far beyond any use, and the pump's µs arithmetic (now + interval) stays in a
 * gint64. */
#define SLUICE_CONFIG_MAX_SCHEDULE_INTERVAL_S 3153600000.0
/* How far a partial rescan may rewind (an offset, or seconds of a datetime). */
#define SLUICE_CONFIG_MAX_PARTIAL_RESCAN_DELTA 1e15

/* Validates @component.  Returns TRUE when no problem was found; @ret_kind receives the component
 * kind when `type` could be classified, and @ret_element the element of a system or pattern. */
gboolean sluice_config_validate_component (SluiceConfigValidation *validation, JsonNode *component,
                                           SluiceComponentKind *ret_kind,
                                           const SluiceElementDescriptor **ret_element);

/* Validates the members of @object against @table (plus, when @core_table is not NULL, the keys of
 * that table: the keys a core wraps around an element's own).  @pointer: the object's pointer.
 * @what names the object in messages ("source type 'json'", "the pump").  Returns TRUE when no
 * problem was found. */
gboolean sluice_config_validate_object (SluiceConfigValidation *validation, JsonObject *object,
                                        const SluiceOptionTable *table,
                                        const SluiceOptionTable *core_table, const char *pointer,
                                        const char *what);

/* Adds the default of each option of @table missing from @object, recursing into nested tables of
 * objects present. */
void sluice_config_fill_defaults (JsonObject *object, const SluiceOptionTable *table);

/* The core option tables, for validation and for documentation. */
SluiceOptionTable sluice_config_get_pipe_options (void);
SluiceOptionTable sluice_config_get_system_options (void);
SluiceOptionTable sluice_config_get_pattern_options (void);
SluiceOptionTable sluice_config_get_metadata_options (void);

G_END_DECLS
