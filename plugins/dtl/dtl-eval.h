/* dtl-eval.h — running compiled DTL: contexts, variables and the helpers every function uses.
 *
 * A DtlEval holds one run of the `default` rule on one source entity: the context chain (`_S`,
 * `_T`, `_P`, `_R`), the current element `_`, the entities emitted by `create`, and the first
 * run-time failure.  Helpers here encode the evaluation conventions of digest §11.4 (truthiness,
 * list coercion, mapping over VALUES) so that the category files stay short.
 */
#pragma once

#include "dtl-functions.h"
#include "dtl-path.h"
#include "dtl-target.h"

G_BEGIN_DECLS

typedef struct _DtlRule DtlRule;
typedef struct _DtlProgram DtlProgram;
typedef struct _DtlScope DtlScope;
typedef struct _DtlPlan DtlPlan;

struct _DtlRule
{
  char *name;
  DtlNode **steps;
  guint n_steps;
  DtlShapeCache shapes; /* the key sets of its targets (filled while running) */
  DtlPlan *plan;        /* the fixed-layout form of a mapping rule (dtl-plan.h), or NULL */
};

/* Pipe settings that change how DTL behaves (digest §1.6). */
typedef struct
{
  gboolean namespaced_identifiers;
  const char *identity_namespace; /* NULL: the pipe _id */
  const char *property_namespace; /* NULL: the pipe _id */
  const char *pipe_id;
  gboolean id_required;
} DtlSettings;

struct _DtlProgram
{
  GHashTable *rules; /* name -> DtlRule */
  DtlRule *default_rule;
  gboolean namespaced;
  char *identity_ns;
  char *property_ns;
  char *pipe_id;
  gboolean id_required;
  SluiceValue *bound; /* `_B` (a publisher's query parameters), borrowed; NULL when not bound */
};

struct _DtlScope
{
  SluiceValue *source; /* borrowed */
  DtlTarget *target;
  DtlScope *parent;
};

struct _DtlEval
{
  const DtlProgram *program;
  DtlScope *scope;
  DtlScope *root;
  SluiceValue *current; /* `_`, borrowed; NULL outside function expressions */
  SluiceValue *bound;   /* `_B`, borrowed; NULL when not bound */
  GPtrArray *created;   /* SluiceValue dicts from `create` */
  GError *error;        /* the first run-time failure */
  int depth;
};

/* The result of running the default rule on one source entity. */
typedef struct
{
  int status;          /* DTL_STATUS_CONTINUE, _DISCARD or _FILTER */
  SluiceValue *target; /* owned; NULL when discarded */
  GPtrArray *created;  /* owned SluiceValue dicts, possibly empty */
} DtlResult;

void sluice_dtl_result_clear (DtlResult *result);

/* Runs the default rule on @source (a dict).  @target_before: the initial `_T` (NULL: empty).
 * FALSE with @error set when the run fails (`fail!`, `trip!`, id_required). */
gboolean sluice_dtl_program_run (const DtlProgram *program, SluiceValue *source,
                                 SluiceValue *target_before, DtlResult *result, GError **error);

/* Evaluates one compiled expression with `_S` = @source and an empty `_T`. */
SluiceValue *sluice_dtl_eval_expression (const DtlProgram *program, const DtlNode *node,
                                         SluiceValue *source, GError **error);

/* Runs the rule @rule on @source in a nested context under the current one; returns the target
 * (owned) or NULL when it was filtered, discarded or failed. */
SluiceValue *sluice_dtl_apply_rule (DtlEval *ev, const DtlRule *rule, SluiceValue *source);

/* Runs a list of transform nodes; returns a DTL_STATUS_*. */
int sluice_dtl_run_steps (DtlEval *ev, DtlNode *const *steps, guint n_steps);

/* Records a run-time failure (the first one wins). */
void sluice_dtl_fail (DtlEval *ev, GQuark domain, int code, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

/* Node evaluators the compiler installs. */
SluiceValue *sluice_dtl_eval_constant (DtlEval *ev, const DtlNode *node);
SluiceValue *sluice_dtl_eval_path (DtlEval *ev, const DtlNode *node);

/* Shorthands. */
static inline SluiceValue *
dtl_eval (DtlEval *ev, const DtlNode *node)
{
  return node->eval (ev, node);
}

static inline SluiceValueKind
dtl_kind (const SluiceValue *v)
{
  return sluice_value_get_kind (v);
}

static inline SluiceValue *
dtl_null (void)
{
  return sluice_value_new_null ();
}

static inline SluiceValue *
dtl_bool (gboolean b)
{
  return sluice_value_new_boolean (b);
}

/* Coercion to a list: null has no elements, a scalar is one element, a list is itself. */
static inline size_t
dtl_count (const SluiceValue *v)
{
  SluiceValueKind k = sluice_value_get_kind (v);

  return k == SLUICE_VALUE_LIST ? sluice_value_list_get_length (v) : k == SLUICE_VALUE_NULL ? 0 : 1;
}

static inline SluiceValue *
dtl_at (SluiceValue *v, size_t i)
{
  return sluice_value_get_kind (v) == SLUICE_VALUE_LIST ? sluice_value_list_get (v, i) : v;
}

/* The first value of a VALUES argument (borrowed): the list's first element, null for []. */
static inline SluiceValue *
dtl_first (SluiceValue *v)
{
  if (sluice_value_get_kind (v) != SLUICE_VALUE_LIST)
    return v;
  return sluice_value_list_get_length (v) ? sluice_value_list_get (v, 0) : sluice_value_new_null ();
}

/* Truthiness: false, null and [] are false. */
gboolean sluice_dtl_truthy (const SluiceValue *v);

/* Evaluates @node without taking a reference when its value already exists somewhere (a
 * constant, or a property reached through single dicts): returns the value, borrowed, and sets
 * *@owned to the reference the caller must drop (NULL when there is none).  Saves the atomic
 * reference count operations of dtl_eval () for arguments that are only read. */
SluiceValue *sluice_dtl_eval_borrowed (DtlEval *ev, const DtlNode *node, SluiceValue **owned);

/* Evaluates @node with `_` bound to @current (borrowed). */
SluiceValue *sluice_dtl_eval_with (DtlEval *ev, const DtlNode *node, SluiceValue *current);
/* Truthiness of @node evaluated with `_` = @current. */
gboolean sluice_dtl_test_with (DtlEval *ev, const DtlNode *node, SluiceValue *current);

/* Maps @fn over VALUES: a list gives a list (NULL results dropped), a scalar gives the result or
 * null.  @fn returns a new reference or NULL. */
typedef SluiceValue *(*DtlMapFunc) (DtlEval *ev, const DtlNode *node, SluiceValue *item,
                                    gpointer data);
SluiceValue *sluice_dtl_map (DtlEval *ev, const DtlNode *node, SluiceValue *values, DtlMapFunc fn,
                             gpointer data);

/* For the casting functions (F?, V): maps @fn, and replaces an input that does not convert by
 * the default expression (args[0] when there are two arguments) evaluated with `_` bound to it. */
SluiceValue *sluice_dtl_cast (DtlEval *ev, const DtlNode *node, DtlMapFunc fn, gpointer data);

/* Builds a list from an array of owned values. */
SluiceValue *sluice_dtl_list_take (SluiceValue **items, size_t n);

/* The text of a STRING (borrowed), or NULL for any other kind. */
static inline const char *
dtl_string (const SluiceValue *v, size_t *len)
{
  if (sluice_value_get_kind (v) != SLUICE_VALUE_STRING)
    return NULL;
  return sluice_value_get_string (v, len);
}

static inline gboolean
dtl_is_number (const SluiceValue *v)
{
  SluiceValueKind k = sluice_value_get_kind (v);

  return k == SLUICE_VALUE_INTEGER || k == SLUICE_VALUE_FLOAT || k == SLUICE_VALUE_DECIMAL;
}

/* The value as a C integer when it is an integer, or a float/decimal with an integral value. */
gboolean sluice_dtl_get_int (const SluiceValue *v, int64_t *ret);

/* Serialises @v as JSON with sorted keys and ", " / ": " separators (the `json`, `string` and
 * `group-by` form).  @transit: typed values as transit strings; otherwise as their plain text. */
void sluice_dtl_write_json (GString *out, const SluiceValue *v, gboolean transit);
/* A float as Python's repr () writes it. */
void sluice_dtl_append_float (GString *out, double d);

/* Equality as `eq` sees it: numbers by value (1 == 1.0), containers element by element. */
gboolean sluice_dtl_value_equal (const SluiceValue *a, const SluiceValue *b);
/* `eq`: both sides coerced to lists and compared exactly. */
gboolean sluice_dtl_values_eq (SluiceValue *a, SluiceValue *b);
/* Null-ness as `is-null` sees it: null, [], or a list whose first element is null. */
gboolean sluice_dtl_is_null (SluiceValue *v);

/* Python slice bounds for a sequence of @len items. */
void sluice_dtl_slice_bounds (int64_t len, gboolean has_start, int64_t start, gboolean has_end,
                              int64_t end, int64_t *ret_start, int64_t *ret_end);
/* The `string` cast of one value: a new reference, or NULL when it does not convert. */
SluiceValue *sluice_dtl_to_string (SluiceValue *item);

/* Arithmetic on two numbers (dtl-fn-math.c): a new reference, or NULL when an operand is not a
 * number or the result is undefined (division by zero). */
typedef enum
{
  DTL_OP_ADD,
  DTL_OP_SUB,
  DTL_OP_MUL,
  DTL_OP_DIV,
  DTL_OP_MOD,
  DTL_OP_POW,
} DtlOp;
SluiceValue *sluice_dtl_arith (DtlOp op, SluiceValue *a, SluiceValue *b);

G_END_DECLS
