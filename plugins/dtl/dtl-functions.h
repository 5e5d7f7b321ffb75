/* dtl-functions.h — the compiled form of DTL and the function table type.
 *
 * A DTL program is compiled once, when the configuration loads, into a tree of DtlNodes.  Every
 * node carries the C function that evaluates it, so running a rule is a walk over the tree with no
 * name look-ups and no parsing.  Each category file (dtl-fn-*.c) exports a table of DtlFunction
 * entries; the compiler indexes them by name, checks argument counts against min/max, and calls a
 * function's compile hook for arguments that are not ordinary expressions (rule names, literals,
 * transform lists).
 *
 * Ownership: an expression evaluator returns a new reference (never NULL).  Run-time failures
 * (`fail!`, an `apply` of a rule that fails) are recorded in the DtlEval and make every later
 * evaluation cheap no-ops; the transform loop checks them after each step.
 */
#pragma once

#include <sluice-plugin-sdk.h>
#include "sluice-dtl.h"

G_BEGIN_DECLS

typedef struct _DtlNode DtlNode;
typedef struct _DtlEval DtlEval;
typedef struct _DtlFunction DtlFunction;
typedef struct _DtlCompiler DtlCompiler;
typedef struct _DtlPath DtlPath;

/* Evaluates an expression node: returns a new reference, never NULL. */
typedef SluiceValue *(*DtlExprFunc) (DtlEval *ev, const DtlNode *node);
/* Runs a transform node: one of DTL_STATUS_*. */
typedef int (*DtlTransformFunc) (DtlEval *ev, const DtlNode *node);
/* Compiles the arguments of @call (a DTL list whose first item is the function name) into
 * @node; the arity is already checked.  @pointer is the JSON pointer of @call. */
typedef gboolean (*DtlCompileFunc) (DtlCompiler *compiler, DtlNode *node, SluiceValue *call,
                                    const char *pointer, GError **error);

#define DTL_STATUS_CONTINUE 0
#define DTL_STATUS_DISCARD 1
#define DTL_STATUS_FILTER 2
#define DTL_STATUS_ERROR 3

#define DTL_ARGS_UNLIMITED (-1)

/* Function flags. */
#define DTL_FN_UNSUPPORTED (1u << 0) /* configuring it is a load-time error (see reason) */

struct _DtlFunction
{
  const char *name;
  int min_args;
  int max_args; /* DTL_ARGS_UNLIMITED for no limit */
  uint32_t flags;
  DtlExprFunc eval;       /* expression functions */
  DtlTransformFunc exec;  /* transform functions */
  DtlCompileFunc compile; /* NULL: every argument is an ordinary expression */
  const char *reason;     /* DTL_FN_UNSUPPORTED: why, for the load error */
};

struct _DtlNode
{
  DtlExprFunc eval;
  DtlTransformFunc exec;
  const DtlFunction *fn;
  SluiceValue *constant; /* literal nodes; compile hooks may keep a constant here */
  DtlPath *path;         /* path-string nodes */
  DtlNode **args;
  guint n_args;
  char *pointer; /* JSON pointer inside the transform options, for run-time messages */
  gpointer data; /* compile-hook data */
  GDestroyNotify data_free;
  int64_t ival;
};

/* The tables, each ended by an entry whose name is NULL. */
extern const DtlFunction sluice_dtl_transforms[];
extern const DtlFunction sluice_dtl_fn_logic[];
extern const DtlFunction sluice_dtl_fn_strings[];
extern const DtlFunction sluice_dtl_fn_lists[];
extern const DtlFunction sluice_dtl_fn_math[];
extern const DtlFunction sluice_dtl_fn_dates[];
extern const DtlFunction sluice_dtl_fn_dicts[];
extern const DtlFunction sluice_dtl_fn_types[];
extern const DtlFunction sluice_dtl_fn_bytes[];
extern const DtlFunction sluice_dtl_fn_uris[];
extern const DtlFunction sluice_dtl_fn_ni[];
extern const DtlFunction sluice_dtl_fn_json[];
extern const DtlFunction sluice_dtl_fn_uuid[];
extern const DtlFunction sluice_dtl_fn_misc[];
extern const DtlFunction sluice_dtl_fn_sets[];
extern const DtlFunction sluice_dtl_fn_encryption[];

G_END_DECLS
