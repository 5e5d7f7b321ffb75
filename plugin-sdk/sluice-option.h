/* sluice-option.h — the option schema of an element.
 *
 * Every element declares its configuration keys in a table of SluiceOptionSpec entries ended by an
 * entry whose key is NULL.  The host validates each component's JSON against this table before any
 * plugin code sees it (missing required keys, wrong types, unknown keys with the closest known key
 * suggested), fills in defaults, and generates the JSON Schema reference of the type from the same
 * table (`sluiced --describe TYPE`).
 *
 * The struct is append-only: the element descriptor records sizeof (SluiceOptionSpec) as the plugin
 * saw it (option_struct_size), the host strides through the table with that size and reads a field
 * only when the recorded size covers it.
 */
#pragma once

#include <stdint.h>
#include "sluice-macros.h"

SLUICE_BEGIN_DECLS

/* Option types form a bit mask, so that a key may accept several JSON types
 * ("a transform object or a list of them": SLUICE_OPTION_OBJECT | SLUICE_OPTION_ARRAY). */
#define SLUICE_OPTION_STRING (1u << 0)
#define SLUICE_OPTION_INTEGER (1u << 1)
#define SLUICE_OPTION_NUMBER (1u << 2) /* integer or floating point */
#define SLUICE_OPTION_BOOLEAN (1u << 3)
#define SLUICE_OPTION_OBJECT (1u << 4)
#define SLUICE_OPTION_ARRAY (1u << 5)
#define SLUICE_OPTION_NULL (1u << 6)
#define SLUICE_OPTION_ANY (SLUICE_OPTION_STRING | SLUICE_OPTION_INTEGER | SLUICE_OPTION_NUMBER \
                           | SLUICE_OPTION_BOOLEAN | SLUICE_OPTION_OBJECT | SLUICE_OPTION_ARRAY \
                           | SLUICE_OPTION_NULL)

/* Option flags. */
#define SLUICE_OPTION_FLAG_REQUIRED (1u << 0) /* the key must be present */
#define SLUICE_OPTION_FLAG_SECRET (1u << 1)   /* redacted wherever configuration is shown */
#define SLUICE_OPTION_FLAG_OPEN (1u << 2)     /* OBJECT: keys not in `properties` are allowed */
/* The value names datasets: a STRING dataset id, or an ARRAY of strings whose first word is a
 * dataset id ("people p").  On a source or transform they are what the element reads, on a sink
 * what it writes; the engine derives pipe dependencies and signalling from them. */
#define SLUICE_OPTION_FLAG_DATASET (1u << 3)
/* The value holds entities (data, not settings: the `entities` of an `embedded` source).  The host
 * reads its numbers as the data plane reads a push to a receiver with its default options
 * (SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL | SLUICE_JSON_READER_FLAG_FLOAT_AS_INT): 0.1 is the
 * exact DECIMAL 0.1, 2.0 the INTEGER 2, 12345678901234567890.5 the DECIMAL as written.  The other
 * options read a number with a fraction or an exponent as a FLOAT.  Appended to ABI 1.1: a host
 * that predates it refuses an option table that uses it ("unknown flag bits"). */
#define SLUICE_OPTION_FLAG_ENTITIES (1u << 4)

typedef struct _SluiceOptionSpec SluiceOptionSpec;

struct _SluiceOptionSpec
{
  const char *key;          /* the JSON key; NULL ends the table */
  uint32_t types;           /* SLUICE_OPTION_* bit mask of accepted JSON types */
  uint32_t flags;           /* SLUICE_OPTION_FLAG_* */
  const char *default_json; /* the default as JSON text, or NULL for none */
  const char *description;  /* one or two sentences for the reference documentation */
  /* A NULL-terminated list of the accepted values of a STRING option, or NULL for any string. */
  const char *const *choices;
  /* For an OBJECT option: the table of its keys (same stride as the enclosing table), or NULL
   * for a free-form object. */
  const SluiceOptionSpec *properties;
};

SLUICE_END_DECLS
