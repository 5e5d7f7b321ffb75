/* dtl-path.h — property path strings ("_S.orders.amount") and the walk over values.
 *
 * A path string is split once, at compile time, into its variable and its steps; at run time the
 * walk only looks keys up.  A step over a list fans out and flattens the results (digest §11.3).
 */
#pragma once

#include <sluice-plugin-sdk.h>

G_BEGIN_DECLS

typedef enum
{
  DTL_VAR_S,
  DTL_VAR_T,
  DTL_VAR_P,
  DTL_VAR_R,
  DTL_VAR_B,
  DTL_VAR_CURRENT,
} DtlVar;

struct _DtlPath
{
  DtlVar var;
  guint n_steps;
  char **steps;      /* NULL-terminated */
  size_t *step_lens; /* strlen of each step */
  size_t *hints;     /* per step: where the key was last found (sluice_value_dict_lookup_hinted) */
};

typedef struct _DtlPath DtlPath;

/* TRUE when @text is a path string: it starts with one of "_S.", "_T.", "_P.", "_R.", "_B.", "_.". */
gboolean sluice_dtl_path_is_path (const char *text);
/* Splits a path string; NULL with an error on an unterminated quote. */
DtlPath *sluice_dtl_path_parse (const char *text, GError **error);
void sluice_dtl_path_free (DtlPath *path);

/* Walks @steps from @start (borrowed; NULL means null).  @multi: the start counts as a list even
 * when it is a single value.  Returns a new reference. */
SluiceValue *sluice_dtl_path_walk (SluiceValue *start, char *const *steps, guint n_steps,
                                   gboolean multi);

/* Walks @path from step @first through single dicts without taking references, using the
 * path's lookup hints.  Sets *@ret_value (borrowed: null when a step finds nothing or meets a
 * scalar) and returns the index of the first step not taken: @path->n_steps when the walk is
 * complete, less when *@ret_value is a list that sluice_dtl_path_walk () must fan out over.
 * @start: NULL means null. */
guint sluice_dtl_path_walk_dicts (DtlPath *path, guint first, SluiceValue *start,
                                  SluiceValue **ret_value);

/* Namespace-aware walk (the `path` function with namespaced identifiers on): an unqualified step
 * matches that identifier in every namespace; ":x" means x in @property_ns; "::x" means exactly x. */
SluiceValue *sluice_dtl_path_walk_ns (SluiceValue *start, char *const *steps, guint n_steps,
                                      const char *property_ns);

G_END_DECLS
