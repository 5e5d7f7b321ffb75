/* sluice-option-table.h — safe reading of a plugin's option schema table.
 *
 * A plugin's SluiceOptionSpec table may have been built against an older (smaller) SluiceOptionSpec.
 * This wrapper strides through it with the size the element descriptor recorded and copies each entry
 * into a zeroed host-sized struct, so that fields the plugin did not know about read as NULL/0.
 * Used by the registry (well-formedness checks, --describe) and by configuration validation.
 */
#pragma once

#include <stddef.h>
#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

G_BEGIN_DECLS

/* The size of SluiceOptionSpec in ABI 1.0: the smallest stride a plugin may declare.  Fixed forever,
 * whatever fields later minor versions append. */
#define SLUICE_OPTION_SPEC_SIZE_1_0 \
  (offsetof (SluiceOptionSpec, properties) + sizeof (const SluiceOptionSpec *))

typedef struct
{
  const SluiceOptionSpec *entries; /* may be NULL: no options */
  size_t stride;                   /* the plugin's sizeof (SluiceOptionSpec) */
} SluiceOptionTable;

/* The table of an element descriptor (whose struct_size the registry has already checked). */
SluiceOptionTable sluice_option_table_from_element (const SluiceElementDescriptor *element);

/* Copies entry @index into @ret_spec; FALSE at the end of the table (the entry with key NULL). */
gboolean sluice_option_table_get (const SluiceOptionTable *table, size_t index,
                                  SluiceOptionSpec *ret_spec);
/* Copies the entry for @key into @ret_spec; FALSE when the table has no such key. */
gboolean sluice_option_table_lookup (const SluiceOptionTable *table, const char *key,
                                     SluiceOptionSpec *ret_spec);
/* The nested table of an OBJECT option (same stride); entries NULL when it is free-form. */
SluiceOptionTable sluice_option_table_nested (const SluiceOptionTable *table,
                                              const SluiceOptionSpec *spec);
/* The known key closest to @key (Damerau–Levenshtein, at most a third of the key's length away), or
 * NULL; borrowed from the table. */
const char *sluice_option_table_suggest (const SluiceOptionTable *table, const char *key);

/* The Damerau–Levenshtein (optimal string alignment) distance between two strings, in bytes; also
 * used to suggest element type names. */
size_t sluice_option_table_key_distance (const char *a, const char *b);

/* The closest of a set of names to a name that matched none ("did you mean …?"), under the same
 * rule as sluice_option_table_suggest: at most a third of the name's length away; ties go to the
 * alphabetically first candidate, so that the answer does not depend on the order they came in. */
typedef struct
{
  const char *name;
  const char *best; /* borrowed from the candidates */
  size_t best_distance;
} SluiceSuggestion;

void sluice_suggestion_init (SluiceSuggestion *suggestion, const char *name);
/* @candidate must stay valid while the suggestion is used. */
void sluice_suggestion_consider (SluiceSuggestion *suggestion, const char *candidate);
/* The closest candidate, or NULL when none is close enough. */
const char *sluice_suggestion_get (const SluiceSuggestion *suggestion);

/* Checks that the table is well formed: keys present and unique, types non-empty and known, flags
 * known, defaults parse as JSON of an accepted type, choices only on strings, nested tables well
 * formed.  The error names @where (e.g. "element 'json' option 'url'"). */
gboolean sluice_option_table_check (const SluiceOptionTable *table, const char *where,
                                    GError **error);

/* The table as a JSON Schema (draft 2020-12) object: properties, types, defaults, enums,
 * descriptions, required keys, additionalProperties false. */
JsonNode *sluice_option_table_to_json_schema (const SluiceOptionTable *table);

G_END_DECLS
