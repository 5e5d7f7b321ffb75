/* dtl-ns.h — namespaced identifiers in property names and `_id` values (digest §1.6).
 *
 * With `namespaced_identifiers` on, `add`/`default` put the property namespace on unqualified
 * names and the identity namespace on `_id` values; `copy`, `remove`, `rename` and `make-ni` match
 * an unqualified name in every namespace; "::x" means exactly x and ":x" means x in the current
 * namespace.
 */
#pragma once

#include "dtl-eval.h"

G_BEGIN_DECLS

/* The key `add` writes for @name. */
char *sluice_dtl_ns_property_key (const DtlProgram *program, const char *name);
/* The value `add` writes under `_id` (a new reference). */
SluiceValue *sluice_dtl_ns_id_value (const DtlProgram *program, SluiceValue *value);
/* Whether the wildcard @pattern selects @key (whole-name match without namespaces; with them,
 * an unqualified pattern matches the identifier part of any key). */
gboolean sluice_dtl_ns_pattern_matches (const DtlProgram *program, const char *pattern,
                                        const char *key);
/* The identifier part of @key (after its last colon) and the length of its namespace part
 * (0 when there is none). */
const char *sluice_dtl_ns_split (const char *key, size_t *ret_ns_len);

G_END_DECLS
